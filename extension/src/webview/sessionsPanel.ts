// The sessions panel: the workspace's saved sessions with Resume / Export / Delete, shown on the
// extension's request (the view's history button) and closed by its close button or a resume.
import type { FromWebview, SessionView } from '../webviewProtocol';
import { h } from './dom';
import { sessionMeta } from './format';
import { ICONS } from './icons';

export interface SessionsPanel {
  element: HTMLElement;
  render(sessions: SessionView[], currentId: string | undefined): void;
  show(): void;
  hide(): void;
}

export function createSessionsPanel(post: (message: FromWebview) => void): SessionsPanel {
  const list = h('ul', { class: 'sessions-list', id: 'sessions-list' });
  const closeButton = h('button', { class: 'icon-button', id: 'close-sessions', title: 'Close', 'aria-label': 'Close sessions' }, ICONS.close());
  const panel = h(
    'section',
    { class: 'sessions', id: 'sessions', hidden: true, 'aria-label': 'Sessions' },
    h('div', { class: 'sessions-header' }, h('span', {}, 'Sessions'), closeButton),
    list,
  );
  const hide = () => {
    panel.hidden = true;
  };

  function render(sessions: SessionView[], currentId: string | undefined): void {
    list.replaceChildren();
    if (sessions.length === 0) {
      list.append(h('li', { class: 'sessions-empty' }, 'No sessions in this workspace yet.'));
    }
    for (const s of sessions) {
      list.append(
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

  closeButton.addEventListener('click', hide);
  list.addEventListener('click', (e) => {
    const target = (e.target as HTMLElement).closest<HTMLElement>('[data-session-action]');
    const item = target?.closest<HTMLElement>('[data-id]');
    if (!target || !item) return;
    const id = item.dataset.id!;
    const action = target.dataset.sessionAction;
    if (action === 'resume') {
      hide();
      post({ type: 'resumeSession', id });
    } else if (action === 'export') post({ type: 'exportSession', id });
    else if (action === 'delete') post({ type: 'deleteSession', id });
  });

  return {
    element: panel,
    render,
    show: () => {
      panel.hidden = false;
    },
    hide,
  };
}
