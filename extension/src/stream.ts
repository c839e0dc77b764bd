// Accumulates the `$/progress` values of a streamed chat/generate request into text and tool
// activity. Pure.
import type { ChangeOutcome, ChatProgress, PendingChange, ToolCall } from './protocol';

/** Most characters of a command's output kept per tool call (the start is dropped past it). */
export const TOOL_OUTPUT_CAP = 20_000;

export interface ToolActivity {
  id: string;
  name: string;
  arguments?: unknown;
  done: boolean;
  isError: boolean;
  result?: string;
  /** Streamed command output (`toolOutput`), its last TOOL_OUTPUT_CAP characters. */
  output?: string;
  outputTruncated?: boolean;
}

/** A change of the agent's change set: pending until reviewed, then its outcome. */
export type ChangeActivity = PendingChange & Partial<Pick<ChangeOutcome, 'status' | 'reason'>>;

export type StreamEvent =
  | { kind: 'delta'; text: string }
  | { kind: 'toolCall'; tool: ToolActivity }
  | { kind: 'toolResult'; tool: ToolActivity }
  | { kind: 'toolOutput'; tool: ToolActivity }
  | { kind: 'changes'; changes: ChangeActivity[] };

export class StreamAccumulator {
  private parts: string[] = [];
  private readonly toolMap = new Map<string, ToolActivity>();
  private readonly changeMap = new Map<string, ChangeActivity>();
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
    if (value.toolOutput && typeof value.toolOutput.id === 'string' && typeof value.toolOutput.text === 'string') {
      const tool = this.toolMap.get(value.toolOutput.id) ?? this.callStarted({ id: value.toolOutput.id, name: 'run_command' });
      const output = (tool.output ?? '') + value.toolOutput.text;
      tool.output = output.length > TOOL_OUTPUT_CAP ? output.slice(output.length - TOOL_OUTPUT_CAP) : output;
      if (output.length > TOOL_OUTPUT_CAP) tool.outputTruncated = true;
      events.push({ kind: 'toolOutput', tool });
    }
    const grew = Array.isArray(value.changes) ? this.replacePending(value.changes) : false;
    const reviewed = Array.isArray(value.review) ? this.mergeChanges(value.review) : false;
    if (grew || reviewed) events.push({ kind: 'changes', changes: this.changes });
    return events;
  }

  /**
   * `{changes}` carries the whole pending set: pending entries missing from it are gone (e.g. a
   * created file deleted again); reviewed ones stay with their outcome.
   */
  private replacePending(items: readonly PendingChange[]): boolean {
    const ids = new Set(items.map((c) => c?.id));
    let changed = false;
    for (const [id, change] of this.changeMap) {
      if (!change.status && !ids.has(id)) {
        this.changeMap.delete(id);
        changed = true;
      }
    }
    return this.mergeChanges(items) || changed;
  }

  /** Adds or updates changes by id (a review's outcome replaces the pending entry). */
  mergeChanges(items: ReadonlyArray<PendingChange | ChangeOutcome>): boolean {
    let changed = false;
    for (const item of items) {
      if (!item || typeof item.id !== 'string' || typeof item.uri !== 'string') continue;
      this.changeMap.set(item.id, { ...this.changeMap.get(item.id), ...item });
      changed = true;
    }
    return changed;
  }

  /** The turn's changes in the order they first appeared. */
  get changes(): ChangeActivity[] {
    return [...this.changeMap.values()];
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
    const command = record.command;
    if (Array.isArray(command) && command.every((a) => typeof a === 'string')) return `${tool.name} ${command.join(' ')}`;
    for (const key of ['path', 'file', 'query', 'pattern', 'uri', 'name']) {
      const v = record[key];
      if (typeof v === 'string' && v) return `${tool.name} ${v}`;
    }
  }
  return tool.name;
}
