// Which Python runs the server: `victor.pythonPath`, else the Python extension's interpreter,
// else the installer's bundled environment; in an untrusted workspace none from inside it.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { ServerInstaller, ServerLaunch } from './serverInstall';
import { chooseInterpreter, insideAny, type Interpreter } from './settings';

/** The local workspace folders, as file-system paths (where an untrusted interpreter may not live). */
function localFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

/** The interpreter the server starts with (the installer may set up its own environment). */
export async function serverInterpreter(installer: ServerInstaller, folder: vscode.WorkspaceFolder | undefined): Promise<ServerLaunch> {
  const config = vscode.workspace.getConfiguration('victor', folder?.uri);
  const configured = config.get<string | null>('pythonPath');
  // Workspace trust: in an untrusted workspace no interpreter from inside it (a repository's
  // .vscode/settings.json or .venv must not choose what runs); chooseInterpreter then falls
  // back to the default, which the installer replaces with the bundled environment.
  const trustInputs = {
    trusted: vscode.workspace.isTrusted,
    workspaceFolders: localFolderPaths(),
    platform: process.platform,
  };
  const chosen = configured?.trim()
    ? chooseInterpreter({ configured, workspaceFolder: folder?.uri.fsPath, home: os.homedir(), ...trustInputs })
    : undefined;
  return installer.resolve(
    chosen && chosen.source !== 'default' ? chosen : undefined,
    async () => {
      const found = await pythonExtensionInterpreter(folder?.uri);
      return found && !trustInputs.trusted && insideAny(found, trustInputs.workspaceFolders) ? undefined : found;
    },
    () => resolveInterpreter(configured, folder),
  );
}

/** `victor.pythonPath`, else the Python extension's interpreter, else python3. */
export async function resolveInterpreter(
  configured: string | null | undefined,
  folder: vscode.WorkspaceFolder | undefined,
): Promise<Interpreter> {
  let fromExtension: string | undefined;
  if (!configured?.trim()) {
    fromExtension = await pythonExtensionInterpreter(folder?.uri);
  }
  return chooseInterpreter({
    configured: configured ?? null,
    pythonExtension: fromExtension ?? null,
    workspaceFolder: folder?.uri.fsPath,
    home: os.homedir(),
    platform: process.platform,
    trusted: vscode.workspace.isTrusted,
    workspaceFolders: localFolderPaths(),
  });
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { path?: string } | undefined;
    resolveEnvironment?(env: { path?: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } | undefined;
  };
}

async function pythonExtensionInterpreter(resource: vscode.Uri | undefined): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const envPath = api?.environments?.getActiveEnvironmentPath?.(resource);
    if (envPath?.path && api.environments?.resolveEnvironment) {
      const resolved = await api.environments.resolveEnvironment(envPath);
      const executable = resolved?.executable?.uri?.fsPath;
      if (executable) return executable;
    }
    const exec = api?.settings?.getExecutionDetails?.(resource)?.execCommand;
    if (exec && exec.length > 0 && exec[0]) return exec[0];
    return envPath?.path;
  } catch {
    return undefined;
  }
}
