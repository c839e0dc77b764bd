// Commands contributed in package.json.
import * as vscode from 'vscode';
import { SECRET_KEYS, type VictorClient } from './client';
import { errorCode, errorMessage } from './errors';
import type { ChatViewProvider } from './chatView';
import { previewAndApply, toWorkspaceEdit } from './codeActions';
import { EditorTracker, editorContextParams, inWorkspace, toPosition, toRange } from './editorContext';
import { ErrorCodes, type GenerateParams } from './protocol';
import { renderPromptDocument, styleCards } from './promptView';
import { keyProviderFor, type ApiKeyProvider } from './settings';
import { StreamAccumulator } from './stream';

export const DOC_SCHEME = 'victor';

/** Read-only virtual documents (system prompt, style card). */
export class VictorDocuments implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  async open(name: string, content: string): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({ scheme: DOC_SCHEME, path: `/${name}` });
    this.contents.set(uri.toString(), content);
    this.emitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== 'markdown') await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    return vscode.window.showTextDocument(doc, { preview: false });
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

function fileLabel(editor: vscode.TextEditor | undefined): string {
  return editor ? editor.document.uri.path.split('/').pop() || 'file' : 'workspace';
}

export function registerCommands(
  context: vscode.ExtensionContext,
  client: VictorClient,
  chat: ChatViewProvider,
  editors: EditorTracker,
  docs: VictorDocuments,
): void {
  const register = (id: string, fn: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await fn(...args);
        } catch (error) {
          if (errorCode(error) === ErrorCodes.RequestCancelled || error instanceof vscode.CancellationError) return;
          void vscode.window.showErrorMessage(`Victor: ${errorMessage(error)}`);
        }
      }),
    );

  register('victor.focusChat', () => chat.reveal());
  register('victor.newChat', async () => {
    await chat.reveal();
    await chat.newChat();
  });
  register('victor.showSessions', async () => {
    await chat.reveal(true);
    await chat.showSessions();
  });
  register('victor.compact', () => chat.compact());

  register('victor.explainSelection', async () => {
    const editor = editors.editor;
    if (!editor || editor.selection.isEmpty) {
      void vscode.window.showInformationMessage('Victor: select the code to explain.');
      return;
    }
    await chat.reveal(true);
    await chat.send(`Explain the selected code in ${fileLabel(editor)}.`, editor);
  });

  register('victor.refactorSelection', async () => {
    const editor = editors.editor;
    if (!editor || editor.selection.isEmpty) {
      void vscode.window.showInformationMessage('Victor: select the code to refactor.');
      return;
    }
    const how = await vscode.window.showInputBox({
      title: 'Victor: Refactor Selection',
      prompt: 'How should the selection change? (empty: make it cleaner)',
      placeHolder: 'e.g. extract a function, use pathlib, add type hints',
      ignoreFocusOut: true,
    });
    if (how === undefined) return;
    const instruction = how.trim() || 'Make it cleaner and simpler without changing its behaviour.';
    await chat.reveal(true);
    await chat.send(
      `Refactor the selected code in ${fileLabel(editor)}: ${instruction}\n` +
        'Answer with the complete replacement for the selection in one code block.',
      editor,
    );
  });

  register('victor.generateAtCursor', async () => {
    const editor = editors.editor;
    if (!editor || !inWorkspace(editor)) {
      void vscode.window.showInformationMessage('Victor: open a file of the workspace and place the cursor first.');
      return;
    }
    const instruction = await vscode.window.showInputBox({
      title: 'Victor: Generate at Cursor',
      prompt: editor.selection.isEmpty ? 'What should be generated at the cursor?' : 'What should replace the selection?',
      placeHolder: 'e.g. a function that slugifies a title',
      ignoreFocusOut: true,
    });
    if (!instruction?.trim()) return;
    const params: GenerateParams = {
      textDocument: { uri: editor.document.uri.toString() },
      instruction: instruction.trim(),
    };
    if (editor.selection.isEmpty) params.position = toPosition(editor.selection.active);
    else params.range = toRange(editor.selection);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Victor is writing code', cancellable: true },
      async (progress, token) => {
        const acc = new StreamAccumulator();
        let lines = 0;
        return client.generate(
          params,
          (value) => {
            acc.push(value);
            const now = acc.text.split('\n').length;
            if (now !== lines) {
              lines = now;
              progress.report({ message: `${lines} line${lines === 1 ? '' : 's'}…` });
            }
          },
          token,
        );
      },
    );
    const edit = toWorkspaceEdit(result.edit);
    const formatter = result.formatter ? ` (formatted with ${result.formatter})` : '';
    await previewAndApply(edit, `Apply Victor's code${formatter}?`);
  });

  register('victor.showSystemPrompt', async () => {
    const editor = editors.editor;
    const params = { ...editorContextParams(editor, true) } as Parameters<VictorClient['systemPrompt']>[0];
    delete params.diagnostics;
    const sessionId = chat.currentSessionId;
    if (sessionId) params.sessionId = sessionId;
    const result = await client.systemPrompt(params);
    await docs.open(`System Prompt (${fileLabel(editor)}).md`, renderPromptDocument(result));
  });

  register('victor.showStyleCard', async () => {
    const editor = editors.editor;
    if (!editor || !inWorkspace(editor)) {
      void vscode.window.showInformationMessage('Victor: open a file to see the style card that applies to it.');
      return;
    }
    const params = { ...editorContextParams(editor, true) } as Parameters<VictorClient['systemPrompt']>[0];
    delete params.diagnostics;
    const result = await client.systemPrompt(params);
    const style = styleCards(result);
    if (style.length === 0) {
      void vscode.window.showInformationMessage(`Victor: no style card for ${fileLabel(editor)}.`);
      return;
    }
    await docs.open(`Style Card (${fileLabel(editor)}).md`, style.map((c) => c.text.trim()).join('\n\n') + '\n');
  });

  register('victor.restartServer', () => client.restart());
  register('victor.showOutput', () => client.output.show(true));

  register('victor.setApiKey', async (arg?: unknown) => {
    const current = keyProviderFor(vscode.workspace.getConfiguration('victor').get<string>('provider'));
    let provider: ApiKeyProvider | undefined = arg === 'anthropic' || arg === 'openai' ? arg : undefined;
    if (!provider) {
      const items: Array<vscode.QuickPickItem & { provider: ApiKeyProvider }> = [
        { label: 'Anthropic', description: 'ANTHROPIC_API_KEY', provider: 'anthropic' },
        { label: 'OpenAI-compatible', description: 'OPENAI_API_KEY', provider: 'openai' },
      ];
      if (current === 'openai') items.reverse();
      const pick = await vscode.window.showQuickPick(items, { title: 'Victor: Set API Key', placeHolder: 'Which provider is the key for?' });
      if (!pick) return;
      provider = pick.provider;
    }
    const key = await vscode.window.showInputBox({
      title: `Victor: ${provider === 'openai' ? 'OpenAI-compatible' : 'Anthropic'} API key`,
      prompt: 'Stored in the secret storage of VS Code and passed to the server in its environment; never in settings.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'The key is empty.'),
    });
    if (!key?.trim()) return;
    // Storing fires secrets.onDidChange, which restarts the server.
    await context.secrets.store(SECRET_KEYS[provider], key.trim());
    void vscode.window.showInformationMessage('Victor: API key stored; the server restarts with it.');
  });

  register('victor.clearApiKey', async () => {
    for (const key of Object.values(SECRET_KEYS)) await context.secrets.delete(key);
    void vscode.window.showInformationMessage('Victor: stored API keys removed.');
  });
}
