// The chat view's transcript entries made from what the server returns: a finished turn's
// footer, a tool call's line, the session list, a resumed session's history, the context
// gauge. Plain data (no VS Code API), so the chat session (chatSession.ts) stays about flow.
import type { ServerState } from './client';
import type { ChatResult, SessionDetail, SessionSummary, StatusResult } from './protocol';
import { describeToolCall, type ToolActivity } from './stream';
import type { ContextUsageView, SessionView, StatusView, ToolView, TranscriptMessage } from './webviewProtocol';

let counter = 0;
/** A transcript message id, unique in this extension host (`prefix` says where it came from). */
export const newMessageId = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** The footer of a finished answer: token usage and why it stopped early, if it did. */
export function describeResult(result: ChatResult | undefined): string | undefined {
  if (!result) return undefined;
  const parts: string[] = [];
  if (result.usage) {
    parts.push(`${result.usage.inputTokens.toLocaleString('en-US')} in · ${result.usage.outputTokens.toLocaleString('en-US')} out`);
  }
  if (result.stopReason === 'max_tokens') parts.push('stopped at the token limit');
  else if (result.stopReason === 'tool_use') parts.push('tool round limit reached');
  return parts.length ? parts.join(' · ') : undefined;
}

/** Puts a tool call's current view into `tools`: replaces the entry with its id, else appends. */
export function upsertToolView(tools: ToolView[], tool: ToolActivity): void {
  const view: ToolView = { id: tool.id, label: describeToolCall(tool), done: tool.done, isError: tool.isError };
  if (tool.output !== undefined) view.output = tool.output;
  if (tool.outputTruncated) view.outputTruncated = true;
  const i = tools.findIndex((t) => t.id === view.id);
  if (i >= 0) tools[i] = view;
  else tools.push(view);
}

export function sessionViews(sessions: readonly SessionSummary[]): SessionView[] {
  return sessions.map((s) => {
    const v: SessionView = { id: s.id, title: s.title?.trim() || 'Untitled session' };
    if (s.updatedAt ?? s.createdAt) v.updatedAt = (s.updatedAt ?? s.createdAt)!;
    if (typeof s.messageCount === 'number') v.messageCount = s.messageCount;
    return v;
  });
}

/** A stored session's user and assistant messages as transcript entries (no system or tool messages). */
export function historyMessages(detail: SessionDetail): TranscriptMessage[] {
  return (detail.messages ?? [])
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => {
      const msg: TranscriptMessage = { id: newMessageId('h'), role: m.role as 'user' | 'assistant', text: m.content ?? '' };
      if (m.interrupted) msg.interrupted = true;
      return msg;
    });
}

/** The context gauge for a usage report; undefined (no gauge) when it is incomplete. */
export function contextUsageView(
  usage: { tokens: number; window: number; percent?: number } | undefined,
): ContextUsageView | undefined {
  if (usage && typeof usage.tokens === 'number' && typeof usage.window === 'number' && usage.window > 0) {
    return {
      tokens: usage.tokens,
      window: usage.window,
      percent: typeof usage.percent === 'number' ? usage.percent : (usage.tokens / usage.window) * 100,
    };
  }
  return undefined;
}

/** The server's state and `victor/status` as the view's header shows them; the error only while not running. */
export function statusView(state: ServerState, status: StatusResult | undefined, error: string | undefined): StatusView {
  const view: StatusView = { state };
  if (status?.provider) view.provider = status.provider;
  if (status?.model) view.model = status.model;
  if (status?.version) view.version = status.version;
  if (status?.ready !== undefined) view.ready = status.ready;
  if (error && state !== 'running') view.error = error;
  return view;
}
