// Code from the chat into the editor: insert at the cursor, or apply to the selection through
// a diff preview; proposed workspace edits (victor/generate) use the same preview.
import * as vscode from 'vscode';
import { applyTextEdits } from './edits';
import type { TextEdit, WorkspaceEditLike } from './protocol';
import { toRange } from './editorContext';

export const PROPOSAL_SCHEME = 'victor-proposal';

/** Read-only documents holding proposed file contents for the diff editor. */
export class ProposalContentProvider implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private counter = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  add(original: vscode.Uri, content: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: original.path, query: `v=${++this.counter}` });
    this.contents.set(uri.toString(), content);
    this.emitter.fire(uri);
    return uri;
  }

  remove(uri: vscode.Uri): void {
    this.contents.delete(uri.toString());
  }

  dispose(): void {
    this.emitter.dispose();
    this.contents.clear();
  }
}

export const proposals = new ProposalContentProvider();

function basename(uri: vscode.Uri): string {
  return uri.path.split('/').pop() || uri.toString();
}

export async function insertAtCursor(editor: vscode.TextEditor | undefined, code: string): Promise<boolean> {
  if (!editor) {
    void vscode.window.showWarningMessage('Victor: open a file and place the cursor where the code should go.');
    return false;
  }
  const position = editor.selection.active;
  const ok = await editor.edit((builder) => builder.insert(position, code));
  if (ok) {
    await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
  }
  return ok;
}

/** Replaces the selection (or inserts at the cursor when nothing is selected), after a diff preview. */
export async function applyCodeToSelection(editor: vscode.TextEditor | undefined, code: string): Promise<boolean> {
  if (!editor) {
    void vscode.window.showWarningMessage('Victor: open a file and select the code to replace.');
    return false;
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(editor.document.uri, editor.selection, code);
  const what = editor.selection.isEmpty ? 'Insert the code at the cursor' : 'Replace the selection';
  return previewAndApply(edit, `${what} in ${basename(editor.document.uri)}?`);
}

/** Converts the server's WorkspaceEdit (changes / documentChanges) into a vscode.WorkspaceEdit. */
export function toWorkspaceEdit(edit: WorkspaceEditLike | undefined): vscode.WorkspaceEdit {
  const out = new vscode.WorkspaceEdit();
  const add = (uri: string, edits: TextEdit[]) => {
    const target = vscode.Uri.parse(uri);
    for (const e of edits) {
      out.replace(
        target,
        new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character),
        e.newText,
      );
    }
  };
  for (const [uri, edits] of Object.entries(edit?.changes ?? {})) add(uri, edits);
  for (const change of edit?.documentChanges ?? []) {
    if (change && 'textDocument' in change && Array.isArray(change.edits)) add(change.textDocument.uri, change.edits);
  }
  return out;
}

/**
 * Shows what `edit` would do as a diff (original ↔ proposal) and applies it when the user
 * accepts. Returns whether it was applied.
 */
export async function previewAndApply(edit: vscode.WorkspaceEdit, question: string): Promise<boolean> {
  const entries = edit.entries();
  if (entries.length === 0) {
    void vscode.window.showInformationMessage('Victor proposed no change.');
    return false;
  }
  const shown: vscode.Uri[] = [];
  try {
    for (const [uri, edits] of entries.slice(0, 3)) {
      const doc = await vscode.workspace.openTextDocument(uri);
      const proposed = applyTextEdits(
        doc.getText(),
        edits.map((e) => ({ range: toRange(e.range), newText: e.newText })),
      );
      const proposalUri = proposals.add(uri, proposed);
      shown.push(proposalUri);
      await vscode.commands.executeCommand(
        'vscode.diff',
        uri,
        proposalUri,
        `${basename(uri)} ↔ Victor's proposal`,
        { preview: true, preserveFocus: false },
      );
    }
    const more = entries.length > 3 ? ` (and ${entries.length - 3} more files)` : '';
    const choice = await vscode.window.showInformationMessage(`${question}${more}`, 'Apply', 'Discard');
    if (choice !== 'Apply') return false;
    const ok = await vscode.workspace.applyEdit(edit);
    if (!ok) void vscode.window.showErrorMessage('Victor: the edit could not be applied (the file changed?).');
    return ok;
  } finally {
    await closeDiffs(shown);
    for (const uri of shown) proposals.remove(uri);
  }
}

async function closeDiffs(proposalUris: vscode.Uri[]): Promise<void> {
  const wanted = new Set(proposalUris.map((u) => u.toString()));
  const tabs = vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputTextDiff && wanted.has(t.input.modified.toString()));
  if (tabs.length > 0) await vscode.window.tabGroups.close(tabs, true);
}
