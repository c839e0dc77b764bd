// Entry point: wires the language client, the chat view, commands, status bar and @victor.
import * as vscode from 'vscode';
import { AgentReviewController, registerAgentCommands } from './agentReviewUi';
import { registerAllowedCommands } from './allowedCommands';
import { registerChatParticipant } from './chatParticipant';
import { ChatViewProvider } from './chatView';
import { CHAT_VIEW_ID } from './chatWebview';
import { SECRET_KEYS, VictorClient } from './client';
import { PROPOSAL_SCHEME, proposals } from './codeActions';
import { DOC_SCHEME, VictorDocuments, registerCommands } from './commands';
import { EditorTracker } from './editorContext';
import { registerInlineToggle } from './inlineCompletions';
import { createStatusBar } from './statusBar';
import { createTraceChannel } from './traceChannel';

let client: VictorClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Victor', { log: true });
  const trace = createTraceChannel();
  client = new VictorClient(context, output, trace);
  const editors = new EditorTracker();
  const review = new AgentReviewController();
  client.reviewChanges = (params, token) => review.handle(params, token);
  const chat = new ChatViewProvider(context.extensionUri, client, editors, review);
  const docs = new VictorDocuments();
  client.explanationVisible = () => chat.isVisible;

  context.subscriptions.push(
    output,
    trace,
    client,
    editors,
    review,
    registerAgentCommands(review),
    registerAllowedCommands(client),
    chat,
    docs,
    proposals,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chat, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.workspace.registerTextDocumentContentProvider(DOC_SCHEME, docs),
    vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, proposals),
    createStatusBar(client),
    registerInlineToggle(),
    context.secrets.onDidChange((e) => {
      if (Object.values(SECRET_KEYS).includes(e.key)) void client?.restart();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('victor.pythonPath')) void client?.restart();
      else if (e.affectsConfiguration('victor')) {
        // The server pulls the new values itself; refresh what the status bar shows once
        // it had time to (and once more for a slow pull).
        setTimeout(() => void client?.refreshStatus(), 500);
        setTimeout(() => void client?.refreshStatus(), 2500);
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void client?.refreshStatus()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void client?.trustGranted()),
  );
  registerCommands(context, client, chat, editors, docs);
  const participant = registerChatParticipant(client, editors, context.extensionUri);
  if (participant) context.subscriptions.push(participant);

  void client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
