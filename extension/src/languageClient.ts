// How the vscode-languageclient LanguageClient is set up for one server process: the command,
// its environment, and the options that answer the server's settings requests and report a
// crash to VictorClient (client.ts), which owns the lifecycle and decides about restarts.
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  MessageType,
  ShowMessageNotification,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { errorMessage } from './errors';
import type { ExplanationEchoes } from './explanationEcho';
import { inlineCompletionMiddleware } from './inlineCompletions';
import { explicitServerSettings, serverArgs, serverEnv, type ApiKeyProvider, type Interpreter, type ServerSettingKey } from './settings';

export interface LanguageClientSetup {
  folder: vscode.WorkspaceFolder | undefined;
  interpreter: Interpreter;
  /** API keys from the secret storage, passed in the server's environment. */
  keys: Partial<Record<ApiKeyProvider, string>>;
  output: vscode.LogOutputChannel;
  traceOutput: vscode.LogOutputChannel;
  /** The client, while it is the current one and running; undefined once replaced or stopped. */
  current: () => LanguageClient | undefined;
  /** The server process exited (called by the client's error handler, before its clean-up). */
  closed: () => void;
}

export function createLanguageClient(setup: LanguageClientSetup): LanguageClient {
  const { folder, interpreter, keys, output } = setup;
  const env = serverEnv(process.env, keys);
  const args = serverArgs(process.env.VICTOR_SERVER_DEBUG_PORT);
  output.info(
    `Starting ${interpreter.command} ${args.join(' ')} (interpreter from ${interpreter.source})` +
      (keys.anthropic || keys.openai ? ' with the API key from the secret storage' : ''),
  );
  const serverOptions: ServerOptions = {
    command: interpreter.command,
    args,
    options: { env, cwd: folder?.uri.scheme === 'file' ? folder.uri.fsPath : os.homedir() },
    // `transport` left unset on purpose: TransportKind.stdio would append `--stdio`.
  };
  const inspector = (scope: vscode.Uri | undefined) => {
    const section = vscode.workspace.getConfiguration('victor', scope);
    return (key: ServerSettingKey) => section.inspect(key);
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
    synchronize: { configurationSection: 'victor' },
    outputChannel: output,
    traceOutputChannel: setup.traceOutput,
    // trustedWorkspace: VS Code's workspace trust; false (Restricted Mode) keeps the server in
    // limited mode: no formatter or other program from the workspace (docs/security.md).
    // victor.agentReview: agent turns' changes come as victor/reviewChanges (agentReviewUi.ts).
    initializationOptions: {
      ...explicitServerSettings(inspector(folder?.uri), vscode.workspace.isTrusted),
      trustedWorkspace: vscode.workspace.isTrusted,
      victor: { agentReview: true },
    },
    // Reported (once per start) by VictorClient's crash handling instead of a pop-up per attempt.
    initializationFailedHandler: (error) => {
      output.error(`Server initialization failed: ${errorMessage(error)}`);
      return false;
    },
    errorHandler: {
      error: (_error, _message, count) => ({
        action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        handled: true,
      }),
      closed: () => {
        setup.closed();
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
    middleware: {
      ...inlineCompletionMiddleware,
      workspace: {
        // Push the same explicit settings the server would pull (the server re-pulls anyway;
        // the payload is its fallback), never the defaults or the client-only keys.
        didChangeConfiguration: async () => {
          const client = setup.current();
          if (!client) return;
          await client.sendNotification(DidChangeConfigurationNotification.type, {
            settings: { victor: explicitServerSettings(inspector(folder?.uri), vscode.workspace.isTrusted) },
          });
        },
        // Answer `workspace/configuration` for the `victor` section with the explicitly set
        // server settings only (see explicitServerSettings); other sections as usual.
        configuration: async (params, token, next) => {
          const items = params.items;
          if (!items.some((i) => i.section === 'victor')) return next(params, token);
          const others = await next({ items: items.filter((i) => i.section !== 'victor') }, token);
          if (!Array.isArray(others)) return others;
          let j = 0;
          return items.map((item) => {
            if (item.section !== 'victor') return others[j++];
            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
            return explicitServerSettings(inspector(scope), vscode.workspace.isTrusted);
          });
        },
      },
    },
  };
  return new LanguageClient('victor', 'Victor', serverOptions, clientOptions);
}

/** Replaces the client's window/showMessage handler (same behaviour, minus explanation echoes). */
export function takeOverShowMessage(client: LanguageClient, echoes: ExplanationEchoes): void {
  client.onNotification(ShowMessageNotification.type, (params) => {
    if (params.type === MessageType.Info && echoes.isEcho(params.message, Date.now())) return;
    switch (params.type) {
      case MessageType.Error:
        void vscode.window.showErrorMessage(params.message);
        break;
      case MessageType.Warning:
        void vscode.window.showWarningMessage(params.message);
        break;
      default:
        void vscode.window.showInformationMessage(params.message);
    }
  });
}
