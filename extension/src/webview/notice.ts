// The transient notice line above the composer (e.g. "Compacted (…)"); errors stay longer.
import { h } from './dom';

export interface Notice {
  element: HTMLElement;
  show(text: string, level: 'info' | 'error'): void;
}

export function createNotice(): Notice {
  const box = h('div', { class: 'notice', id: 'notice', role: 'status', hidden: true });
  let timer: number | undefined;
  return {
    element: box,
    show(text, level) {
      box.textContent = text;
      box.className = `notice notice-${level}`;
      box.hidden = false;
      if (timer !== undefined) window.clearTimeout(timer);
      timer = window.setTimeout(() => (box.hidden = true), level === 'error' ? 8000 : 3500);
    },
  };
}
