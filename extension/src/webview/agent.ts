// Agent mode in the chat webview: the Ask / Agent toggle, a command's streamed output, the
// turn's change set with review outcomes, what the turn waits for, and the undo button.
import type { ChatMode } from '../protocol';
import type { ChangeView, ToolView, TranscriptMessage } from '../webviewProtocol';
import { h } from './dom';

const MODES: Array<{ mode: ChatMode; label: string; title: string }> = [
  { mode: 'ask', label: 'Ask', title: 'Ask: Victor answers; it changes no file and runs no command' },
  { mode: 'agent', label: 'Agent', title: 'Agent: Victor may edit files and run commands you approve; you review every change' },
];

const buttons = new Map<ChatMode, HTMLButtonElement>();

/** The segmented Ask / Agent toggle; `onChange` is called with the mode picked. */
export function modeToggle(onChange: (mode: ChatMode) => void): HTMLElement {
  const group = h('div', { class: 'mode-toggle', role: 'radiogroup', 'aria-label': 'Chat mode' });
  for (const { mode, label, title } of MODES) {
    const button = h('button', { class: 'mode-option', id: `mode-${mode}`, role: 'radio', title, 'data-mode': mode }, label);
    button.addEventListener('click', () => {
      renderMode(mode);
      onChange(mode);
    });
    buttons.set(mode, button);
    group.append(button);
  }
  return group;
}

export function renderMode(mode: ChatMode, input?: HTMLTextAreaElement): void {
  for (const [m, button] of buttons) {
    button.classList.toggle('selected', m === mode);
    button.setAttribute('aria-checked', String(m === mode));
  }
  document.body.classList.toggle('agent-mode', mode === 'agent');
  if (input) {
    input.placeholder =
      mode === 'agent'
        ? 'Tell the agent what to change…  (you review every edit)'
        : 'Ask Victor…  (Enter to send, Shift+Enter for a new line)';
  }
}

/** A command's output under its tool line (the tail when it was long). */
export function toolOutput(tool: ToolView): HTMLElement {
  const pre = h('pre', { class: 'tool-output', 'data-tool': tool.id });
  pre.textContent = (tool.outputTruncated ? '… (earlier output cut)\n' : '') + (tool.output ?? '');
  // Keep the latest lines in view while it streams.
  requestAnimationFrame(() => (pre.scrollTop = pre.scrollHeight));
  return pre;
}

const STATUS_TEXT: Record<ChangeView['status'], string> = {
  pending: 'pending review',
  accepted: 'accepted',
  rejected: 'rejected',
  conflict: 'conflict',
  failed: 'failed',
  dropped: 'dropped (not reviewed)',
};

/** A status this view does not know is shown as it is. */
function statusText(status: string): string {
  return (STATUS_TEXT as Record<string, string>)[status] ?? status;
}

const KIND_MARK: Partial<Record<string, string>> = { edit: 'M', create: 'A', delete: 'D', rename: 'R' };

function changeList(changes: ChangeView[]): HTMLElement {
  const n = changes.length;
  const list = h('ul', { class: 'changes-list' });
  for (const c of changes) {
    const item = h(
      'li',
      { class: `change change-${c.status}`, 'data-change': c.id, title: c.reason ?? statusText(c.status) },
      h('span', { class: `change-kind kind-${c.kind}` }, KIND_MARK[c.kind] ?? '?'),
      h('code', { class: 'change-file' }, c.label),
      h('span', { class: 'change-status' }, statusText(c.status)),
    );
    if (c.reason) item.append(h('span', { class: 'change-reason' }, c.reason));
    list.append(item);
  }
  return h('section', { class: 'changes', 'aria-label': 'Changed files' }, h('div', { class: 'changes-head' }, `${n} file${n === 1 ? '' : 's'} changed`), list);
}

/** The agent parts of an answer, in display order (empty for an Ask answer). */
export function agentParts(message: TranscriptMessage): HTMLElement[] {
  const parts: HTMLElement[] = [];
  if (message.changes && message.changes.length > 0) parts.push(changeList(message.changes));
  if (message.awaiting) {
    const box = h('div', { class: 'awaiting', role: 'status' }, h('span', { class: 'awaiting-dot' }), h('span', {}, message.awaiting.text));
    if (message.awaiting.action) {
      box.append(h('button', { class: 'link-button', 'data-command': message.awaiting.action.command }, message.awaiting.action.label));
    }
    parts.push(box);
  }
  if (message.undo === 'available') {
    parts.push(
      h(
        'div',
        { class: 'undo-row' },
        h('button', { class: 'link-button undo-turn', 'data-command': 'victor.undoAgentTurn', title: 'Restore the files as they were before this turn' }, 'Undo this turn'),
      ),
    );
  } else if (message.undo === 'done') {
    parts.push(h('div', { class: 'undo-row' }, h('span', { class: 'badge' }, 'Undone')));
  }
  return parts;
}
