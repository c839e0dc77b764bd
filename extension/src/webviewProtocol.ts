// Messages between the extension and the chat webview. Shared by both sides (types only).
import type { ChangeKind, ChatMode, OutcomeStatus } from './protocol';

export interface ToolView {
  id: string;
  label: string;
  done: boolean;
  isError: boolean;
  /** A command's streamed output (its tail when long). */
  output?: string;
  outputTruncated?: boolean;
}

/** One file of an agent turn's change set, pending review or with its outcome. */
export interface ChangeView {
  id: string;
  kind: ChangeKind;
  label: string;
  status: 'pending' | OutcomeStatus;
  reason?: string;
}

export type MessageRole = 'user' | 'assistant' | 'explanation' | 'notice';

export interface TranscriptMessage {
  id: string;
  role: MessageRole;
  text: string;
  title?: string;
  streaming?: boolean;
  interrupted?: boolean;
  error?: string;
  /** A hint shown under an error, with an action button (e.g. set the API key). */
  errorAction?: { label: string; command: string };
  tools?: ToolView[];
  meta?: string;
  mode?: ChatMode;
  /** Agent mode: the turn's changes. */
  changes?: ChangeView[];
  /** The turn waits for the user (a command approval, a review), with an optional action. */
  awaiting?: { text: string; action?: { label: string; command: string } };
  /** The turn's applied changes can be undone (only the last agent turn's), or were. */
  undo?: 'available' | 'done';
}

export interface ContextUsageView {
  tokens: number;
  window: number;
  percent: number;
}

export interface StatusView {
  state: string;
  provider?: string;
  model?: string;
  version?: string;
  ready?: boolean;
  error?: string;
}

export interface SessionView {
  id: string;
  title: string;
  updatedAt?: string;
  messageCount?: number;
}

export interface ViewState {
  sessionId?: string;
  sessionTitle?: string;
  messages: TranscriptMessage[];
  contextUsage?: ContextUsageView;
  status: StatusView;
  includeContext: boolean;
  editorLabel?: string;
  busy: boolean;
  summary?: string;
  mode: ChatMode;
}

export type ToWebview =
  | { type: 'state'; state: ViewState }
  | { type: 'append'; message: TranscriptMessage }
  | { type: 'delta'; id: string; text: string }
  | { type: 'update'; message: TranscriptMessage }
  | { type: 'busy'; busy: boolean }
  | { type: 'status'; status: StatusView }
  | { type: 'contextUsage'; usage: ContextUsageView | undefined }
  | { type: 'editor'; label: string | undefined }
  | { type: 'sessions'; sessions: SessionView[]; currentId?: string; show: boolean }
  | { type: 'notice'; text: string; level: 'info' | 'error' }
  | { type: 'focusInput'; text?: string }
  | { type: 'mode'; mode: ChatMode };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'newChat' }
  | { type: 'listSessions' }
  | { type: 'resumeSession'; id: string }
  | { type: 'deleteSession'; id: string }
  | { type: 'exportSession'; id: string }
  | { type: 'compact' }
  | { type: 'copy'; code: string }
  | { type: 'insert'; code: string }
  | { type: 'apply'; code: string }
  | { type: 'toggleContext'; value: boolean }
  | { type: 'openLink'; href: string }
  | { type: 'command'; command: string }
  | { type: 'setMode'; mode: ChatMode };
