// The chat view: a webview in Victor's activity-bar container. This hosts the webview (its
// page, visibility, messages in and out); the conversation itself is chatSession.ts, and the
// webview renders (see webview/main.ts).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { AgentReviewController } from './agentReviewUi';
import { ChatSession } from './chatSession';
import { newMessageId, statusView } from './chatTranscript';
import { CHAT_VIEW_ID, chatViewHtml } from './chatWebview';
import type { ServerState, VictorClient } from './client';
import { applyCodeToSelection, insertAtCursor } from './codeActions';
import { EditorTracker, describeEditor } from './editorContext';
import { errorMessage } from './errors';
import type { FromWebview, ToWebview } from './webviewProtocol';

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly session: ChatSession;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: VictorClient,
    private readonly editors: EditorTracker,
    review: AgentReviewController,
  ) {
    this.session = new ChatSession(client, editors, review, (m) => this.post(m));
    this.disposables.push(
      client.onDidChangeState((state) => this.postStatus(state)),
      client.onDidChangeStatus(() => this.postStatus()),
      client.onContextUsage((n) => this.session.contextUsageReported(n)),
      client.onExplanation((n) => {
        this.session.append({ id: newMessageId('x'), role: 'explanation', title: n.title || 'Explanation', text: n.markdown ?? '' });
        // Show it without taking the keyboard (the server also sends window/showMessage).
        if (this.view && !this.view.visible) this.view.show(true);
      }),
      editors.onDidChange(() => this.post({ type: 'editor', label: describeEditor(this.editors.editor) })),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('victor.sendEditorContext')) {
          this.session.includeContext = vscode.workspace.getConfiguration('victor').get<boolean>('sendEditorContext', true);
          this.session.postState();
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

  private postStatus(state: ServerState = this.client.state): void {
    this.post({ type: 'status', status: statusView(state, this.client.status, this.client.error) });
  }

  private async onMessage(m: FromWebview): Promise<void> {
    try {
      switch (m.type) {
        case 'ready':
          this.session.postState();
          void this.session.restoreLatestSession();
          return;
        case 'send':
          await this.session.send(m.text);
          return;
        case 'stop':
          this.session.stop();
          return;
        case 'newChat':
          await this.session.newChat();
          return;
        case 'listSessions':
          await this.session.showSessions();
          return;
        case 'resumeSession':
          await this.session.resume(m.id);
          return;
        case 'deleteSession':
          await this.session.deleteSession(m.id);
          return;
        case 'exportSession':
          await this.session.exportSession(m.id);
          return;
        case 'compact':
          await this.session.compact();
          return;
        case 'copy':
          await vscode.env.clipboard.writeText(m.code);
          this.session.notice('Copied to the clipboard.');
          return;
        case 'insert':
          await insertAtCursor(this.editors.editor, m.code);
          return;
        case 'apply':
          await applyCodeToSelection(this.editors.editor, m.code);
          return;
        case 'toggleContext':
          this.session.includeContext = m.value;
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
          if (m.mode === 'ask' || m.mode === 'agent') this.session.setMode(m.mode);
          return;
      }
    } catch (error) {
      this.session.notice(errorMessage(error), 'error');
    }
  }

  /** Sends `text` as a chat message (from a command; `editorOverride` sends its context). */
  send(text: string, editorOverride?: vscode.TextEditor): Promise<void> {
    return this.session.send(text, editorOverride);
  }

  stop(): void {
    this.session.stop();
  }

  newChat(): Promise<void> {
    return this.session.newChat();
  }

  showSessions(show = true): Promise<void> {
    return this.session.showSessions(show);
  }

  resume(id: string): Promise<void> {
    return this.session.resume(id);
  }

  compact(): Promise<void> {
    return this.session.compact();
  }

  /** Whether the view is open and visible (an explanation appended now will be seen). */
  get isVisible(): boolean {
    return this.view?.visible === true;
  }

  get currentSessionId(): string | undefined {
    return this.session.currentSessionId;
  }

  private html(webview: vscode.Webview): string {
    return chatViewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.css')).toString(),
      nonce: randomBytes(18).toString('base64'),
    });
  }

  dispose(): void {
    this.session.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
