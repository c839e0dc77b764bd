// The transcript pane: the earlier-conversation summary, the messages (or the empty state with
// example prompts), streamed updates re-rendered in 24 ms batches, and its clicks (examples,
// command buttons, links, code-block Copy / Insert / Apply).
import type { CodeBlock } from '../markdown';
import type { FromWebview, TranscriptMessage } from '../webviewProtocol';
import { h } from './dom';
import { ICONS } from './icons';
import { fillMessage, messageElement, type RenderMarkdown } from './messageView';

export interface TranscriptDeps {
  post: (message: FromWebview) => void;
  render: RenderMarkdown;
  /** The current state's message with this id (looked up when a batched re-render runs). */
  findMessage: (id: string) => TranscriptMessage | undefined;
  /** An example prompt was clicked. */
  onExample: (text: string) => void;
}

export interface TranscriptView {
  element: HTMLElement;
  /** Renders the whole transcript and scrolls to its end. */
  render(summary: string | undefined, messages: TranscriptMessage[]): void;
  /** Adds a message at the end (dropping the empty state) and scrolls to it. */
  append(message: TranscriptMessage): void;
  /** Re-renders the message with this id soon, keeping the view at the end if it was there. */
  scheduleRender(id: string): void;
}

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

export function createTranscript(deps: TranscriptDeps): TranscriptView {
  const transcript = h('main', { class: 'transcript', id: 'transcript', 'aria-live': 'polite' });
  const blocksById = new Map<string, CodeBlock[]>();
  const keepBlocks = (id: string, blocks: CodeBlock[]) => blocksById.set(id, blocks);
  const dirty = new Set<string>();
  let renderTimer: number | undefined;

  const isNearBottom = () => transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 80;
  const scrollToBottom = () => {
    transcript.scrollTop = transcript.scrollHeight;
  };

  function render(summary: string | undefined, messages: TranscriptMessage[]): void {
    transcript.replaceChildren();
    blocksById.clear();
    if (summary) {
      transcript.append(h('details', { class: 'summary' }, h('summary', {}, 'Earlier conversation (summary)'), h('div', { class: 'plain' }, summary)));
    }
    if (messages.length === 0 && !summary) {
      transcript.append(emptyState());
    }
    for (const m of messages) transcript.append(messageElement(m, deps.render, keepBlocks));
    scrollToBottom();
  }

  function append(message: TranscriptMessage): void {
    transcript.querySelector('.empty')?.remove();
    transcript.append(messageElement(message, deps.render, keepBlocks));
    scrollToBottom();
  }

  function scheduleRender(id: string): void {
    dirty.add(id);
    if (renderTimer !== undefined) return;
    renderTimer = window.setTimeout(() => {
      renderTimer = undefined;
      const stick = isNearBottom();
      for (const dirtyId of dirty) {
        const message = deps.findMessage(dirtyId);
        const el = document.getElementById(dirtyId);
        if (message && el) fillMessage(el, message, deps.render, keepBlocks);
      }
      dirty.clear();
      if (stick) scrollToBottom();
    }, 24);
  }

  transcript.addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    const example = target.closest<HTMLElement>('[data-example]');
    if (example) {
      deps.onExample(example.dataset.example!);
      return;
    }
    const command = target.closest<HTMLElement>('[data-command]');
    if (command) {
      deps.post({ type: 'command', command: command.dataset.command! });
      return;
    }
    const link = target.closest<HTMLAnchorElement>('a[href]');
    if (link) {
      e.preventDefault();
      deps.post({ type: 'openLink', href: link.getAttribute('href')! });
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
      deps.post({ type: 'copy', code: block.code });
      button.textContent = 'Copied';
      window.setTimeout(() => (button.textContent = 'Copy'), 1500);
    } else if (action === 'insert') deps.post({ type: 'insert', code: block.code });
    else if (action === 'apply') deps.post({ type: 'apply', code: block.code });
  });

  return { element: transcript, render, append, scheduleRender };
}
