// The composer at the foot of the view: the context meter with Compact, the message box
// (Enter sends, Shift+Enter breaks the line), Send / Stop, the Ask / Agent toggle and the
// "send editor context" checkbox.
import type { ChatMode } from '../protocol';
import type { ContextUsageView, FromWebview } from '../webviewProtocol';
import { modeToggle, renderMode } from './agent';
import { h } from './dom';
import { meterText } from './format';
import { ICONS } from './icons';

export interface ComposerDeps {
  post: (message: FromWebview) => void;
  /** Whether a turn is running (Enter then sends nothing). */
  isBusy: () => boolean;
  /** The user ticked or cleared the editor-context checkbox. */
  onContextToggle: (include: boolean) => void;
}

export interface Composer {
  element: HTMLElement;
  renderMode(mode: ChatMode): void;
  renderBusy(busy: boolean): void;
  renderEditor(label: string | undefined, includeContext: boolean): void;
  renderContextUsage(usage: ContextUsageView | undefined): void;
  /** Focuses the message box, first replacing its text when `text` is given. */
  focus(text?: string): void;
}

export function createComposer(deps: ComposerDeps): Composer {
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
      h('div', { class: 'composer-options' }, modeToggle((mode) => deps.post({ type: 'setMode', mode })), h('label', { class: 'context-toggle', title: 'Send the active file, selection, cursor and diagnostics' }, contextToggle, ICONS.file(), contextLabel)),
      h('div', { class: 'composer-actions' }, stopButton, sendButton),
    ),
  );

  function autosize(): void {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  }

  function send(): void {
    const text = input.value.trim();
    if (!text || deps.isBusy()) return;
    deps.post({ type: 'send', text });
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
  stopButton.addEventListener('click', () => deps.post({ type: 'stop' }));
  compactButton.addEventListener('click', () => deps.post({ type: 'compact' }));
  contextToggle.addEventListener('change', () => deps.onContextToggle(contextToggle.checked));

  return {
    element: footer,
    renderMode: (mode) => renderMode(mode, input),
    renderBusy(busy) {
      sendButton.hidden = busy;
      stopButton.hidden = !busy;
      document.body.classList.toggle('busy', busy);
    },
    renderEditor(label, includeContext) {
      contextLabel.textContent = label ? label : 'No active editor';
      contextToggle.checked = includeContext;
      contextToggle.disabled = !label;
    },
    renderContextUsage(usage) {
      meter.hidden = !usage;
      if (!usage) return;
      const view = meterText(usage);
      meterFill.style.width = view.width;
      meter.classList.toggle('warn', view.warn);
      meter.classList.toggle('full', view.full);
      meterLabel.textContent = view.text;
      meter.title = view.title;
    },
    focus(text) {
      if (text !== undefined) {
        input.value = text;
        autosize();
      }
      input.focus();
    },
  };
}
