// Finds the Python that runs the server. With `victor.pythonPath` set: that interpreter (the
// user installed victor-lsp there). Otherwise: the server the .vsix carries (bundled/), installed
// on first start into a private virtual environment in the extension's global storage, created
// from the first Python >= 3.11 found (the Python extension's interpreter, else python3/python3.x
// on PATH). The environment is reused across restarts and window reloads, and a new one is built
// when the bundled server changes (an update). Pure decisions live in serverEnv.ts.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  MARKER_FILE,
  PYTHON_PROBE,
  candidateArgs,
  configuredPythonMessage,
  envDirName,
  isSupportedPython,
  markerMatches,
  noPythonMessage,
  parseBundleManifest,
  parsePythonProbe,
  parseServerVersion,
  pipEnv,
  pipInstallArgs,
  pythonCandidates,
  setupFailedMessage,
  venvPython,
  versionLabel,
  type Bundle,
  type EnvMarker,
  type PythonInfo,
  type Rejected,
} from './serverEnv';
import type { Interpreter } from './settings';

/** A server that cannot be started until the user does something: the message says what. */
export class ServerSetupError extends Error {}

export interface ServerLaunch extends Interpreter {
  /** One line for the output: which server and which Python. */
  description: string;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number; cwd?: string }): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: options.env, timeout: options.timeoutMs, maxBuffer: 8 * 1024 * 1024, cwd: options.cwd ?? os.homedir(), windowsHide: true },
      (error, stdout, stderr) => {
        const err = error as (NodeJS.ErrnoException & { code?: number | string }) | null;
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
          ...(err ? { error: err } : {}),
        });
      },
    );
  });
}

/** `python -m victor --version`: which server and which Python (undefined: it cannot run). */
async function probeServer(python: string): Promise<{ line: string } | { failure: string }> {
  const result = await run(python, ['-m', 'victor', '--version'], { timeoutMs: 30_000 });
  const parsed = parseServerVersion(result.stdout);
  if (result.code === 0 && parsed) {
    return { line: `victor ${parsed.version} (Python ${parsed.python} at ${parsed.executable})` };
  }
  if (result.error && (result.error.code as unknown) === 'ENOENT') return { failure: 'no such file' };
  return { failure: result.stderr.trim() || result.error?.message || `exit code ${result.code}` };
}

async function probePython(command: string): Promise<PythonInfo | undefined> {
  const result = await run(command, [...candidateArgs(command), '-c', PYTHON_PROBE], { timeoutMs: 15_000 });
  return result.code === 0 ? parsePythonProbe(command, result.stdout) : undefined;
}

export class ServerInstaller {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  private get bundleDir(): string {
    return path.join(this.context.extensionPath, 'bundled');
  }

  /**
   * The command that runs the server. `configured` is `victor.pythonPath`; `fromPythonExtension`
   * is looked up only when needed (it may activate the Python extension).
   */
  async resolve(
    configured: Interpreter | undefined,
    fromPythonExtension: () => Promise<string | undefined>,
    fallback: () => Promise<Interpreter>,
  ): Promise<ServerLaunch> {
    if (configured) {
      const probe = await probeServer(configured.command);
      if ('failure' in probe) throw new ServerSetupError(configuredPythonMessage(configured.command, probe.failure));
      return { ...configured, description: `${probe.line}, from victor.pythonPath` };
    }
    // A development host (launch.json) runs the repository's code, not a packaged bundle.
    const bundle = this.context.extensionMode === vscode.ExtensionMode.Production ? await this.readBundle() : undefined;
    if (!bundle) {
      // No bundled/ (a development build): the interpreter as before the bundle existed.
      const interpreter = await fallback();
      const probe = await probeServer(interpreter.command);
      const line = 'line' in probe ? probe.line : `${interpreter.command} (cannot run victor: ${probe.failure})`;
      return { ...interpreter, description: `${line}, interpreter from ${interpreter.source}; no bundled server in this build` };
    }
    return this.ensureEnvironment(bundle, fromPythonExtension);
  }

  private async readBundle(): Promise<Bundle | undefined> {
    try {
      return parseBundleManifest(await readFile(path.join(this.bundleDir, 'manifest.json'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  private async ensureEnvironment(bundle: Bundle, fromPythonExtension: () => Promise<string | undefined>): Promise<ServerLaunch> {
    const started = Date.now();
    const storage = this.context.globalStorageUri.fsPath;
    const envDir = path.join(storage, envDirName(bundle));
    const python = venvPython(envDir, process.platform);
    const marker = await readFile(path.join(envDir, MARKER_FILE), 'utf8').catch(() => undefined);
    if (markerMatches(marker, bundle) && existsSync(python)) {
      const probe = await probeServer(python);
      if ('line' in probe) {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        this.output.info(`Reusing the server environment ${envDir} (checked in ${seconds} s).`);
        return { command: python, source: 'bundled', description: `${probe.line}, the extension's own environment` };
      }
      this.output.warn(`The server environment ${envDir} no longer runs (${probe.failure}); building it again.`);
    }
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Victor', cancellable: false },
      async (progress) => {
        progress.report({ message: `Setting up its server ${bundle.version} (first start only)…` });
        await this.build(bundle, storage, envDir, fromPythonExtension, (message) => progress.report({ message }));
      },
    );
    const probe = await probeServer(python);
    if ('failure' in probe) {
      throw new ServerSetupError(`Victor's server environment was built but does not run: ${probe.failure}`);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    this.output.info(`Server environment ready in ${seconds} s: ${envDir}`);
    void this.removeOtherEnvironments(storage, path.basename(envDir));
    return { command: python, source: 'bundled', description: `${probe.line}, the extension's own environment` };
  }

  /** The first Python >= 3.11 among the candidates, or a ServerSetupError saying what to install. */
  private async findBasePython(fromPythonExtension: () => Promise<string | undefined>): Promise<PythonInfo> {
    const rejected: Rejected[] = [];
    for (const command of pythonCandidates(process.platform, await fromPythonExtension().catch(() => undefined))) {
      const info = await probePython(command);
      if (!info) {
        rejected.push({ command, reason: 'missing' });
      } else if (!isSupportedPython(info.version)) {
        rejected.push({ command, reason: 'too-old', info });
      } else {
        return info;
      }
    }
    throw new ServerSetupError(noPythonMessage(rejected, process.platform));
  }

  private async build(
    bundle: Bundle,
    storage: string,
    envDir: string,
    fromPythonExtension: () => Promise<string | undefined>,
    report: (message: string) => void,
  ): Promise<void> {
    await mkdir(storage, { recursive: true });
    const release = await this.lock(`${envDir}.lock`);
    try {
      // Another window may have built it while this one waited for the lock.
      const marker = await readFile(path.join(envDir, MARKER_FILE), 'utf8').catch(() => undefined);
      if (markerMatches(marker, bundle)) return;
      const base = await this.findBasePython(fromPythonExtension);
      this.output.info(`Creating the server environment ${envDir} with Python ${versionLabel(base.version)} (${base.executable}).`);
      await rm(envDir, { recursive: true, force: true });
      // No pip of its own: pip runs from the bundled wheel, so Debian's python3 without
      // python3-venv (no ensurepip) works too, and nothing is compiled at first start.
      const venv = await run(base.executable, ['-m', 'venv', '--without-pip', envDir], { timeoutMs: 120_000 });
      if (venv.code !== 0) throw new ServerSetupError(setupFailedMessage('venv', base, venv.stderr || venv.stdout || String(venv.error?.message)));
      const python = venvPython(envDir, process.platform);
      const wheels = path.join(this.bundleDir, 'wheels');
      const pip = path.join(wheels, bundle.pipWheel, 'pip');
      const constraints = path.join(this.bundleDir, 'constraints.txt');
      let source: EnvMarker['source'] = 'bundled';
      let result: RunResult | undefined;
      if (bundle.hasDependencyWheels) {
        report(`Installing its server ${bundle.version} from the bundled wheels…`);
        result = await run(python, [pip, ...pipInstallArgs(wheels, bundle.wheel, constraints, true)], {
          env: pipEnv(process.env, true, os.devNull),
          timeoutMs: 600_000,
        });
        if (result.code !== 0) {
          this.output.warn(`The bundled wheels do not fit Python ${versionLabel(base.version)} on this platform:\n${result.stderr.trim()}`);
        }
      }
      if (!result || result.code !== 0) {
        source = 'pypi';
        report(`Installing its server ${bundle.version}; its dependencies come from PyPI…`);
        result = await run(python, [pip, ...pipInstallArgs(wheels, bundle.wheel, constraints, false)], {
          env: pipEnv(process.env, false, os.devNull),
          timeoutMs: 900_000,
        });
      }
      if (result.code !== 0) {
        this.output.error(result.stderr.trim());
        throw new ServerSetupError(setupFailedMessage('install', base, result.stderr || String(result.error?.message)));
      }
      const done: EnvMarker = {
        version: bundle.version,
        wheelSha256: bundle.wheelSha256,
        basePython: base.executable,
        pythonVersion: versionLabel(base.version),
        source,
        createdAt: new Date().toISOString(),
      };
      await writeFile(path.join(envDir, MARKER_FILE), JSON.stringify(done, null, 2));
      this.output.info(`Installed victor-lsp ${bundle.version} into ${envDir} (dependencies: ${source === 'bundled' ? 'the bundled wheels' : 'PyPI'}).`);
    } finally {
      await release();
    }
  }

  /** A directory lock shared by all windows (a stale one, 15 minutes old, is broken). */
  private async lock(lockDir: string): Promise<() => Promise<void>> {
    const owner = randomUUID();
    for (let waited = 0; ; waited += 500) {
      try {
        await mkdir(lockDir);
        await writeFile(path.join(lockDir, 'owner'), owner);
        return async () => {
          await rm(lockDir, { recursive: true, force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = await stat(lockDir).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > 15 * 60_000) await rm(lockDir, { recursive: true, force: true });
        else if (waited % 10_000 === 0) this.output.info('Waiting for another window that sets up the server environment…');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Environments of other server builds (before an update), once the new one runs. */
  private async removeOtherEnvironments(storage: string, keep: string): Promise<void> {
    try {
      for (const name of await readdir(storage)) {
        if (name.startsWith('server-') && name !== keep && !name.endsWith('.lock')) {
          await rm(path.join(storage, name), { recursive: true, force: true });
          this.output.info(`Removed the previous server environment ${name}.`);
        }
      }
    } catch (error) {
      this.output.debug(`Cleaning the global storage: ${String(error)}`);
    }
  }
}
