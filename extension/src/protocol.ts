// Types of Victor's custom LSP methods, as documented in docs/protocol.md.
// Field names are camelCase on the wire; positions are LSP positions (0-based, UTF-16).

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextDocumentIdentifier {
  uri: string;
}

/** An LSP diagnostic, as sent by the client (only the fields Victor reads are typed). */
export interface LspDiagnostic {
  range: Range;
  message: string;
  severity?: number;
  code?: string | number;
  source?: string;
}

export interface EditorContextParams {
  textDocument?: TextDocumentIdentifier;
  range?: Range;
  position?: Position;
  diagnostics?: LspDiagnostic[];
  workspaceFolder?: string;
}

/** Ask: answers only (read-only tools). Agent: may edit files and run commands, under review. */
export type ChatMode = 'ask' | 'agent';

export interface ChatParams extends EditorContextParams {
  message: string;
  sessionId?: string;
  partialResultToken?: string;
  mode?: ChatMode;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  totalTokens: number;
}

export interface ContextInfo {
  tokens: number;
  window: number;
  percent: number;
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'interrupted' | string;

export interface ChatResult {
  sessionId: string;
  turnId: string;
  content: string;
  usage?: Usage;
  stopReason?: StopReason;
  context?: ContextInfo;
  compacted?: boolean;
  mode?: ChatMode;
  /** Agent mode: the outcome of every change of the turn (empty when none). */
  changes?: ChangeOutcome[];
}

export type ChangeKind = 'edit' | 'create' | 'delete' | 'rename';
export type ChangeStatus = 'accepted' | 'rejected' | 'conflict' | 'failed';
/** What became of a change: a review status, or `dropped` (the turn stopped before its review). */
export type OutcomeStatus = ChangeStatus | 'dropped';

/** A change of the agent's pending change set, as streamed (`$/progress {changes}`). */
export interface PendingChange {
  id: string;
  kind: ChangeKind;
  uri: string;
  newUri?: string | null;
}

/** What became of one change after review (`$/progress {review}`, ChatResult.changes). */
export interface ChangeOutcome extends PendingChange {
  status: OutcomeStatus;
  reason?: string;
}

/** One change of `victor/reviewChanges` (server -> client). */
export interface ReviewChange extends PendingChange {
  /** The open document's version the change was computed against; null: computed from disk. */
  version: number | null;
  /** Full text before / after; null for the side that does not exist (and for renames). */
  before: string | null;
  after: string | null;
}

export interface ReviewChangesParams {
  sessionId: string;
  turnId: string;
  folder?: string;
  changes: ReviewChange[];
}

export interface ChangeResult {
  id: string;
  status: ChangeStatus;
  reason?: string;
}

export interface ReviewChangesResult {
  results: ChangeResult[];
}

export interface ToolCall {
  id: string;
  name: string;
  arguments?: unknown;
}

export interface ToolResult {
  id: string;
  content?: string;
  isError?: boolean;
}

/** The value of a `$/progress` notification for a chat or generate request. */
export interface ChatProgress {
  sessionId?: string;
  turnId?: string;
  delta?: string;
  toolCall?: ToolCall;
  toolResult?: ToolResult;
  /** A chunk of a running command's stdout/stderr. */
  toolOutput?: { id: string; text: string };
  /** The pending change set grew (agent mode). */
  changes?: PendingChange[];
  /** The outcome of a review. */
  review?: ChangeOutcome[];
}

export interface TextEdit {
  range: Range;
  newText: string;
}

/** The subset of an LSP WorkspaceEdit the server sends (`changes`; `documentChanges` tolerated). */
export interface WorkspaceEditLike {
  changes?: Record<string, TextEdit[]>;
  documentChanges?: Array<{ textDocument: { uri: string; version?: number | null }; edits: TextEdit[] }>;
}

export interface GenerateParams {
  textDocument: TextDocumentIdentifier;
  instruction: string;
  range?: Range;
  position?: Position;
  sessionId?: string;
  partialResultToken?: string;
}

export interface GenerateResult {
  text: string;
  edit: WorkspaceEditLike;
  formatter: string | null;
  sessionId?: string;
  turnId?: string;
}

export interface SessionSummary {
  id: string;
  title?: string | null;
  createdAt?: string;
  updatedAt?: string;
  messageCount?: number;
}

export interface SessionMessage {
  role: 'user' | 'assistant' | 'system' | string;
  content: string;
  createdAt?: string;
  interrupted?: boolean;
}

export interface SessionDetail {
  id: string;
  title?: string | null;
  messages: SessionMessage[];
  summary?: string | null;
}

export interface CompactResult {
  before: { messages: number; tokens: number };
  after: { messages: number; tokens: number };
  /** `null` when nothing was compacted. */
  strategy: string | null;
  /** false: the session was short enough that every message was kept as it was. */
  compacted?: boolean;
}

/** What the chat view says after `victor/compact`. */
export function compactNotice(result: CompactResult): string {
  if (result.compacted === false || result.strategy === null) {
    return `Nothing to compact: all ${result.before.messages} messages are kept as they are.`;
  }
  return (
    `Compacted (${result.strategy}): ${result.before.messages} → ${result.after.messages} messages, ` +
    `${result.before.tokens.toLocaleString('en-US')} → ${result.after.tokens.toLocaleString('en-US')} tokens.`
  );
}

export interface PromptContribution {
  name: string;
  priority?: number;
  text: string;
  /** Where it is sent: in the system prompt, or with the next user message. */
  part?: 'system' | 'editor';
}

/** victor/prompt (alias victor/systemPrompt). Servers before the turn layout send only
 * `prompt` and `contributions`. */
export interface SystemPromptResult {
  prompt: string;
  contributions?: PromptContribution[];
  layout?: 'turn' | 'legacy';
  system?: Array<{ text: string; cacheBreakpoint: boolean }>;
  editorContext?: string;
  cacheBreakpoints?: string[];
}

export interface StatusResult {
  version?: string;
  provider?: string;
  model?: string;
  workspaceFolders?: string[];
  /** Per folder: workspace trust (limited mode when false) and settings not applied. */
  folders?: FolderStatus[];
  ready?: boolean;
}

export interface FolderStatus {
  uri: string;
  trusted: boolean;
  trustSource?: string;
  ignoredSettings?: string[];
}

/** `victor/setTrust` (client -> server notification). */
export interface SetTrustParams {
  trusted: boolean;
  workspaceFolder?: string;
}

export interface ContextUsageNotification extends ContextInfo {
  sessionId: string;
}

export interface ExplanationNotification {
  sessionId?: string;
  title?: string;
  markdown: string;
}

export const Methods = {
  chat: 'victor/chat',
  generate: 'victor/generate',
  sessionsList: 'victor/sessions/list',
  sessionsNew: 'victor/sessions/new',
  sessionsGet: 'victor/sessions/get',
  sessionsDelete: 'victor/sessions/delete',
  sessionsExport: 'victor/sessions/export',
  compact: 'victor/compact',
  systemPrompt: 'victor/systemPrompt',
  status: 'victor/status',
  setTrust: 'victor/setTrust',
  contextUsage: 'victor/contextUsage',
  explanation: 'victor/explanation',
  reviewChanges: 'victor/reviewChanges',
  commandsList: 'victor/commands/list',
  commandsAllow: 'victor/commands/allow',
  commandsRemove: 'victor/commands/remove',
} as const;

/** JSON-RPC error codes the extension distinguishes. */
export const ErrorCodes = {
  InvalidParams: -32602,
  RequestCancelled: -32800,
  RequestFailed: -32803,
} as const;
