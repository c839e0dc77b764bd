// The language client: starts `python -m victor`, restarts it after a crash with backoff,
// and exposes Victor's custom methods with typed helpers.
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  MessageType,
  ProgressType,
  ShowMessageNotification,
  ShowMessageRequest,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { RestartPolicy } from './backoff';
import { errorMessage } from './errors';
import { inlineCompletionMiddleware } from './inlineCompletions';
import { showMessageRequest } from './messageRequest';
import { ServerInstaller, ServerSetupError } from './serverInstall';
import {
  Methods,
  type ChatParams,
  type ChatProgress,
  type ChatResult,
  type CompactResult,
  type ContextUsageNotification,
  type ExplanationNotification,
  type GenerateParams,
  type GenerateResult,
  type SessionDetail,
  type SessionSummary,
  type SetTrustParams,
  type StatusResult,
  type SystemPromptResult,
  type EditorContextParams,
  type ReviewChangesResult,
} from './protocol';
import {
  SERVER_SETTING_KEYS,
  serverArgs,
  chooseInterpreter,
  insideAny,
  explicitServerSettings,
  serverEnv,
  type ApiKeyProvider,
  type Interpreter,
  type ServerSettingKey,
} from './settings';

export const SECRET_KEYS: Record<ApiKeyProvider, string> = {
  anthropic: 'victor.apiKey.anthropic',
  openai: 'victor.apiKey.openai',
};

export type ServerState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

/** Thrown by requests made while the server is not running. */
export class ServerUnavailableError extends Error {}

export class VictorClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly policy = new RestartPolicy();
  private restartTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private crashedGeneration = -1;
  private stateValue: ServerState = 'stopped';
  private lastError: string | undefined;
  private readyWaiters: Array<{ resolve: (c: LanguageClient) => void; reject: (e: Error) => void }> = [];
  private statusValue: StatusResult | undefined;
  private interpreterCommand: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly installer: ServerInstaller;
  /** `window/showMessage` texts that repeat an explanation already shown in the chat view. */
  private readonly shownExplanations = new Map<string, number>();
  /** Whether an explanation will be seen in the chat view (set by the extension). */
  explanationVisible: () => boolean = () => false;
  /** Answers `victor/reviewChanges` (set by the extension: agentReviewUi.ts). */
  reviewChanges: ((params: unknown, token: vscode.CancellationToken) => Promise<ReviewChangesResult>) | undefined;

  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  private readonly statusEmitter = new vscode.EventEmitter<StatusResult | undefined>();
  private readonly contextUsageEmitter = new vscode.EventEmitter<ContextUsageNotification>();
  private readonly explanationEmitter = new vscode.EventEmitter<ExplanationNotification>();
  private readonly messageRequestEmitter = new vscode.EventEmitter<{ message: string; pending: boolean }>();
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidChangeStatus = this.statusEmitter.event;
  readonly onContextUsage = this.contextUsageEmitter.event;
  readonly onExplanation = this.explanationEmitter.event;
  /** A `window/showMessageRequest` (e.g. a command approval) waits for the user, or was answered. */
  readonly onMessageRequest = this.messageRequestEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly output: vscode.LogOutputChannel,
    private readonly traceOutput: vscode.LogOutputChannel,
  ) {
    this.installer = new ServerInstaller(context, output);
    this.disposables.push(this.stateEmitter, this.statusEmitter, this.contextUsageEmitter, this.explanationEmitter, this.messageRequestEmitter);
  }

  get state(): ServerState {
    return this.stateValue;
  }

  get status(): StatusResult | undefined {
    return this.statusValue;
  }

  get error(): string | undefined {
    return this.lastError;
  }

  /** The running client's converters (throws when the server is not running). */
  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  private setState(state: ServerState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.stateEmitter.fire(state);
    if (state === 'running') {
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const w of waiters) w.resolve(this.client!);
    } else if (state === 'failed' || state === 'stopped') {
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      const error = new ServerUnavailableError(this.lastError ?? 'The Victor server is not running.');
      for (const w of waiters) w.reject(error);
    }
  }

  /** Resolves with the client once the server runs (waits while it starts or restarts). */
  ready(): Promise<LanguageClient> {
    if (this.stateValue === 'running' && this.client) return Promise.resolve(this.client);
    if (this.stateValue === 'failed' || this.stateValue === 'stopped') {
      return Promise.reject(new ServerUnavailableError(this.lastError ?? 'The Victor server is not running.'));
    }
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  async start(): Promise<void> {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    const generation = ++this.generation;
    this.setState(this.stateValue === 'restarting' ? 'restarting' : 'starting');
    await this.disposeClient();
    let client: LanguageClient;
    try {
      client = await this.createClient(generation);
    } catch (error) {
      if (generation !== this.generation) return;
      this.lastError = errorMessage(error);
      this.output.error(`Cannot start the Victor server: ${this.lastError}`);
      this.setState('failed');
      if (error instanceof ServerSetupError) this.showSetupError(error);
      return;
    }
    if (generation !== this.generation) return;
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      if (generation !== this.generation) return;
      this.lastError = errorMessage(error);
      this.output.error(`The Victor server failed to start: ${this.lastError}`);
      this.crashed(generation);
      return;
    }
    if (generation !== this.generation) return;
    this.lastError = undefined;
    this.policy.started();
    this.takeOverShowMessage(client);
    this.setState('running');
    void this.refreshStatus();
  }

  /** The server cannot start until the user acts: the message says what; Retry tries again. */
  private showSetupError(error: ServerSetupError): void {
    void vscode.window.showErrorMessage(error.message, 'Retry', 'Show Output', 'Open Settings').then((choice) => {
      if (choice === 'Retry') void this.restart();
      else if (choice === 'Show Output') this.output.show(true);
      else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'victor.pythonPath');
    });
  }

  /** A restart asked for by the user (or a changed interpreter / API key). */
  async restart(): Promise<void> {
    this.policy.reset();
    this.output.info('Restarting the Victor server.');
    this.setState('restarting');
    await this.start();
  }

  async stop(): Promise<void> {
    this.generation++;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.disposeClient();
    this.setState('stopped');
  }

  private async disposeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      if (client.state === State.Running || client.state === State.Starting) {
        await client.stop(3000);
      }
    } catch (error) {
      this.output.debug(`Stopping the previous server: ${errorMessage(error)}`);
    }
    try {
      await client.dispose(1000);
    } catch {
      // already stopped
    }
  }

  private crashed(generation: number): void {
    // `closed` and a failed `start()` can both report the same crash.
    if (generation !== this.generation || generation === this.crashedGeneration) return;
    this.crashedGeneration = generation;
    const decision = this.policy.crashed();
    if (!decision.restart) {
      this.lastError ??= 'The server stopped.';
      this.output.error(`The Victor server stopped ${decision.attempts + 1} times in a row; not restarting it.`);
      this.setState('failed');
      void vscode.window
        .showErrorMessage(
          'The Victor server keeps stopping. See the "Victor" output for details.',
          'Show Output',
          'Restart',
          'Open Settings',
        )
        .then((choice) => {
          if (choice === 'Show Output') this.output.show(true);
          else if (choice === 'Restart') void this.restart();
          else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'victor.pythonPath');
        });
      return;
    }
    const seconds = (decision.delayMs / 1000).toFixed(decision.delayMs < 10_000 ? 1 : 0);
    this.output.warn(`The Victor server stopped; restarting in ${seconds} s (attempt ${decision.attempt + 1}).`);
    this.setState('restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (generation === this.generation) void this.start();
    }, decision.delayMs);
  }

  private async createClient(generation: number): Promise<LanguageClient> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const config = vscode.workspace.getConfiguration('victor', folder?.uri);
    const configured = config.get<string | null>('pythonPath');
    // Workspace trust: in an untrusted workspace no interpreter from inside it (a repository's
    // .vscode/settings.json or .venv must not choose what runs); chooseInterpreter then falls
    // back to the default, which the installer replaces with the bundled environment.
    const trustInputs = {
      trusted: vscode.workspace.isTrusted,
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
      platform: process.platform,
    };
    const chosen = configured?.trim()
      ? chooseInterpreter({ configured, workspaceFolder: folder?.uri.fsPath, home: os.homedir(), ...trustInputs })
      : undefined;
    const interpreter = await this.installer.resolve(
      chosen && chosen.source !== 'default' ? chosen : undefined,
      async () => {
        const found = await pythonExtensionInterpreter(folder?.uri);
        return found && !trustInputs.trusted && insideAny(found, trustInputs.workspaceFolders) ? undefined : found;
      },
      () => resolveInterpreter(configured, folder),
    );
    this.interpreterCommand = interpreter.command;
    this.output.info(`Server: ${interpreter.description}`);
    const keys: Partial<Record<ApiKeyProvider, string>> = {};
    for (const provider of ['anthropic', 'openai'] as const) {
      const key = await this.context.secrets.get(SECRET_KEYS[provider]);
      if (key) keys[provider] = key;
    }
    const env = serverEnv(process.env, keys);
    const args = serverArgs(process.env.VICTOR_SERVER_DEBUG_PORT);
    this.output.info(
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
      outputChannel: this.output,
      traceOutputChannel: this.traceOutput,
      // trustedWorkspace: VS Code's workspace trust; false (Restricted Mode) keeps the server in
      // limited mode: no formatter or other program from the workspace (docs/security.md).
      // victor.agentReview: agent turns' changes come as victor/reviewChanges (agentReviewUi.ts).
      initializationOptions: {
        ...explicitServerSettings(inspector(folder?.uri), vscode.workspace.isTrusted),
        trustedWorkspace: vscode.workspace.isTrusted,
        victor: { agentReview: true },
      },
      // Reported (once per start) by the crash handling below instead of a pop-up per attempt.
      initializationFailedHandler: (error) => {
        this.output.error(`Server initialization failed: ${errorMessage(error)}`);
        return false;
      },
      errorHandler: {
        error: (_error, _message, count) => ({
          action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
          handled: true,
        }),
        closed: () => {
          this.lastError = 'The server process exited.';
          // Defer: the client finishes its own clean-up first.
          setTimeout(() => this.crashed(generation), 0);
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        ...inlineCompletionMiddleware,
        workspace: {
          // Push the same explicit settings the server would pull (the server re-pulls anyway;
          // the payload is its fallback), never the defaults or the client-only keys.
          didChangeConfiguration: async () => {
            if (generation !== this.generation || !this.client) return;
            await this.client.sendNotification(DidChangeConfigurationNotification.type, {
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
    const client = new LanguageClient('victor', 'Victor', serverOptions, clientOptions);
    client.onNotification(Methods.contextUsage, (params: ContextUsageNotification) => {
      if (generation === this.generation) this.contextUsageEmitter.fire(params);
    });
    client.onNotification(Methods.explanation, (params: ExplanationNotification) => {
      if (generation !== this.generation) return;
      // The server repeats it as window/showMessage "title\n\nmarkdown" for clients without a
      // chat view: skip that copy when the chat view shows it.
      if (this.explanationVisible()) {
        this.shownExplanations.set(`${params.title ?? ''}\n\n${params.markdown ?? ''}`, Date.now());
      }
      this.explanationEmitter.fire(params);
    });
    client.onRequest(Methods.reviewChanges, (params: unknown, token: vscode.CancellationToken) => {
      if (!this.reviewChanges) throw new Error('no review UI');
      return this.reviewChanges(params, token);
    });
    // Replaces the client's own handler (registered before this one): same dialog, plus the
    // event the chat view shows "waiting for your answer" from (agent command approvals).
    client.onRequest(ShowMessageRequest.type, (params) =>
      showMessageRequest(params, (message, pending) => this.messageRequestEmitter.fire({ message, pending })),
    );
    return client;
  }

  /**
   * The user trusted the workspace: tell the server (`victor/setTrust`), or restart it when the
   * interpreter it would now get differs (one inside the workspace was skipped before).
   */
  async trustGranted(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const configured = vscode.workspace.getConfiguration('victor', folder?.uri).get<string | null>('pythonPath');
    const interpreter = await resolveInterpreter(configured, folder);
    if (interpreter.command !== this.interpreterCommand || !this.client || this.stateValue !== 'running') {
      await this.restart();
      return;
    }
    const params: SetTrustParams = { trusted: true };
    await this.client.sendNotification(Methods.setTrust, params);
    await this.refreshStatus();
  }

  /** Replaces the client's window/showMessage handler (same behaviour, minus duplicates). */
  private takeOverShowMessage(client: LanguageClient): void {
    client.onNotification(ShowMessageNotification.type, (params) => {
      const now = Date.now();
      for (const [text, at] of this.shownExplanations) if (now - at > 30_000) this.shownExplanations.delete(text);
      if (params.type === MessageType.Info && this.shownExplanations.delete(params.message)) return;
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

  async refreshStatus(): Promise<StatusResult | undefined> {
    try {
      const client = await this.ready();
      const status = await client.sendRequest<StatusResult>(Methods.status, {});
      this.statusValue = status;
      this.statusEmitter.fire(status);
      if (status && status.ready === false) {
        setTimeout(() => {
          if (this.stateValue === 'running') void this.refreshStatus();
        }, 3000);
      }
      return status;
    } catch (error) {
      this.output.debug(`victor/status: ${errorMessage(error)}`);
      return undefined;
    }
  }

  async request<R>(method: string, params: unknown, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.ready();
    return token ? client.sendRequest<R>(method, params, token) : client.sendRequest<R>(method, params);
  }

  /** A request that streams: `$/progress` values on a fresh partial-result token go to `onProgress`. */
  async streamingRequest<R>(
    method: string,
    params: object,
    onProgress: (value: ChatProgress) => void,
    token?: vscode.CancellationToken,
  ): Promise<R> {
    const client = await this.ready();
    const partialResultToken = `victor-${randomUUID()}`;
    const subscription = client.onProgress(new ProgressType<ChatProgress>(), partialResultToken, onProgress);
    try {
      const withToken = { ...params, partialResultToken };
      return token
        ? await client.sendRequest<R>(method, withToken, token)
        : await client.sendRequest<R>(method, withToken);
    } finally {
      subscription.dispose();
    }
  }

  chat(params: ChatParams, onProgress: (value: ChatProgress) => void, token?: vscode.CancellationToken): Promise<ChatResult> {
    return this.streamingRequest<ChatResult>(Methods.chat, params, onProgress, token);
  }

  generate(params: GenerateParams, onProgress: (value: ChatProgress) => void, token?: vscode.CancellationToken): Promise<GenerateResult> {
    return this.streamingRequest<GenerateResult>(Methods.generate, params, onProgress, token);
  }

  async listSessions(workspaceFolder?: string): Promise<SessionSummary[]> {
    const result = await this.request<{ sessions?: SessionSummary[] }>(Methods.sessionsList, workspaceFolder ? { workspaceFolder } : {});
    return result?.sessions ?? [];
  }

  async newSession(workspaceFolder?: string, title?: string): Promise<string> {
    const params: Record<string, string> = {};
    if (workspaceFolder) params.workspaceFolder = workspaceFolder;
    if (title) params.title = title;
    const result = await this.request<{ sessionId: string }>(Methods.sessionsNew, params);
    return result.sessionId;
  }

  getSession(sessionId: string): Promise<SessionDetail> {
    return this.request<SessionDetail>(Methods.sessionsGet, { sessionId });
  }

  deleteSession(sessionId: string): Promise<{ deleted: boolean }> {
    return this.request(Methods.sessionsDelete, { sessionId });
  }

  async exportSession(sessionId: string): Promise<string> {
    const result = await this.request<{ markdown: string }>(Methods.sessionsExport, { sessionId });
    return result.markdown;
  }

  compact(sessionId: string): Promise<CompactResult> {
    return this.request<CompactResult>(Methods.compact, { sessionId });
  }

  systemPrompt(params: EditorContextParams & { sessionId?: string }): Promise<SystemPromptResult> {
    return this.request<SystemPromptResult>(Methods.systemPrompt, params);
  }

  dispose(): void {
    void this.stop();
    for (const d of this.disposables) d.dispose();
  }
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
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
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

export { SERVER_SETTING_KEYS };
