// The chat webview's entry. Builds the view from its parts (header, sessions panel, transcript,
// notice, composer), keeps the state the extension sends, routes the extension's messages to
// the parts, and posts the user's actions back. No remote resources; everything is bundled
// (see esbuild.mjs).
import DOMPurify from 'dompurify';
import { createMarkdown, makeSanitizer, renderMarkdown } from '../markdown';
import type { FromWebview, ToWebview, ViewState } from '../webviewProtocol';
import { createComposer } from './composer';
import { createHeader } from './header';
import { createNotice } from './notice';
import { createSessionsPanel } from './sessionsPanel';
import { createTranscript } from './transcript';
import './styles.css';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const vscode = acquireVsCodeApi();
const post = (message: FromWebview) => vscode.postMessage(message);
const md = createMarkdown();
const sanitize = makeSanitizer(DOMPurify(window));

let state: ViewState = {
  messages: [],
  status: { state: 'starting' },
  includeContext: true,
  busy: false,
  mode: 'ask',
};

const header = createHeader();
const sessions = createSessionsPanel(post);
const composer = createComposer({
  post,
  isBusy: () => state.busy,
  onContextToggle(include) {
    state.includeContext = include;
    post({ type: 'toggleContext', value: include });
  },
});
const transcript = createTranscript({
  post,
  render: (text) => renderMarkdown(text, sanitize, md),
  findMessage: (id) => state.messages.find((m) => m.id === id),
  onExample: (text) => composer.focus(text),
});
const notice = createNotice();

document.getElementById('app')!.append(header.element, sessions.element, header.sessionBar, transcript.element, notice.element, composer.element);

function renderAll(): void {
  composer.renderMode(state.mode);
  header.renderStatus(state.status);
  composer.renderContextUsage(state.contextUsage);
  composer.renderBusy(state.busy);
  composer.renderEditor(state.editorLabel, state.includeContext);
  header.renderSessionTitle(state.sessionTitle);
  transcript.render(state.summary, state.messages);
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  switch (m.type) {
    case 'state':
      state = m.state;
      sessions.hide();
      renderAll();
      break;
    case 'append':
      state.messages.push(m.message);
      transcript.append(m.message);
      break;
    case 'delta': {
      const message = state.messages.find((x) => x.id === m.id);
      if (message) {
        message.text += m.text;
        transcript.scheduleRender(m.id);
      }
      break;
    }
    case 'update': {
      const i = state.messages.findIndex((x) => x.id === m.message.id);
      if (i >= 0) {
        state.messages[i] = m.message;
        transcript.scheduleRender(m.message.id);
      }
      break;
    }
    case 'busy':
      state.busy = m.busy;
      composer.renderBusy(m.busy);
      break;
    case 'status':
      state.status = m.status;
      header.renderStatus(m.status);
      break;
    case 'contextUsage':
      state.contextUsage = m.usage;
      composer.renderContextUsage(m.usage);
      break;
    case 'editor':
      state.editorLabel = m.label;
      composer.renderEditor(m.label, state.includeContext);
      break;
    case 'sessions':
      sessions.render(m.sessions, m.currentId);
      if (m.show) sessions.show();
      break;
    case 'notice':
      notice.show(m.text, m.level);
      break;
    case 'mode':
      state.mode = m.mode;
      composer.renderMode(m.mode);
      break;
    case 'focusInput':
      composer.focus(m.text);
      break;
  }
});

renderAll();
post({ type: 'ready' });
