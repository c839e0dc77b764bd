// Accumulates the `$/progress` values of a streamed chat/generate request into text and tool
// activity. Pure.
import type { ChatProgress, ToolCall } from './protocol';

export interface ToolActivity {
  id: string;
  name: string;
  arguments?: unknown;
  done: boolean;
  isError: boolean;
  result?: string;
}

export type StreamEvent =
  | { kind: 'delta'; text: string }
  | { kind: 'toolCall'; tool: ToolActivity }
  | { kind: 'toolResult'; tool: ToolActivity };

export class StreamAccumulator {
  private parts: string[] = [];
  private readonly toolMap = new Map<string, ToolActivity>();
  sessionId: string | undefined;
  turnId: string | undefined;

  /** Adds one progress value; returns what it contained, in order. Unknown shapes are ignored. */
  push(value: ChatProgress | null | undefined): StreamEvent[] {
    if (!value || typeof value !== 'object') return [];
    if (typeof value.sessionId === 'string') this.sessionId = value.sessionId;
    if (typeof value.turnId === 'string') this.turnId = value.turnId;
    const events: StreamEvent[] = [];
    if (typeof value.delta === 'string' && value.delta.length > 0) {
      this.parts.push(value.delta);
      events.push({ kind: 'delta', text: value.delta });
    }
    if (value.toolCall && typeof value.toolCall.id === 'string') {
      const tool = this.callStarted(value.toolCall);
      events.push({ kind: 'toolCall', tool });
    }
    if (value.toolResult && typeof value.toolResult.id === 'string') {
      const r = value.toolResult;
      const tool = this.toolMap.get(r.id) ?? this.callStarted({ id: r.id, name: 'tool' });
      tool.done = true;
      tool.isError = r.isError === true;
      if (typeof r.content === 'string') tool.result = r.content;
      events.push({ kind: 'toolResult', tool });
    }
    return events;
  }

  private callStarted(call: ToolCall): ToolActivity {
    const tool: ToolActivity = {
      id: call.id,
      name: typeof call.name === 'string' ? call.name : 'tool',
      arguments: call.arguments,
      done: false,
      isError: false,
    };
    this.toolMap.set(call.id, tool);
    return tool;
  }

  /** The text so far (the deltas concatenated in order). */
  get text(): string {
    if (this.parts.length > 1) this.parts = [this.parts.join('')];
    return this.parts[0] ?? '';
  }

  get tools(): ToolActivity[] {
    return [...this.toolMap.values()];
  }

  /**
   * The final text: the server's `content` when the request completed (it equals the deltas,
   * but is authoritative), else what was streamed (cancelled or failed turns).
   */
  finish(content?: string | null): string {
    if (typeof content === 'string') {
      this.parts = [content];
    }
    return this.text;
  }
}

/** A short human label for a tool call: `read_file src/app.py`. */
export function describeToolCall(tool: Pick<ToolActivity, 'name' | 'arguments'>): string {
  const args = tool.arguments;
  if (args && typeof args === 'object' && !Array.isArray(args)) {
    const record = args as Record<string, unknown>;
    for (const key of ['path', 'file', 'query', 'pattern', 'uri', 'name']) {
      const v = record[key];
      if (typeof v === 'string' && v) return `${tool.name} ${v}`;
    }
  }
  return tool.name;
}
