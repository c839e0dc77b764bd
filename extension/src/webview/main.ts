// The chat webview. Renders the transcript the extension sends, streams deltas, and posts the
// user's actions back. No remote resources; everything is bundled (see esbuild.mjs).
import DOMPurify from 'dompurify';
import { createMarkdown, makeSanitizer, renderMarkdown, type CodeBlock } from '../markdown';
import type {
  ContextUsageView,
  FromWebview,
  SessionView,
  StatusView,
  ToWebview,
  TranscriptMessage,
  ViewState,
} from '../webviewProtocol';
import { agentParts, modeToggle, renderMode, toolOutput } from './agent';
import { h } from './dom';
import { meterText, roleLabel, sessionMeta, statusText } from './format';
import { ICONS } from './icons';
import './styles.css';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const vscode = acquireVsCodeApi();
const post = (message: FromWebview) => vscode.postMessage(message);
const md = createMarkdown();
const sanitize = makeSanitizer(DOMPurify(window));

// ---------------------------------------------------------------- state

let state: ViewState = {
  messages: [],
  status: { state: 'starting' },
  includeContext: true,
  busy: false,
  mode: 'ask',
};
const blocksById = new Map<string, CodeBlock[]>();
const dirty = new Set<string>();
let renderTimer: number | undefined;

// ---------------------------------------------------------------- layout

const modelLabel = h('span', { class: 'model', title: 'Provider and model' });
const stateDot = h('span', { class: 'state-dot', title: 'Server state' });
const sessionTitle = h('span', { class: 'session-title' });
const header = h(
  'header',
  { class: 'header' },
  h('div', { class: 'header-main' }, stateDot, modelLabel),
);

const sessionsList = h('ul', { class: 'sessions-list', id: 'sessions-list' });
const sessionsPanel = h(
  'section',
  { class: 'sessions', id: 'sessions', hidden: true, 'aria-label': 'Sessions' },
  h(
    'div',
    { class: 'sessions-header' },
    h('span', {}, 'Sessions'),
    h('button', { class: 'icon-button', id: 'close-sessions', title: 'Close', 'aria-label': 'Close sessions' }, ICONS.close()),
  ),
  sessionsList,
);

const transcript = h('main', { class: 'transcript', id: 'transcript', 'aria-live': 'polite' });
const noticeBox = h('div', { class: 'notice', id: 'notice', role: 'status', hidden: true });

const meterFill = h('span', { class: 'meter-fill' });
const meterLabel = h('span', { class: 'meter-text', id: 'context-usage' });
const compactButton = h('button', { class: 'link-button', id: 'compact', title: 'Summarize older messages to free context' }, 'Compact');
const meter = h(
  'div',
  { class: 'meter', id: 'meter', hidden: true },
  h('span', { class: 'meter-bar', title: 'Context window usage' }, meterFill),
  meterLabel,
  compactButton,
);

const input = h('textarea', {
  id: 'input',
  class: 'input',
  rows: '1',
  placeholder: 'Ask Victor…  (Enter to send, Shift+Enter for a new line)',
  'aria-label': 'Message',
});
const sendButton = h('button', { class: 'primary-button', id: 'send', title: 'Send (Enter)' }, ICONS.send(), h('span', {}, 'Send'));
const stopButton = h('button', { class: 'stop-button', id: 'stop', title: 'Stop the answer', hidden: true }, ICONS.stop(), h('span', {}, 'Stop'));
const contextToggle = h('input', { type: 'checkbox', id: 'include-context' });
const contextLabel = h('span', { class: 'context-label', id: 'context-label' });
const footer = h(
  'footer',
  { class: 'composer' },
  meter,
  h('div', { class: 'input-box' }, input),
  h(
    'div',
    { class: 'composer-row' },
    h('div', { class: 'composer-options' }, modeToggle((mode) => post({ type: 'setMode', mode })), h('label', { class: 'context-toggle', title: 'Send the active file, selection, cursor and diagnostics' }, contextToggle, ICONS.file(), contextLabel)),
    h('div', { class: 'composer-actions' }, stopButton, sendButton),
  ),
);

const app = document.getElementById('app')!;
app.append(header, sessionsPanel, h('div', { class: 'session-bar' }, sessionTitle), transcript, noticeBox, footer);

// ---------------------------------------------------------------- rendering

function emptyState(): HTMLElement {
  const examples = ['Explain the active file', 'Find bugs in the selection', 'Write tests for this function'];
  return h(
    'div',
    { class: 'empty' },
    h('div', { class: 'empty-logo' }, ICONS.spark()),
    h('h2', {}, 'Ask Victor about your code'),
    h('p', {}, 'Victor sees the active file, your selection and its diagnostics, and follows your workspace’s code style.'),
    h(
      'div',
      { class: 'examples' },
      ...examples.map((text) => h('button', { class: 'example', 'data-example': text }, text)),
    ),
  );
}

function messageElement(message: TranscriptMessage): HTMLElement {
  const el = h('article', { class: `message ${message.role}`, id: message.id, 'data-role': message.role });
  fillMessage(el, message);
  return el;
}

function fillMessage(el: HTMLElement, message: TranscriptMessage): void {
  el.replaceChildren();
  el.classList.toggle('streaming', !!message.streaming);
  el.classList.toggle('interrupted', !!message.interrupted);
  el.classList.toggle('failed', !!message.error);
  const head = h('div', { class: 'message-head' }, h('span', { class: 'author' }, roleLabel(message)));
  if (message.mode === 'agent') head.append(h('span', { class: 'badge badge-agent' }, 'Agent'));
  if (message.interrupted) head.append(h('span', { class: 'badge badge-warn' }, 'Stopped'));
  el.append(head);

  if (message.tools && message.tools.length > 0) {
    const tools = h('ul', { class: 'tools' });
    for (const t of message.tools) {
      const status = t.done ? (t.isError ? 'error' : 'done') : 'running';
      tools.append(h('li', { class: `tool tool-${status}`, title: status }, h('span', { class: 'tool-dot' }), h('code', {}, t.label)));
      if (t.output !== undefined) tools.append(toolOutput(t));
    }
    el.append(tools);
  }
  el.append(...agentParts(message));

  const body = h('div', { class: 'message-body' });
  if (message.role === 'user') {
    body.classList.add('plain');
    body.textContent = message.text;
  } else {
    const rendered = renderMarkdown(message.text, sanitize, md);
    body.innerHTML = rendered.html;
    blocksById.set(message.id, rendered.blocks);
    if (message.streaming) {
      if (!message.text && (!message.tools || message.tools.length === 0)) {
        body.append(h('span', { class: 'thinking' }, h('span', {}), h('span', {}), h('span', {})));
      } else {
        (body.lastElementChild ?? body).append(h('span', { class: 'caret' }));
      }
    }
  }
  el.append(body);

  if (message.error) {
    const err = h('div', { class: 'error-box', role: 'alert' }, h('span', {}, message.error));
    if (message.errorAction) {
      err.append(h('button', { class: 'link-button', 'data-command': message.errorAction.command }, message.errorAction.label));
    }
    el.append(err);
  }
  if (message.meta && !message.streaming) el.append(h('div', { class: 'message-meta' }, message.meta));
}

function isNearBottom(): boolean {
  return transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 80;
}

function scrollToBottom(): void {
  transcript.scrollTop = transcript.scrollHeight;
}

function renderTranscript(): void {
  transcript.replaceChildren();
  blocksById.clear();
  if (state.summary) {
    transcript.append(h('details', { class: 'summary' }, h('summary', {}, 'Earlier conversation (summary)'), h('div', { class: 'plain' }, state.summary)));
  }
  if (state.messages.length === 0 && !state.summary) {
    transcript.append(emptyState());
  }
  for (const m of state.messages) transcript.append(messageElement(m));
  scrollToBottom();
}

function scheduleRender(id: string): void {
  dirty.add(id);
  if (renderTimer !== undefined) return;
  renderTimer = window.setTimeout(() => {
    renderTimer = undefined;
    const stick = isNearBottom();
    for (const dirtyId of dirty) {
      const message = state.messages.find((m) => m.id === dirtyId);
      const el = document.getElementById(dirtyId);
      if (message && el) fillMessage(el, message);
    }
    dirty.clear();
    if (stick) scrollToBottom();
  }, 24);
}

function renderStatus(status: StatusView): void {
  state.status = status;
  const view = statusText(status);
  modelLabel.textContent = view.label;
  modelLabel.title = view.labelTitle;
  stateDot.className = view.dotClass;
  stateDot.title = view.dotTitle;
}

function renderContextUsage(usage: ContextUsageView | undefined): void {
  state.contextUsage = usage;
  meter.hidden = !usage;
  if (!usage) return;
  const view = meterText(usage);
  meterFill.style.width = view.width;
  meter.classList.toggle('warn', view.warn);
  meter.classList.toggle('full', view.full);
  meterLabel.textContent = view.text;
  meter.title = view.title;
}

function renderBusy(busy: boolean): void {
  state.busy = busy;
  sendButton.hidden = busy;
  stopButton.hidden = !busy;
  document.body.classList.toggle('busy', busy);
}

function renderEditor(label: string | undefined): void {
  state.editorLabel = label;
  contextLabel.textContent = label ? label : 'No active editor';
  contextToggle.checked = state.includeContext;
  contextToggle.disabled = !label;
}

function renderSessionTitle(): void {
  const title = state.sessionTitle;
  sessionTitle.textContent = title ?? '';
  sessionTitle.parentElement!.hidden = !title;
}

function renderAll(): void {
  renderMode(state.mode, input);
  renderStatus(state.status);
  renderContextUsage(state.contextUsage);
  renderBusy(state.busy);
  renderEditor(state.editorLabel);
  renderSessionTitle();
  renderTranscript();
}

function renderSessions(sessions: SessionView[], currentId: string | undefined): void {
  sessionsList.replaceChildren();
  if (sessions.length === 0) {
    sessionsList.append(h('li', { class: 'sessions-empty' }, 'No sessions in this workspace yet.'));
  }
  for (const s of sessions) {
    sessionsList.append(
      h(
        'li',
        { class: `session${s.id === currentId ? ' current' : ''}`, 'data-id': s.id },
        h('button', { class: 'session-open', 'data-session-action': 'resume', title: 'Resume this session' }, h('span', { class: 'session-name' }, s.title), h('span', { class: 'session-meta' }, sessionMeta(s))),
        h(
          'span',
          { class: 'session-actions' },
          h('button', { class: 'link-button', 'data-session-action': 'export', title: 'Open as Markdown' }, 'Export'),
          h('button', { class: 'link-button danger', 'data-session-action': 'delete', title: 'Delete this session' }, 'Delete'),
        ),
      ),
    );
  }
}

let noticeTimer: number | undefined;
function showNotice(text: string, level: 'info' | 'error'): void {
  noticeBox.textContent = text;
  noticeBox.className = `notice notice-${level}`;
  noticeBox.hidden = false;
  if (noticeTimer !== undefined) window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => (noticeBox.hidden = true), level === 'error' ? 8000 : 3500);
}

function autosize(): void {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}

// ---------------------------------------------------------------- events

function send(): void {
  const text = input.value.trim();
  if (!text || state.busy) return;
  post({ type: 'send', text });
  input.value = '';
  autosize();
}

input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
input.addEventListener('input', autosize);
sendButton.addEventListener('click', send);
stopButton.addEventListener('click', () => post({ type: 'stop' }));
document.getElementById('close-sessions')!.addEventListener('click', () => (sessionsPanel.hidden = true));
compactButton.addEventListener('click', () => post({ type: 'compact' }));
contextToggle.addEventListener('change', () => {
  state.includeContext = contextToggle.checked;
  post({ type: 'toggleContext', value: contextToggle.checked });
});

sessionsList.addEventListener('click', (e) => {
  const target = (e.target as HTMLElement).closest<HTMLElement>('[data-session-action]');
  const item = target?.closest<HTMLElement>('[data-id]');
  if (!target || !item) return;
  const id = item.dataset.id!;
  const action = target.dataset.sessionAction;
  if (action === 'resume') {
    sessionsPanel.hidden = true;
    post({ type: 'resumeSession', id });
  } else if (action === 'export') post({ type: 'exportSession', id });
  else if (action === 'delete') post({ type: 'deleteSession', id });
});

transcript.addEventListener('click', (e) => {
  const target = e.target as HTMLElement;
  const example = target.closest<HTMLElement>('[data-example]');
  if (example) {
    input.value = example.dataset.example!;
    autosize();
    input.focus();
    return;
  }
  const command = target.closest<HTMLElement>('[data-command]');
  if (command) {
    post({ type: 'command', command: command.dataset.command! });
    return;
  }
  const link = target.closest<HTMLAnchorElement>('a[href]');
  if (link) {
    e.preventDefault();
    post({ type: 'openLink', href: link.getAttribute('href')! });
    return;
  }
  const button = target.closest<HTMLElement>('[data-action]');
  const blockEl = button?.closest<HTMLElement>('.code-block');
  const messageEl = blockEl?.closest<HTMLElement>('.message');
  if (!button || !blockEl || !messageEl) return;
  const block = blocksById.get(messageEl.id)?.[Number(blockEl.dataset.index)];
  if (!block) return;
  const action = button.dataset.action;
  if (action === 'copy') {
    post({ type: 'copy', code: block.code });
    button.textContent = 'Copied';
    window.setTimeout(() => (button.textContent = 'Copy'), 1500);
  } else if (action === 'insert') post({ type: 'insert', code: block.code });
  else if (action === 'apply') post({ type: 'apply', code: block.code });
});

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  switch (m.type) {
    case 'state':
      state = m.state;
      sessionsPanel.hidden = true;
      renderAll();
      break;
    case 'append': {
      state.messages.push(m.message);
      transcript.querySelector('.empty')?.remove();
      transcript.append(messageElement(m.message));
      scrollToBottom();
      break;
    }
    case 'delta': {
      const message = state.messages.find((x) => x.id === m.id);
      if (message) {
        message.text += m.text;
        scheduleRender(m.id);
      }
      break;
    }
    case 'update': {
      const i = state.messages.findIndex((x) => x.id === m.message.id);
      if (i >= 0) {
        state.messages[i] = m.message;
        scheduleRender(m.message.id);
      }
      break;
    }
    case 'busy':
      renderBusy(m.busy);
      break;
    case 'status':
      renderStatus(m.status);
      break;
    case 'contextUsage':
      renderContextUsage(m.usage);
      break;
    case 'editor':
      renderEditor(m.label);
      break;
    case 'sessions':
      renderSessions(m.sessions, m.currentId);
      if (m.show) sessionsPanel.hidden = false;
      break;
    case 'notice':
      showNotice(m.text, m.level);
      break;
    case 'mode':
      state.mode = m.mode;
      renderMode(m.mode, input);
      break;
    case 'focusInput':
      if (m.text !== undefined) {
        input.value = m.text;
        autosize();
      }
      input.focus();
      break;
  }
});

renderAll();
post({ type: 'ready' });
