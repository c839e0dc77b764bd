// The language client as the rest of the extension sees it: starts `python -m victor`,
// restarts it after a crash with backoff, reports its state and status, and exposes Victor's
// custom methods with typed helpers. How the LanguageClient itself is set up (process,
// settings middleware) is in languageClient.ts; which Python runs it, in pythonInterpreter.ts.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ProgressType, ShowMessageRequest, State, type LanguageClient } from 'vscode-languageclient/node';
import { RestartPolicy } from './backoff';
import { errorMessage } from './errors';
import { ExplanationEchoes } from './explanationEcho';
import { createLanguageClient, takeOverShowMessage } from './languageClient';
import { showMessageRequest } from './messageRequest';
import { resolveInterpreter, serverInterpreter } from './pythonInterpreter';
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
import type { ApiKeyProvider } from './settings';

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
  /** Explanations shown in the chat view, whose `window/showMessage` copy is skipped. */
  private readonly explanationEchoes = new ExplanationEchoes();
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
    takeOverShowMessage(client, this.explanationEchoes);
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
    const interpreter = await serverInterpreter(this.installer, folder);
    this.interpreterCommand = interpreter.command;
    this.output.info(`Server: ${interpreter.description}`);
    const keys: Partial<Record<ApiKeyProvider, string>> = {};
    for (const provider of ['anthropic', 'openai'] as const) {
      const key = await this.context.secrets.get(SECRET_KEYS[provider]);
      if (key) keys[provider] = key;
    }
    const client = createLanguageClient({
      folder,
      interpreter,
      keys,
      output: this.output,
      traceOutput: this.traceOutput,
      current: () => (generation === this.generation ? this.client : undefined),
      closed: () => {
        this.lastError = 'The server process exited.';
        // Defer: the client finishes its own clean-up first.
        setTimeout(() => this.crashed(generation), 0);
      },
    });
    client.onNotification(Methods.contextUsage, (params: ContextUsageNotification) => {
      if (generation === this.generation) this.contextUsageEmitter.fire(params);
    });
    client.onNotification(Methods.explanation, (params: ExplanationNotification) => {
      if (generation !== this.generation) return;
      // The server repeats it as window/showMessage for clients without a chat view: skip
      // that copy when the chat view shows it (explanationEcho.ts).
      if (this.explanationVisible()) this.explanationEchoes.remember(params.title, params.markdown, Date.now());
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
