// The conversation in the chat view: its transcript, the server session it continues, Ask or
// Agent mode per session, and what changes them: sending a message (streamed into the answer),
// a new chat, resuming, deleting, exporting and compacting sessions. It reaches the webview only
// through `post`; chatView.ts hosts the webview and routes its messages here.
import * as vscode from 'vscode';
import { AgentChatState, defaultChatMode } from './agentChat';
import type { AgentReviewController } from './agentReviewUi';
import {
  contextUsageView,
  describeResult,
  historyMessages,
  newMessageId,
  sessionViews,
  statusView,
  upsertToolView,
} from './chatTranscript';
import { CHAT_VIEW_ID } from './chatWebview';
import type { VictorClient } from './client';
import { EditorTracker, describeEditor, editorContextParams, workspaceFolderFor } from './editorContext';
import { errorCode, errorKind, errorMessage } from './errors';
import { ErrorCodes, compactNotice, type ChatMode, type ChatResult, type ContextUsageNotification, type SessionDetail } from './protocol';
import { StreamAccumulator } from './stream';
import type { ContextUsageView, ToWebview, TranscriptMessage, ViewState } from './webviewProtocol';

export class ChatSession implements vscode.Disposable {
  private messages: TranscriptMessage[] = [];
  private sessionId: string | undefined;
  private sessionTitle: string | undefined;
  private summary: string | undefined;
  private contextUsage: ContextUsageView | undefined;
  /** Whether messages from the view carry the active editor's context (the view's toggle). */
  includeContext: boolean;
  private busy = false;
  private cancel: vscode.CancellationTokenSource | undefined;
  private restoredLatest = false;
  /** Ask or Agent, per session (the toggle in the view); new sessions start in the default. */
  private mode: ChatMode = defaultChatMode();
  private readonly modes = new Map<string, ChatMode>();
  private readonly agent: AgentChatState;
  private pendingUpdates = new Set<TranscriptMessage>();
  private updateTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: VictorClient,
    private readonly editors: EditorTracker,
    review: AgentReviewController,
    private readonly post: (message: ToWebview) => void,
  ) {
    this.agent = new AgentChatState(client, review, (m) => this.update(m));
    this.includeContext = vscode.workspace.getConfiguration('victor').get<boolean>('sendEditorContext', true);
  }

  get currentSessionId(): string | undefined {
    return this.sessionId;
  }

  /** Everything the webview shows, for a fresh (or reloaded) view. */
  private viewState(): ViewState {
    const state: ViewState = {
      messages: this.messages,
      status: statusView(this.client.state, this.client.status, this.client.error),
      includeContext: this.includeContext,
      busy: this.busy,
      mode: this.mode,
    };
    if (this.sessionId) state.sessionId = this.sessionId;
    if (this.sessionTitle) state.sessionTitle = this.sessionTitle;
    if (this.summary) state.summary = this.summary;
    if (this.contextUsage) state.contextUsage = this.contextUsage;
    const label = describeEditor(this.editors.editor);
    if (label) state.editorLabel = label;
    return state;
  }

  /** Posts the whole state: after the transcript or the session was replaced. */
  postState(): void {
    this.post({ type: 'state', state: this.viewState() });
  }

  append(message: TranscriptMessage): void {
    this.messages.push(message);
    this.post({ type: 'append', message });
  }

  private update(message: TranscriptMessage): void {
    this.post({ type: 'update', message });
  }

  /** Coalesces frequent updates of one message (streamed command output). */
  private updateSoon(message: TranscriptMessage): void {
    this.pendingUpdates.add(message);
    this.updateTimer ??= setTimeout(() => {
      this.updateTimer = undefined;
      const messages = [...this.pendingUpdates];
      this.pendingUpdates.clear();
      for (const m of messages) this.update(m);
    }, 60);
  }

  setMode(mode: ChatMode): void {
    this.mode = mode;
    if (this.sessionId) this.modes.set(this.sessionId, mode);
    this.post({ type: 'mode', mode });
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.post({ type: 'busy', busy });
    void vscode.commands.executeCommand('setContext', 'victor.chatBusy', busy);
  }

  private setContextUsage(usage: { tokens: number; window: number; percent?: number } | undefined): void {
    this.contextUsage = contextUsageView(usage);
    this.post({ type: 'contextUsage', usage: this.contextUsage });
  }

  /** `victor/contextUsage` from the server: shown when it is about this conversation. */
  contextUsageReported(n: ContextUsageNotification): void {
    if (!this.sessionId || !n.sessionId || n.sessionId === this.sessionId) {
      this.setContextUsage(n);
    }
  }

  notice(text: string, level: 'info' | 'error' = 'info'): void {
    this.post({ type: 'notice', text, level });
  }

  /** Sends `text` as a chat message (from the view, a command or the input). */
  async send(text: string, editorOverride?: vscode.TextEditor): Promise<void> {
    const message = text.trim();
    if (!message) return;
    if (this.busy) {
      this.notice('Victor is still answering: stop it first, or wait.', 'error');
      return;
    }
    const editor = editorOverride ?? this.editors.editor;
    const include = editorOverride ? true : this.includeContext;
    this.append({ id: newMessageId('u'), role: 'user', text: message });
    const mode = this.mode;
    const answer: TranscriptMessage = { id: newMessageId('a'), role: 'assistant', text: '', streaming: true, tools: [], mode };
    this.append(answer);
    this.agent.begin(answer);
    this.setBusy(true);
    const cts = new vscode.CancellationTokenSource();
    this.cancel = cts;
    const acc = new StreamAccumulator();
    const params = { message, ...editorContextParams(editor, include) } as Parameters<VictorClient['chat']>[0];
    if (this.sessionId) params.sessionId = this.sessionId;
    params.mode = mode;
    try {
      const result: ChatResult = await this.client.chat(
        params,
        (value) => {
          for (const event of acc.push(value)) {
            if (event.kind === 'delta') {
              answer.text += event.text;
              this.post({ type: 'delta', id: answer.id, text: event.text });
            } else if (event.kind === 'changes') {
              this.agent.setChanges(answer, event.changes);
              this.update(answer);
            } else {
              upsertToolView((answer.tools ??= []), event.tool);
              if (event.kind === 'toolOutput') this.updateSoon(answer);
              else this.update(answer);
            }
          }
          this.agent.bindTurn(acc.turnId, answer);
          if (acc.sessionId && !this.sessionId) {
            this.sessionId = acc.sessionId;
            this.modes.set(acc.sessionId, mode);
          }
        },
        cts.token,
      );
      answer.text = acc.finish(result?.content);
      answer.streaming = false;
      if (result?.stopReason === 'interrupted') answer.interrupted = true;
      answer.meta = describeResult(result);
      if (result?.sessionId) this.sessionId = result.sessionId;
      if (this.sessionId) this.modes.set(this.sessionId, mode);
      this.agent.bindTurn(result?.turnId, answer);
      if (Array.isArray(result?.changes) && acc.mergeChanges(result.changes)) this.agent.setChanges(answer, acc.changes);
      if (result?.context) this.setContextUsage(result.context);
      if (result?.compacted) this.notice('The conversation was compacted to fit the context window.');
    } catch (error) {
      answer.streaming = false;
      answer.text = acc.finish();
      if (acc.sessionId && !this.sessionId) this.sessionId = acc.sessionId;
      this.agent.dropUnreviewed(answer, acc.changes);
      if (cts.token.isCancellationRequested || errorCode(error) === ErrorCodes.RequestCancelled || isCancellation(error)) {
        answer.interrupted = true;
      } else {
        answer.error = errorMessage(error);
        const kind = errorKind(error);
        if (kind === 'auth') answer.errorAction = { label: 'Set API key', command: 'victor.setApiKey' };
        else if (this.client.state === 'failed') answer.errorAction = { label: 'Show server output', command: 'victor.showOutput' };
      }
    } finally {
      if (this.cancel === cts) this.cancel = undefined;
      cts.dispose();
      this.agent.end(answer, acc.turnId);
      this.pendingUpdates.delete(answer);
      this.update(answer);
      this.setBusy(false);
    }
  }

  stop(): void {
    this.cancel?.cancel();
  }

  async newChat(): Promise<void> {
    this.stop();
    this.messages = [];
    this.summary = undefined;
    this.sessionTitle = undefined;
    this.setContextUsage(undefined);
    this.sessionId = undefined;
    this.mode = defaultChatMode();
    this.agent.reset();
    this.postState();
    try {
      const folder = workspaceFolderFor(this.editors.editor);
      this.sessionId = await this.client.newSession(folder?.uri.toString());
      this.postState();
    } catch (error) {
      this.notice(`Could not start a new session: ${errorMessage(error)}`, 'error');
    }
    this.post({ type: 'focusInput' });
  }

  /** On first show: continue the folder's most recent session, like the server does. */
  async restoreLatestSession(): Promise<void> {
    if (this.restoredLatest || this.sessionId || this.messages.length > 0) return;
    this.restoredLatest = true;
    try {
      const folder = workspaceFolderFor(this.editors.editor);
      const sessions = await this.client.listSessions(folder?.uri.toString());
      const latest = sessions[0];
      if (latest && !this.sessionId && this.messages.length === 0 && !this.busy) await this.resume(latest.id);
    } catch {
      // The server is not there yet; the first message starts or continues a session anyway.
    }
  }

  async showSessions(show = true): Promise<void> {
    const folder = workspaceFolderFor(this.editors.editor);
    const sessions = await this.client.listSessions(folder?.uri.toString());
    const message: ToWebview = { type: 'sessions', sessions: sessionViews(sessions), show };
    if (this.sessionId) message.currentId = this.sessionId;
    this.post(message);
  }

  async resume(id: string): Promise<void> {
    this.stop();
    const detail: SessionDetail = await this.client.getSession(id);
    this.sessionId = detail.id ?? id;
    this.mode = this.modes.get(this.sessionId) ?? defaultChatMode();
    this.agent.reset();
    this.sessionTitle = detail.title ?? undefined;
    this.summary = detail.summary ?? undefined;
    this.messages = historyMessages(detail);
    this.setContextUsage(undefined);
    this.postState();
  }

  async deleteSession(id: string): Promise<void> {
    const choice = await vscode.window.showWarningMessage('Delete this Victor session?', { modal: true }, 'Delete');
    if (choice !== 'Delete') return;
    await this.client.deleteSession(id);
    if (id === this.sessionId) {
      this.sessionId = undefined;
      this.messages = [];
      this.summary = undefined;
      this.sessionTitle = undefined;
      this.setContextUsage(undefined);
      this.postState();
    }
    await this.showSessions();
  }

  async exportSession(id: string): Promise<void> {
    const markdown = await this.client.exportSession(id);
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  async compact(): Promise<void> {
    if (!this.sessionId) {
      this.notice('Nothing to compact yet: send a message first.');
      return;
    }
    const result = await vscode.window.withProgress(
      { location: { viewId: CHAT_VIEW_ID }, title: 'Compacting' },
      () => this.client.compact(this.sessionId!),
    );
    this.notice(compactNotice(result));
  }

  dispose(): void {
    this.stop();
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.agent.dispose();
  }
}

function isCancellation(error: unknown): boolean {
  return error instanceof vscode.CancellationError || (error instanceof Error && error.name === 'Canceled');
}
