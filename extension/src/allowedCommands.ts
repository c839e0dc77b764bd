// "Victor: Manage Allowed Commands": the commands agent mode runs without asking in a folder
// (victor/commands/list|allow|remove), listed in a QuickPick to remove or add entries. The
// list itself lives with the server (the user's config directory); pure logic in
// commandAllowlist.ts.
import * as vscode from 'vscode';
import type { VictorClient } from './client';
import { errorCode, errorMessage } from './errors';
import {
  allowedMessage,
  allowlistEntries,
  allowlistFolders,
  allowlistPickItems,
  allowlistPlaceholder,
  parseCommandLine,
  removedMessage,
  type AllowlistChoice,
  type FolderInfo,
} from './commandAllowlist';
import { ErrorCodes, Methods } from './protocol';

export const MANAGE_ALLOWED_COMMANDS = 'victor.manageAllowedCommands';

type Item = vscode.QuickPickItem & { choice: AllowlistChoice };
type Picked = { choice: AllowlistChoice } | undefined;

const REMOVE_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Remove' };

export function registerAllowedCommands(client: VictorClient): vscode.Disposable {
  // Arguments are ignored on purpose: entries are added and removed by the user in this UI only,
  // never by whoever else can execute a command.
  return vscode.commands.registerCommand(MANAGE_ALLOWED_COMMANDS, async () => {
    try {
      await manage(client);
    } catch (error) {
      if (errorCode(error) === ErrorCodes.RequestCancelled || error instanceof vscode.CancellationError) return;
      void vscode.window.showErrorMessage(`Victor: ${errorMessage(error)}`);
    }
  });
}

async function manage(client: VictorClient): Promise<void> {
  const folder = await chooseFolder();
  if (!folder) return;
  for (;;) {
    const entries = allowlistEntries(await client.request<unknown>(Methods.commandsList, { workspaceFolder: folder.uri }));
    const picked = await pick(folder, entries);
    if (!picked) return;
    const { choice } = picked;
    try {
      if (choice.kind === 'add') {
        const argv = await askCommand(folder);
        if (!argv) continue;
        const result = await client.request<{ added?: boolean }>(Methods.commandsAllow, { workspaceFolder: folder.uri, command: argv });
        void vscode.window.showInformationMessage(allowedMessage(folder.name, argv, result?.added === true));
      } else {
        const result = await client.request<{ removed?: boolean }>(Methods.commandsRemove, {
          workspaceFolder: folder.uri,
          command: choice.argv,
        });
        const removed = result?.removed === true;
        const message = removedMessage(folder.name, choice.argv, removed);
        void (removed ? vscode.window.showInformationMessage(message) : vscode.window.showWarningMessage(message));
      }
    } catch (error) {
      // The server's error (a bad command, a folder it does not know) is shown; the list stays.
      if (errorCode(error) === ErrorCodes.RequestCancelled) return;
      void vscode.window.showErrorMessage(`Victor: ${errorMessage(error)}`);
    }
  }
}

/** The folder whose list to manage: the only one, else the user's choice (none: undefined). */
async function chooseFolder(): Promise<FolderInfo | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const activeFolder = active ? vscode.workspace.getWorkspaceFolder(active)?.uri.toString() : undefined;
  const folders = allowlistFolders(
    (vscode.workspace.workspaceFolders ?? []).map((f) => ({ name: f.name, uri: f.uri.toString(), local: f.uri.scheme === 'file' })),
    activeFolder,
  );
  if (folders.length === 0) {
    void vscode.window.showInformationMessage('Victor: open a folder first; the allowed commands are kept per workspace folder.');
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  const picked = await vscode.window.showQuickPick(
    folders.map((folder) => ({ label: folder.name, description: vscode.Uri.parse(folder.uri).fsPath, folder })),
    { title: 'Victor: Allowed Commands', placeHolder: 'Which folder?' },
  );
  return picked?.folder;
}

/** The list; resolves with the user's choice (select or trash button), undefined when dismissed. */
function pick(folder: FolderInfo, entries: string[][]): Promise<Picked> {
  const quickPick = vscode.window.createQuickPick<Item>();
  quickPick.title = `Victor: Allowed Commands in ${folder.name}`;
  quickPick.placeholder = allowlistPlaceholder(folder.name, entries.length);
  quickPick.matchOnDescription = false;
  quickPick.items = allowlistPickItems(entries).map((item) => ({
    ...item,
    ...(item.choice.kind === 'entry' ? { buttons: [REMOVE_BUTTON] } : {}),
  }));
  return new Promise<Picked>((resolve) => {
    let done = false;
    const finish = (value: Picked) => {
      if (done) return;
      done = true;
      resolve(value);
      quickPick.hide();
      quickPick.dispose();
    };
    quickPick.onDidAccept(() => {
      const item = quickPick.selectedItems[0];
      if (item) finish({ choice: item.choice });
    });
    quickPick.onDidTriggerItemButton((e) => finish({ choice: e.item.choice }));
    quickPick.onDidHide(() => finish(undefined));
    quickPick.show();
  });
}

/** A command line typed by the user, as an argv; undefined when cancelled. */
async function askCommand(folder: FolderInfo): Promise<string[] | undefined> {
  const text = await vscode.window.showInputBox({
    title: `Victor: Allow a Command in ${folder.name}`,
    prompt:
      'Agent mode will run it, and every command that starts with it ("git" would allow "git push"), without asking. ' +
      'No shell: no pipes, redirections or variables.',
    placeHolder: 'e.g. pytest -q',
    ignoreFocusOut: true,
    validateInput: (value) => {
      if (!value.trim()) return undefined;
      const parsed = parseCommandLine(value);
      return 'error' in parsed ? parsed.error : undefined;
    },
  });
  if (!text?.trim()) return undefined;
  const parsed = parseCommandLine(text);
  return 'argv' in parsed ? parsed.argv : undefined;
}
