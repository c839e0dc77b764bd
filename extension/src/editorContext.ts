// The active editor's file, selection, cursor and diagnostics, as LSP params.
import * as vscode from 'vscode';
import type { EditorContextParams, LspDiagnostic, Position, Range } from './protocol';

export function toPosition(p: vscode.Position): Position {
  return { line: p.line, character: p.character };
}

export function toRange(r: vscode.Range): Range {
  return { start: toPosition(r.start), end: toPosition(r.end) };
}

export function toDiagnostic(d: vscode.Diagnostic): LspDiagnostic {
  const out: LspDiagnostic = {
    range: toRange(d.range),
    message: d.message,
    // vscode: Error = 0 … Hint = 3; LSP: Error = 1 … Hint = 4.
    severity: d.severity + 1,
  };
  if (d.source) out.source = d.source;
  const code = typeof d.code === 'object' && d.code !== null ? d.code.value : d.code;
  if (code !== undefined) out.code = code;
  return out;
}

/** Tracks the last text editor that had focus (a webview taking focus keeps it). */
export class EditorTracker implements vscode.Disposable {
  private last: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor() {
    this.disposables.push(
      this.emitter,
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && isSourceEditor(editor)) this.last = editor;
        this.emitter.fire();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (isSourceEditor(e.textEditor)) {
          this.last = e.textEditor;
          this.emitter.fire();
        }
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (this.last?.document === doc) {
          this.last = undefined;
          this.emitter.fire();
        }
      }),
    );
  }

  /** The active text editor, else the last one that was active and is still visible. */
  get editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active && isSourceEditor(active)) return active;
    if (this.last && vscode.window.visibleTextEditors.includes(this.last)) return this.last;
    if (this.last && !this.last.document.isClosed) return this.last;
    return vscode.window.visibleTextEditors.find(isSourceEditor);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export function isSourceEditor(editor: vscode.TextEditor): boolean {
  const scheme = editor.document.uri.scheme;
  return scheme === 'file' || scheme === 'untitled' || scheme === 'vscode-remote' || scheme === 'vscode-userdata';
}

/** The workspace folder of `editor`'s document, else the first one. */
export function workspaceFolderFor(editor: vscode.TextEditor | undefined): vscode.WorkspaceFolder | undefined {
  if (editor) {
    const folder = vscode.workspace.getWorkspaceFolder(editor.document.uri);
    if (folder) return folder;
  }
  return vscode.workspace.workspaceFolders?.[0];
}

/** LSP params describing `editor`: textDocument, range (when there is a selection), position, diagnostics. */
export function editorContextParams(editor: vscode.TextEditor | undefined, includeEditor = true): EditorContextParams {
  const params: EditorContextParams = {};
  // The server resolves the session's folder from textDocument, so only documents inside a
  // workspace folder go (an untitled or outside file would be InvalidParams).
  if (editor && includeEditor && inWorkspace(editor)) {
    params.textDocument = { uri: editor.document.uri.toString() };
    if (!editor.selection.isEmpty) params.range = toRange(editor.selection);
    params.position = toPosition(editor.selection.active);
    const diagnostics = vscode.languages.getDiagnostics(editor.document.uri);
    if (diagnostics.length > 0) params.diagnostics = diagnostics.slice(0, 50).map(toDiagnostic);
  } else {
    const folder = workspaceFolderFor(editor);
    if (folder) params.workspaceFolder = folder.uri.toString();
  }
  return params;
}

/** Whether `editor`'s document is a file inside one of the workspace folders. */
export function inWorkspace(editor: vscode.TextEditor): boolean {
  return editor.document.uri.scheme !== 'untitled' && vscode.workspace.getWorkspaceFolder(editor.document.uri) !== undefined;
}

/** A short description for the chat view: `app.py:12` or `app.py:3-7`. */
export function describeEditor(editor: vscode.TextEditor | undefined): string | undefined {
  if (!editor) return undefined;
  const name = editor.document.uri.path.split('/').pop() || editor.document.uri.toString();
  if (!inWorkspace(editor)) return `${name} (outside the workspace: not sent)`;
  const sel = editor.selection;
  if (sel.isEmpty) return `${name}:${sel.active.line + 1}`;
  const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line : sel.end.line + 1;
  return endLine === sel.start.line + 1 ? `${name}:${endLine}` : `${name}:${sel.start.line + 1}-${endLine}`;
}
