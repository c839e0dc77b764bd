// The view's top: the server state dot with provider · model, and the bar under it naming the
// current session (hidden while the session has no title).
import type { StatusView } from '../webviewProtocol';
import { h } from './dom';
import { statusText } from './format';

export interface Header {
  /** The header itself. */
  element: HTMLElement;
  /** The session-title bar (placed apart from the header, after the sessions panel). */
  sessionBar: HTMLElement;
  renderStatus(status: StatusView): void;
  renderSessionTitle(title: string | undefined): void;
}

export function createHeader(): Header {
  const modelLabel = h('span', { class: 'model', title: 'Provider and model' });
  const stateDot = h('span', { class: 'state-dot', title: 'Server state' });
  const sessionTitle = h('span', { class: 'session-title' });
  const header = h('header', { class: 'header' }, h('div', { class: 'header-main' }, stateDot, modelLabel));
  const sessionBar = h('div', { class: 'session-bar' }, sessionTitle);
  return {
    element: header,
    sessionBar,
    renderStatus(status) {
      const view = statusText(status);
      modelLabel.textContent = view.label;
      modelLabel.title = view.labelTitle;
      stateDot.className = view.dotClass;
      stateDot.title = view.dotTitle;
    },
    renderSessionTitle(title) {
      sessionTitle.textContent = title ?? '';
      sessionBar.hidden = !title;
    },
  };
}
