// Inline completions (ghost text): vscode-languageclient 11 registers the provider itself
// (LSP 3.18 textDocument/inlineCompletion); this adds the on/off setting, checked per document
// (it is language-overridable) before any request, and a status-bar toggle.
import * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';
import { INLINE_KEY, INLINE_SECTION, TOGGLE_COMMAND, effectiveEnabled, toggleLabel, toggleUpdate } from './inlineToggle';

const TARGETS = {
  global: vscode.ConfigurationTarget.Global,
  workspace: vscode.ConfigurationTarget.Workspace,
  workspaceFolder: vscode.ConfigurationTarget.WorkspaceFolder,
} as const;

function enabledFor(document: vscode.TextDocument | undefined): boolean {
  const section = vscode.workspace.getConfiguration(INLINE_SECTION, document);
  return effectiveEnabled(section.inspect<boolean>(INLINE_KEY));
}

/** Middleware: no request at all while ghost text is off for the document. */
export const inlineCompletionMiddleware: Pick<Middleware, 'provideInlineCompletionItems'> = {
  provideInlineCompletionItems: (document, position, context, token, next) =>
    enabledFor(document) ? next(document, position, context, token) : null,
};

/** The status-bar toggle and its command. */
export function registerInlineToggle(): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('victor.inlineCompletions', vscode.StatusBarAlignment.Right, 99);
  item.name = 'Victor inline completions';
  item.command = TOGGLE_COMMAND;
  const render = () => {
    const label = toggleLabel(enabledFor(vscode.window.activeTextEditor?.document));
    item.text = label.text;
    item.tooltip = label.tooltip;
    item.show();
  };
  const command = vscode.commands.registerCommand(TOGGLE_COMMAND, async () => {
    const document = vscode.window.activeTextEditor?.document;
    const section = vscode.workspace.getConfiguration(INLINE_SECTION, document);
    const update = toggleUpdate(section.inspect<boolean>(INLINE_KEY));
    await section.update(INLINE_KEY, update.value, TARGETS[update.target]);
    render();
  });
  render();
  const subs = [
    command,
    vscode.window.onDidChangeActiveTextEditor(render),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(INLINE_SECTION)) render();
    }),
  ];
  return new vscode.Disposable(() => {
    for (const s of subs) s.dispose();
    item.dispose();
  });
}
