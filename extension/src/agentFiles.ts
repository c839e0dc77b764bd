// File operations of agent mode, done the editor's way: open documents are edited as buffers
// (WorkspaceEdit, so Ctrl+Z works) and saved; files are created, deleted and renamed with
// WorkspaceEdit file operations. Each returns an error message instead of throwing.
import * as vscode from 'vscode';
import { minimalReplacement, type FileState } from './agentReview';
import { errorMessage } from './errors';

const decoder = new TextDecoder('utf-8', { fatal: true });

function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  const key = uri.toString();
  return vscode.workspace.textDocuments.find((d) => !d.isClosed && d.uri.toString() === key);
}

/** The file as the editor sees it: the open document, else the disk. */
export async function fileState(uri: vscode.Uri): Promise<FileState> {
  const doc = openDocument(uri);
  if (doc) return { exists: true, text: doc.getText(), openVersion: doc.version };
  let stat: vscode.FileStat;
  try {
    stat = await vscode.workspace.fs.stat(uri);
  } catch {
    return { exists: false };
  }
  if (stat.type & vscode.FileType.Directory) return { exists: true };
  try {
    return { exists: true, text: decoder.decode(await vscode.workspace.fs.readFile(uri)) };
  } catch {
    return { exists: true };
  }
}

async function apply(edit: vscode.WorkspaceEdit, what: string): Promise<string | undefined> {
  try {
    return (await vscode.workspace.applyEdit(edit)) ? undefined : `the editor refused to ${what}`;
  } catch (error) {
    return `${what}: ${errorMessage(error)}`;
  }
}

/** Saves the document of `uri` when it is open with unsaved changes. */
async function saveIfDirty(uri: vscode.Uri): Promise<string | undefined> {
  const doc = openDocument(uri);
  if (!doc?.isDirty) return undefined;
  try {
    return (await doc.save()) ? undefined : `${vscode.workspace.asRelativePath(uri)} could not be saved`;
  } catch (error) {
    return `saving ${vscode.workspace.asRelativePath(uri)}: ${errorMessage(error)}`;
  }
}

/**
 * Makes the file hold `text` and saves it: an existing file gets the smallest replacement of
 * its current text (`current`, what was checked), a missing one is created.
 */
export async function writeText(uri: vscode.Uri, text: string, current: FileState): Promise<string | undefined> {
  const edit = new vscode.WorkspaceEdit();
  if (!current.exists) {
    edit.createFile(uri, { overwrite: false, contents: new TextEncoder().encode(text) });
    return (await apply(edit, 'create the file')) ?? (await saveIfDirty(uri));
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const now = doc.getText();
  if (current.text !== undefined && now !== current.text) return `${vscode.workspace.asRelativePath(uri)} changed while it was being applied`;
  const r = minimalReplacement(now, text);
  if (r.start !== r.end || r.text) {
    edit.replace(uri, new vscode.Range(doc.positionAt(r.start), doc.positionAt(r.end)), r.text);
    const error = await apply(edit, 'edit the file');
    if (error) return error;
  }
  // The editor turns inserted line breaks into the document's own (CRLF or LF).
  if (!sameLines(doc.getText(), text)) return `${vscode.workspace.asRelativePath(uri)} does not hold the expected text after the edit`;
  // Saved also when the edit was empty but the buffer held unsaved text: a following command
  // must see on disk what the agent saw.
  try {
    if (doc.isDirty && !(await doc.save())) return `${vscode.workspace.asRelativePath(uri)} could not be saved`;
  } catch (error) {
    return `saving ${vscode.workspace.asRelativePath(uri)}: ${errorMessage(error)}`;
  }
  return undefined;
}

function sameLines(a: string, b: string): boolean {
  return a.replace(/\r\n?/g, '\n') === b.replace(/\r\n?/g, '\n');
}

export async function deleteFile(uri: vscode.Uri): Promise<string | undefined> {
  const edit = new vscode.WorkspaceEdit();
  edit.deleteFile(uri, { ignoreIfNotExists: false });
  return apply(edit, 'delete the file');
}

export async function renameFile(from: vscode.Uri, to: vscode.Uri): Promise<string | undefined> {
  const edit = new vscode.WorkspaceEdit();
  edit.renameFile(from, to, { overwrite: false });
  return (await apply(edit, 'rename the file')) ?? (await saveIfDirty(to));
}
