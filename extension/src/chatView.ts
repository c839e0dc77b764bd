// The chat view: a webview in Victor's activity-bar container. The extension side keeps the
// transcript and talks to the server; the webview renders (see webview/main.ts).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { AgentChatState, defaultChatMode } from './agentChat';
import type { AgentReviewController } from './agentReviewUi';
import { VictorClient, type ServerState } from './client';
import { applyCodeToSelection, insertAtCursor } from './codeActions';
import { EditorTracker, describeEditor, editorContextParams, workspaceFolderFor } from './editorContext';
import { errorCode, errorKind, errorMessage } from './errors';
import { ErrorCodes, compactNotice, type ChatMode, type ChatResult, type SessionDetail, type StatusResult } from './protocol';
import { StreamAccumulator, describeToolCall } from './stream';
import type {
  ContextUsageView,
  FromWebview,
  SessionView,
  StatusView,
  ToWebview,
  ToolView,
  TranscriptMessage,
  ViewState,
} from './webviewProtocol';

export const CHAT_VIEW_ID = 'victor.chatView';

let counter = 0;
const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private messages: TranscriptMessage[] = [];
  private sessionId: string | undefined;
  private sessionTitle: string | undefined;
  private summary: string | undefined;
  private contextUsage: ContextUsageView | undefined;
  private includeContext: boolean;
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
    private readonly extensionUri: vscode.Uri,
    private readonly client: VictorClient,
    private readonly editors: EditorTracker,
    review: AgentReviewController,
  ) {
    this.agent = new AgentChatState(client, review, (m) => this.update(m));
    this.includeContext = vscode.workspace.getConfiguration('victor').get<boolean>('sendEditorContext', true);
    this.disposables.push(
      client.onDidChangeState((state) => this.post({ type: 'status', status: this.statusView(state) })),
      client.onDidChangeStatus(() => this.post({ type: 'status', status: this.statusView() })),
      client.onContextUsage((n) => {
        if (!this.sessionId || !n.sessionId || n.sessionId === this.sessionId) {
          this.setContextUsage(n);
        }
      }),
      client.onExplanation((n) => {
        this.append({ id: newId('x'), role: 'explanation', title: n.title || 'Explanation', text: n.markdown ?? '' });
        // Show it without taking the keyboard (the server also sends window/showMessage).
        if (this.view && !this.view.visible) this.view.show(true);
      }),
      editors.onDidChange(() => this.post({ type: 'editor', label: describeEditor(this.editors.editor) })),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('victor.sendEditorContext')) {
          this.includeContext = vscode.workspace.getConfiguration('victor').get<boolean>('sendEditorContext', true);
          this.postState();
        }
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    view.webview.html = this.html(view.webview);
    view.webview.onDidReceiveMessage((m: FromWebview) => this.onMessage(m), undefined, this.disposables);
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
  }

  /** Shows the view; `preserveFocus` keeps the keyboard in the editor. */
  async reveal(preserveFocus = false): Promise<void> {
    if (this.view) {
      this.view.show(preserveFocus);
    } else {
      await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    }
    if (!preserveFocus) this.post({ type: 'focusInput' });
  }

  private post(message: ToWebview): void {
    void this.view?.webview.postMessage(message);
  }

  private statusView(state: ServerState = this.client.state): StatusView {
    const status: StatusResult | undefined = this.client.status;
    const view: StatusView = { state };
    if (status?.provider) view.provider = status.provider;
    if (status?.model) view.model = status.model;
    if (status?.version) view.version = status.version;
    if (status?.ready !== undefined) view.ready = status.ready;
    if (this.client.error && state !== 'running') view.error = this.client.error;
    return view;
  }

  private viewState(): ViewState {
    const state: ViewState = {
      messages: this.messages,
      status: this.statusView(),
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

  private postState(): void {
    this.post({ type: 'state', state: this.viewState() });
  }

  private append(message: TranscriptMessage): void {
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

  private setMode(mode: ChatMode): void {
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
    if (usage && typeof usage.tokens === 'number' && typeof usage.window === 'number' && usage.window > 0) {
      this.contextUsage = {
        tokens: usage.tokens,
        window: usage.window,
        percent: typeof usage.percent === 'number' ? usage.percent : (usage.tokens / usage.window) * 100,
      };
    } else {
      this.contextUsage = undefined;
    }
    this.post({ type: 'contextUsage', usage: this.contextUsage });
  }

  private notice(text: string, level: 'info' | 'error' = 'info'): void {
    this.post({ type: 'notice', text, level });
  }

  private async onMessage(m: FromWebview): Promise<void> {
    try {
      switch (m.type) {
        case 'ready':
          this.postState();
          void this.restoreLatestSession();
          return;
        case 'send':
          await this.send(m.text);
          return;
        case 'stop':
          this.stop();
          return;
        case 'newChat':
          await this.newChat();
          return;
        case 'listSessions':
          await this.showSessions();
          return;
        case 'resumeSession':
          await this.resume(m.id);
          return;
        case 'deleteSession':
          await this.deleteSession(m.id);
          return;
        case 'exportSession':
          await this.exportSession(m.id);
          return;
        case 'compact':
          await this.compact();
          return;
        case 'copy':
          await vscode.env.clipboard.writeText(m.code);
          this.notice('Copied to the clipboard.');
          return;
        case 'insert':
          await insertAtCursor(this.editors.editor, m.code);
          return;
        case 'apply':
          await applyCodeToSelection(this.editors.editor, m.code);
          return;
        case 'toggleContext':
          this.includeContext = m.value;
          return;
        case 'openLink': {
          const uri = vscode.Uri.parse(m.href);
          if (['http', 'https', 'mailto'].includes(uri.scheme)) await vscode.env.openExternal(uri);
          else if (uri.scheme === 'file') await vscode.window.showTextDocument(uri);
          return;
        }
        case 'command':
          if (m.command.startsWith('victor.')) await vscode.commands.executeCommand(m.command);
          return;
        case 'setMode':
          if (m.mode === 'ask' || m.mode === 'agent') this.setMode(m.mode);
          return;
      }
    } catch (error) {
      this.notice(errorMessage(error), 'error');
    }
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
    this.append({ id: newId('u'), role: 'user', text: message });
    const mode = this.mode;
    const answer: TranscriptMessage = { id: newId('a'), role: 'assistant', text: '', streaming: true, tools: [], mode };
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
              const tool: ToolView = { id: event.tool.id, label: describeToolCall(event.tool), done: event.tool.done, isError: event.tool.isError };
              if (event.tool.output !== undefined) tool.output = event.tool.output;
              if (event.tool.outputTruncated) tool.outputTruncated = true;
              const tools = (answer.tools ??= []);
              const i = tools.findIndex((t) => t.id === tool.id);
              if (i >= 0) tools[i] = tool;
              else tools.push(tool);
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
  private async restoreLatestSession(): Promise<void> {
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
    const views: SessionView[] = sessions.map((s) => {
      const v: SessionView = { id: s.id, title: s.title?.trim() || 'Untitled session' };
      if (s.updatedAt ?? s.createdAt) v.updatedAt = (s.updatedAt ?? s.createdAt)!;
      if (typeof s.messageCount === 'number') v.messageCount = s.messageCount;
      return v;
    });
    const message: ToWebview = { type: 'sessions', sessions: views, show };
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
    this.messages = (detail.messages ?? [])
      .filter((m) => m.role === 'user' || m.role === 'assistant')
      .map((m) => {
        const msg: TranscriptMessage = { id: newId('h'), role: m.role as 'user' | 'assistant', text: m.content ?? '' };
        if (m.interrupted) msg.interrupted = true;
        return msg;
      });
    this.setContextUsage(undefined);
    this.postState();
  }

  private async deleteSession(id: string): Promise<void> {
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

  private async exportSession(id: string): Promise<void> {
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

  /** Whether the view is open and visible (an explanation appended now will be seen). */
  get isVisible(): boolean {
    return this.view?.visible === true;
  }

  get currentSessionId(): string | undefined {
    return this.sessionId;
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(18).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.css'));
    const csp = [
      `default-src 'none'`,
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}" nonce="${nonce}">
<title>Victor</title>
</head>
<body>
<div id="app" class="app"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.stop();
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.agent.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

function describeResult(result: ChatResult | undefined): string | undefined {
  if (!result) return undefined;
  const parts: string[] = [];
  if (result.usage) {
    parts.push(`${result.usage.inputTokens.toLocaleString('en-US')} in · ${result.usage.outputTokens.toLocaleString('en-US')} out`);
  }
  if (result.stopReason === 'max_tokens') parts.push('stopped at the token limit');
  else if (result.stopReason === 'tool_use') parts.push('tool round limit reached');
  return parts.length ? parts.join(' · ') : undefined;
}

function isCancellation(error: unknown): boolean {
  return error instanceof vscode.CancellationError || (error instanceof Error && error.name === 'Canceled');
}
