// One transcript message as DOM: its head (author, badges), tool calls, agent parts, body
// (Markdown for Victor's answers, plain text for the user's), error box and meta line.
import type { CodeBlock, Rendered } from '../markdown';
import type { TranscriptMessage } from '../webviewProtocol';
import { agentParts, toolOutput } from './agent';
import { h } from './dom';
import { roleLabel } from './format';

/** Markdown to sanitized HTML plus its code blocks (main.ts binds the renderer and sanitizer). */
export type RenderMarkdown = (text: string) => Rendered;

/** A new `<article>` for `message`; its code blocks go to `onBlocks`. */
export function messageElement(
  message: TranscriptMessage,
  render: RenderMarkdown,
  onBlocks: (id: string, blocks: CodeBlock[]) => void,
): HTMLElement {
  const el = h('article', { class: `message ${message.role}`, id: message.id, 'data-role': message.role });
  fillMessage(el, message, render, onBlocks);
  return el;
}

/** Replaces `el`'s content with `message`'s; the code blocks of a Markdown body go to `onBlocks`. */
export function fillMessage(
  el: HTMLElement,
  message: TranscriptMessage,
  render: RenderMarkdown,
  onBlocks: (id: string, blocks: CodeBlock[]) => void,
): void {
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
    const rendered = render(message.text);
    body.innerHTML = rendered.html;
    onBlocks(message.id, rendered.blocks);
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
