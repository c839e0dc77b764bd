// Pure logic around settings: which `victor.*` values go to the server, the server's
// environment (API keys), and which Python interpreter runs it. No `vscode` import here,
// so it is unit-tested with node's test runner.

/**
 * The `victor.*` settings forwarded to the server: docs/protocol.md's configuration table, in
 * its order, then the user-only ones (USER_ONLY_KEYS).
 */
export const SERVER_SETTING_KEYS = [
  'provider',
  'model',
  'maxTokens',
  'contextWindow',
  'contextCompactionThreshold',
  'anthropicBaseUrl',
  'openaiBaseUrl',
  'enableTools',
  'toolSelectionStrategy',
  'enableAnalytics',
  'formatGeneratedCode',
  'completionModel',
  'completionFim',
  'agentMaxToolRounds',
  'agentMaxFiles',
  'agentCommandTimeout',
  'promptCacheKeepWarm',
  'promptCacheKeepWarmAfter',
] as const;

export type ServerSettingKey = (typeof SERVER_SETTING_KEYS)[number];

/** Settings that name a URL: never taken from an untrusted workspace's own settings. */
const URL_KEYS: ReadonlySet<ServerSettingKey> = new Set(['anthropicBaseUrl', 'openaiBaseUrl']);

/**
 * Settings taken from the user's own settings only, never from a workspace's or folder's
 * (trusted or not): a repository's .vscode/settings.json must not raise the agent's limits or
 * make the user pay for prompt-cache refreshes. package.json declares them application-scoped;
 * this holds without relying on VS Code's scoping.
 */
export const USER_ONLY_KEYS: ReadonlySet<ServerSettingKey> = new Set([
  'agentMaxToolRounds',
  'agentMaxFiles',
  'agentCommandTimeout',
  'promptCacheKeepWarm',
  'promptCacheKeepWarmAfter',
]);
export type ServerSettings = Partial<Record<ServerSettingKey, string | number | boolean>>;

/** What `WorkspaceConfiguration.inspect(key)` returns (the fields used here). */
export interface Inspected {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

export type Inspector = (key: ServerSettingKey) => Inspected | undefined;

const PROVIDERS = ['auto', 'anthropic', 'openai', 'preview'];
const STRATEGIES = ['keyword', 'semantic', 'hybrid', 'all'];
const FIM_MODES = ['auto', 'on', 'off'];

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isNumberIn(value: unknown, min: number, max: number, minExclusive = false): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  return (minExclusive ? value > min : value >= min) && value <= max;
}

/**
 * Whether `value` has the type and range the server accepts for `key` (server/victor/config/
 * settings.py). The server sets all of the editor's settings aside when one is invalid, so a
 * bad value is left out here instead and the server's default applies to it alone.
 */
export function isValidServerSetting(key: ServerSettingKey, value: unknown): boolean {
  switch (key) {
    case 'provider':
      return typeof value === 'string' && PROVIDERS.includes(value);
    case 'toolSelectionStrategy':
      return typeof value === 'string' && STRATEGIES.includes(value);
    case 'completionFim':
      return typeof value === 'string' && FIM_MODES.includes(value);
    case 'model':
    case 'completionModel':
    case 'anthropicBaseUrl':
    case 'openaiBaseUrl':
      return typeof value === 'string' && value.trim() !== '';
    case 'maxTokens':
      return isIntegerIn(value, 1, Number.MAX_SAFE_INTEGER);
    case 'contextWindow':
      return isIntegerIn(value, 256, Number.MAX_SAFE_INTEGER);
    case 'contextCompactionThreshold':
      return isNumberIn(value, 0, 1, true);
    case 'agentMaxToolRounds':
      return isIntegerIn(value, 1, 200);
    case 'agentMaxFiles':
      return isIntegerIn(value, 1, 500);
    case 'agentCommandTimeout':
      return isNumberIn(value, 0, 3600, true);
    case 'promptCacheKeepWarm':
      return isIntegerIn(value, 0, 12);
    case 'promptCacheKeepWarmAfter':
      return isNumberIn(value, 1, 3600);
    case 'enableTools':
    case 'enableAnalytics':
    case 'formatGeneratedCode':
      return typeof value === 'boolean';
  }
}

/**
 * The settings the user set explicitly, the most specific scope winning (folder > workspace >
 * user). Defaults are left out on purpose: the server has the same defaults, and sending them
 * would hide the lower levels of the precedence (`.victor/config.toml`, `VICTOR_*`).
 * Empty strings, nulls and values of the wrong type or out of range are left out too.
 * USER_ONLY_KEYS come from the user's settings alone, and in an untrusted workspace so do URLs.
 */
export function explicitServerSettings(inspect: Inspector, trusted = true): ServerSettings {
  const out: ServerSettings = {};
  for (const key of SERVER_SETTING_KEYS) {
    const info = inspect(key);
    if (!info) continue;
    // An untrusted workspace's own .vscode/settings.json may not choose a server URL (VS Code
    // already hides restricted settings' workspace values; this holds without relying on it).
    const fromWorkspace = !USER_ONLY_KEYS.has(key) && (trusted || !URL_KEYS.has(key));
    const candidates = fromWorkspace ? [info.workspaceFolderValue, info.workspaceValue, info.globalValue] : [info.globalValue];
    const value = candidates.find((v) => v !== undefined && v !== null);
    if (value === undefined || value === null) continue;
    const normalized = typeof value === 'string' ? value.trim() : value;
    if (isValidServerSetting(key, normalized)) {
      out[key] = normalized as string | number | boolean;
    }
  }
  return out;
}

export type ApiKeyProvider = 'anthropic' | 'openai';

/** The environment variable that carries the API key of `provider`. */
export function apiKeyEnvVar(provider: ApiKeyProvider): 'ANTHROPIC_API_KEY' | 'OPENAI_API_KEY' {
  return provider === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
}

/** Which stored key "Set API key" should ask for, given the `victor.provider` setting. */
export function keyProviderFor(provider: string | undefined): ApiKeyProvider {
  return provider === 'openai' ? 'openai' : 'anthropic';
}

/**
 * The server's environment: the extension host's own, plus the API keys kept in SecretStorage
 * (a stored key wins over an inherited variable; a missing one leaves the inherited one alone).
 */
export function serverEnv(
  base: Record<string, string | undefined>,
  keys: Partial<Record<ApiKeyProvider, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (typeof value === 'string') env[name] = value;
  }
  for (const provider of ['anthropic', 'openai'] as const) {
    const key = keys[provider]?.trim();
    if (key) env[apiKeyEnvVar(provider)] = key;
  }
  env.PYTHONUNBUFFERED = '1';
  env.PYTHONIOENCODING = 'utf-8';
  // `python -m victor` runs with the workspace folder as its working directory; without this
  // (Python 3.11+) a `victor/` package committed in the repository would be imported instead.
  env.PYTHONSAFEPATH = '1';
  return env;
}

/** Where the server's interpreter came from; 'bundled': the extension's own environment. */
export type InterpreterSource = 'setting' | 'python-extension' | 'default' | 'bundled';

export interface Interpreter {
  command: string;
  source: InterpreterSource;
}

export interface InterpreterInputs {
  /** `victor.pythonPath` as set (may be empty or null). */
  configured?: string | null;
  /** The Python extension's interpreter for the workspace, when that extension is present. */
  pythonExtension?: string | null;
  /** Used to expand `${workspaceFolder}` in the setting. */
  workspaceFolder?: string;
  /** Used to expand a leading `~`. */
  home?: string;
  platform?: string;
  /** VS Code's workspace trust; false: no interpreter from inside `workspaceFolders`. */
  trusted?: boolean;
  /** The workspace folders' paths (an untrusted one may not provide the interpreter). */
  workspaceFolders?: string[];
}

/**
 * `victor.pythonPath`, else the Python extension's interpreter, else `python3` (`python` on
 * Windows). In an untrusted workspace a candidate inside a workspace folder (a committed
 * `.venv/bin/python`) is skipped: it would run with the API key in its environment.
 */
export function chooseInterpreter(inputs: InterpreterInputs): Interpreter {
  const chosen = chooseAnyInterpreter(inputs);
  if (inputs.trusted === false && chosen.source !== 'default' && insideAny(chosen.command, inputs.workspaceFolders ?? [])) {
    return chooseAnyInterpreter({ ...inputs, configured: null, pythonExtension: null });
  }
  return chosen;
}

/** Whether `path` is one of `folders` or inside one (a relative path counts as inside). */
export function insideAny(path: string, folders: readonly string[]): boolean {
  const isAbsolute = path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
  if (!isAbsolute) return path.includes('/') || path.includes('\\');
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '');
  const target = norm(path);
  return folders.some((folder) => {
    const root = norm(folder);
    return root !== '' && (target === root || target.startsWith(`${root}/`));
  });
}

function chooseAnyInterpreter(inputs: InterpreterInputs): Interpreter {
  const configured = inputs.configured?.trim();
  if (configured) {
    let command = configured;
    if (inputs.workspaceFolder !== undefined) {
      command = command.replace(/\$\{workspaceFolder\}/g, inputs.workspaceFolder);
    }
    if (inputs.home && (command === '~' || command.startsWith('~/'))) {
      command = inputs.home + command.slice(1);
    }
    return { command, source: 'setting' };
  }
  const fromExtension = inputs.pythonExtension?.trim();
  if (fromExtension) return { command: fromExtension, source: 'python-extension' };
  return { command: inputs.platform === 'win32' ? 'python' : 'python3', source: 'default' };
}

/** The arguments that start the server on stdio. No `--stdio`: the server uses stdio by default. */
export const SERVER_ARGS: readonly string[] = ['-m', 'victor'];

/**
 * The server's arguments. With a debug port (`VICTOR_SERVER_DEBUG_PORT`, set by
 * .vscode/launch.json) the server runs under debugpy, listening on 127.0.0.1:port for an attach.
 */
export function serverArgs(debugPort?: string | undefined): string[] {
  const port = debugPort?.trim();
  if (port && /^\d{1,5}$/.test(port) && Number(port) > 0 && Number(port) < 65536) {
    return ['-m', 'debugpy', '--listen', `127.0.0.1:${port}`, ...SERVER_ARGS];
  }
  return [...SERVER_ARGS];
}
