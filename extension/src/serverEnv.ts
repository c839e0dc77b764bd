// Pure logic of the private server environment (see serverInstall.ts for the I/O): which
// Pythons to try, what a probe printed, where the environment lives, whether an existing one
// can be reused, the pip command that fills it, and the messages that say what to install.
// No `vscode` import here, so it is unit-tested with node's test runner.

/** The oldest Python the server supports (pyproject.toml's `requires-python`). */
export const MIN_PYTHON: readonly [number, number] = [3, 11];
const MIN_LABEL = `${MIN_PYTHON[0]}.${MIN_PYTHON[1]}`;

/** Run with `python -c`: prints what the choice of a base interpreter needs, as one JSON line. */
export const PYTHON_PROBE =
  'import json, sys; print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable}))';

export interface PythonInfo {
  /** How it was found: the command tried (`python3`, a path). */
  command: string;
  version: [number, number, number];
  executable: string;
}

/** Parses the output of PYTHON_PROBE; undefined when it is not that. */
export function parsePythonProbe(command: string, stdout: string): PythonInfo | undefined {
  const line = stdout.trim().split(/\r?\n/).pop() ?? '';
  try {
    const data = JSON.parse(line) as { version?: unknown; executable?: unknown };
    const v = data.version;
    if (!Array.isArray(v) || v.length !== 3 || !v.every((n) => Number.isInteger(n))) return undefined;
    if (typeof data.executable !== 'string' || data.executable === '') return undefined;
    return { command, version: v as [number, number, number], executable: data.executable };
  } catch {
    return undefined;
  }
}

export function isSupportedPython(version: readonly number[]): boolean {
  const [major = 0, minor = 0] = version;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

export function versionLabel(version: readonly number[]): string {
  return version.join('.');
}

/**
 * The interpreters to try as the base of the private environment, in order: the Python
 * extension's interpreter for the workspace, then the usual names on PATH, newest first after
 * the plain `python3` (which is what the user's shell runs).
 */
export function pythonCandidates(platform: string, fromPythonExtension?: string | null): string[] {
  const names =
    platform === 'win32'
      ? ['python', 'python3', 'py']
      : ['python3', 'python3.14', 'python3.13', 'python3.12', 'python3.11', 'python'];
  const out: string[] = [];
  const first = fromPythonExtension?.trim();
  if (first) out.push(first);
  for (const n of names) if (!out.includes(n)) out.push(n);
  return out;
}

/** `py` (the Windows launcher) needs `-3` to pick a Python 3. */
export function candidateArgs(command: string): string[] {
  return command === 'py' ? ['-3'] : [];
}

/** What each tried interpreter turned out to be (for the message when none fits). */
export type Rejected = { command: string; reason: 'missing' } | { command: string; reason: 'too-old'; info: PythonInfo };

/** The message shown when no interpreter can run the server: says exactly what to install. */
export function noPythonMessage(rejected: readonly Rejected[], platform: string): string {
  const old = rejected.filter((r): r is Extract<Rejected, { reason: 'too-old' }> => r.reason === 'too-old');
  const found = old.length
    ? `Found only ${old.map((r) => `Python ${versionLabel(r.info.version)} (${r.info.executable})`).join(', ')}, which is too old. `
    : 'Found no Python on PATH. ';
  const how =
    platform === 'win32'
      ? 'Install Python 3.12 from python.org or the Microsoft Store ("winget install Python.Python.3.12"), '
      : platform === 'darwin'
        ? 'Install Python 3.12 ("brew install python@3.12", or the installer from python.org), '
        : 'Install Python 3.11 or newer (Debian 12 / Ubuntu 24.04: "sudo apt install python3 python3-venv"; Fedora: "sudo dnf install python3"), ';
  return (
    `Victor's server needs Python ${MIN_LABEL} or newer. ${found}${how}` +
    'then run "Victor: Restart Server"; or set "victor.pythonPath" to a Python ' +
    `${MIN_LABEL}+ that has victor-lsp installed.`
  );
}

/** The message for a `victor.pythonPath` that cannot run the server. */
export function configuredPythonMessage(command: string, detail: string): string {
  const why = detail.trim().split(/\r?\n/).filter(Boolean).pop() ?? 'it did not start';
  return (
    `"victor.pythonPath" is ${command}, which cannot run Victor's server (${why}). ` +
    `Install the server into it ("${command} -m pip install victor-lsp", Python ${MIN_LABEL}+), ` +
    "or clear the setting to let the extension set up its own."
  );
}

/** The message when creating the environment or installing into it failed. */
export function setupFailedMessage(step: 'venv' | 'install', base: PythonInfo, detail: string): string {
  const last = detail.trim().split(/\r?\n/).filter(Boolean).slice(-2).join(' ');
  if (step === 'venv') {
    const hint = /ensurepip|venv/i.test(detail)
      ? ` On Debian/Ubuntu install the venv module: "sudo apt install python${base.version[0]}.${base.version[1]}-venv".`
      : '';
    return `Could not create Victor's server environment with ${base.executable}: ${last}.${hint}`;
  }
  return (
    `Could not install Victor's server into its environment (Python ${versionLabel(base.version)}): ${last}. ` +
    'Without the wheels for this platform in the extension, the dependencies come from PyPI: check the network or pip configuration.'
  );
}

/** The bundle inside the .vsix: `bundled/wheels/` (see scripts/package.sh). */
export interface Bundle {
  /** Version of the extension (= the server's). */
  version: string;
  /** File name of Victor's wheel in `bundled/wheels/`. */
  wheel: string;
  /** SHA-256 of that wheel (hex). */
  wheelSha256: string;
  /** File name of pip's wheel in `bundled/wheels/` (runs pip without ensurepip). */
  pipWheel: string;
  /** Whether the dependency wheels are there too (a platform-specific .vsix). */
  hasDependencyWheels: boolean;
}

/** Parses `bundled/manifest.json`, written by scripts/package.sh. */
export function parseBundleManifest(text: string): Bundle | undefined {
  try {
    const m = JSON.parse(text) as Record<string, unknown>;
    const str = (k: string) => (typeof m[k] === 'string' && (m[k] as string) !== '' ? (m[k] as string) : undefined);
    const version = str('version');
    const wheel = str('wheel');
    const wheelSha256 = str('wheelSha256');
    const pipWheel = str('pipWheel');
    if (!version || !wheel || !wheelSha256 || !pipWheel) return undefined;
    if (!/^[\w.+-]+\.whl$/.test(wheel) || !/^[\w.+-]+\.whl$/.test(pipWheel)) return undefined;
    return { version, wheel, wheelSha256, pipWheel, hasDependencyWheels: m.dependencyWheels === true };
  } catch {
    return undefined;
  }
}

/**
 * The environment's directory name in the global storage: one per server build, so an update
 * (a new version or wheel) gets a new environment and the old one is removed once that works.
 */
export function envDirName(bundle: Pick<Bundle, 'version' | 'wheelSha256'>): string {
  return `server-${bundle.version.replace(/[^\w.+-]/g, '_')}-${bundle.wheelSha256.slice(0, 12)}`;
}

/** Written into the environment last: its presence means the environment is complete. */
export interface EnvMarker {
  version: string;
  wheelSha256: string;
  basePython: string;
  pythonVersion: string;
  source: 'bundled' | 'pypi';
  createdAt: string;
}

export const MARKER_FILE = 'victor-env.json';

export function markerMatches(text: string | undefined, bundle: Pick<Bundle, 'version' | 'wheelSha256'>): boolean {
  if (!text) return false;
  try {
    const m = JSON.parse(text) as Partial<EnvMarker>;
    return m.version === bundle.version && m.wheelSha256 === bundle.wheelSha256;
  } catch {
    return false;
  }
}

/** The interpreter inside a virtual environment. */
export function venvPython(envDir: string, platform: string): string {
  return platform === 'win32' ? `${envDir}\\Scripts\\python.exe` : `${envDir}/bin/python`;
}

/**
 * pip's arguments (after `python <pip wheel>/pip`) to install the bundled wheel. Offline: only
 * the bundled wheels (`--no-index`); online: the bundled ones first, the rest from the index the
 * user's pip configuration names (PyPI by default). Either way pinned to the versions the
 * bundle was built and tested with (`constraints.txt`).
 */
export function pipInstallArgs(wheelsDir: string, wheel: string, constraints: string, offline: boolean): string[] {
  const sep = wheelsDir.includes('\\') ? '\\' : '/';
  return [
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--no-warn-script-location',
    ...(offline ? ['--no-index'] : []),
    '--find-links',
    wheelsDir,
    '--constraint',
    constraints,
    `${wheelsDir}${sep}${wheel}`,
  ];
}

/**
 * The environment pip runs in: the user's own (proxies, mirrors, certificates) minus what would
 * send the install elsewhere than the environment. Offline, no configuration at all.
 */
export function pipEnv(base: Record<string, string | undefined>, offline: boolean, devNull: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (typeof v !== 'string') continue;
    if (/^(PYTHONPATH|PYTHONHOME|PYTHONUSERBASE|VIRTUAL_ENV)$/.test(k)) continue;
    if (/^PIP_(USER|TARGET|PREFIX|ROOT|REQUIRE_VIRTUALENV|NO_INDEX)$/.test(k)) continue;
    if (offline && k.startsWith('PIP_')) continue;
    env[k] = v;
  }
  if (offline) env.PIP_CONFIG_FILE = devNull;
  env.PYTHONIOENCODING = 'utf-8';
  return env;
}

/** `victor 0.1.0 (Python 3.12.3 at /usr/bin/python3)`, as printed by `victor --version`. */
export interface ServerVersion {
  version: string;
  python: string;
  executable: string;
}

export function parseServerVersion(stdout: string): ServerVersion | undefined {
  const m = /^victor (\S+) \(Python (\S+) at (.+)\)\s*$/m.exec(stdout);
  return m ? { version: m[1]!, python: m[2]!, executable: m[3]! } : undefined;
}
