// The chat webview's text for what the extension reports: the server status line, the context
// meter, a message's author, a session's age and size. Pure functions (no DOM), so they are
// unit-tested in Node (test/webviewFormat.test.ts).
import type { ContextUsageView, SessionView, StatusView, TranscriptMessage } from '../webviewProtocol';

export interface StatusText {
  /** The header's label: provider · model, or what the server is doing. */
  label: string;
  /** The label's tooltip: the server version and its error, if any. */
  labelTitle: string;
  /** The state dot's classes. */
  dotClass: string;
  dotTitle: string;
}

export function statusText(status: StatusView): StatusText {
  const model = [status.provider, status.model].filter(Boolean).join(' · ');
  let label = model || 'Victor';
  if (status.state === 'starting' || status.state === 'restarting') label = `${model || 'Victor'} — ${status.state}…`;
  else if (status.state === 'failed' || status.state === 'stopped') label = 'Victor server stopped';
  return {
    label,
    labelTitle: [status.version ? `Victor ${status.version}` : 'Victor', status.error].filter(Boolean).join('\n'),
    dotClass: `state-dot state-${status.state}${status.ready === false ? ' state-scanning' : ''}`,
    dotTitle: status.state + (status.ready === false ? ' (scanning the workspace style)' : ''),
  };
}

export interface MeterText {
  /** The fill's CSS width, e.g. `42.0%`. */
  width: string;
  warn: boolean;
  full: boolean;
  text: string;
  title: string;
}

export function meterText(usage: ContextUsageView): MeterText {
  const share = usage.window > 0 ? usage.tokens / usage.window : 0;
  const pct = Math.max(0, Math.min(1, share));
  const percentText = share * 100 < 1 && share > 0 ? '<1%' : `${Math.round(share * 100)}%`;
  return {
    // A sliver stays visible for a small but non-zero share.
    width: `${Math.max(pct * 100, usage.tokens > 0 ? 2 : 0).toFixed(1)}%`,
    warn: pct >= 0.6 && pct < 0.85,
    full: pct >= 0.85,
    text: `${usage.tokens.toLocaleString('en-US')} / ${compactNumber(usage.window)} tokens · ${percentText}`,
    title: `Context: ${usage.tokens.toLocaleString('en-US')} of ${usage.window.toLocaleString('en-US')} tokens`,
  };
}

export function compactNumber(n: number): string {
  if (n >= 1_000_000) return `${+(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  return n.toLocaleString('en-US');
}

export function roleLabel(message: TranscriptMessage): string {
  switch (message.role) {
    case 'user':
      return 'You';
    case 'assistant':
      return 'Victor';
    case 'explanation':
      return message.title || 'Explanation';
    default:
      return 'Note';
  }
}

/** The time of day for today, else the date; empty when missing or unreadable. */
export function formatTime(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = date.toDateString() === now.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** A session row's second line: when it was last updated and how many messages it holds. */
export function sessionMeta(session: SessionView, now: Date = new Date()): string {
  return [formatTime(session.updatedAt, now), session.messageCount !== undefined ? `${session.messageCount} messages` : '']
    .filter(Boolean)
    .join(' · ');
}
