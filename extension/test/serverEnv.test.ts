import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PYTHON_PROBE,
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
  type PythonInfo,
} from '../src/serverEnv';

const py = (version: [number, number, number], executable = '/usr/bin/python3'): PythonInfo => ({
  command: 'python3',
  version,
  executable,
});

describe('choosing the base Python of the private environment', () => {
  it('tries the Python extension interpreter first, then python3, then the newest python3.x', () => {
    assert.deepEqual(pythonCandidates('linux', '/home/u/proj/.venv/bin/python').slice(0, 3), [
      '/home/u/proj/.venv/bin/python',
      'python3',
      'python3.14',
    ]);
    assert.deepEqual(pythonCandidates('linux', null).slice(0, 2), ['python3', 'python3.14']);
    assert.ok(pythonCandidates('linux').includes('python3.11'));
    assert.deepEqual(pythonCandidates('win32'), ['python', 'python3', 'py']);
  });

  it('accepts 3.11 and newer only', () => {
    assert.equal(isSupportedPython([3, 10, 14]), false);
    assert.equal(isSupportedPython([3, 11, 0]), true);
    assert.equal(isSupportedPython([3, 13, 1]), true);
    assert.equal(isSupportedPython([4, 0, 0]), true);
    assert.equal(isSupportedPython([2, 7, 18]), false);
  });

  it('parses what the probe prints, and nothing else', () => {
    assert.ok(PYTHON_PROBE.includes('sys.version_info'));
    assert.deepEqual(parsePythonProbe('python3', '{"version": [3, 12, 3], "executable": "/usr/bin/python3.12"}\n'), {
      command: 'python3',
      version: [3, 12, 3],
      executable: '/usr/bin/python3.12',
    });
    assert.equal(parsePythonProbe('python3', 'Python was not found; run without arguments to install from the Microsoft Store'), undefined);
    assert.equal(parsePythonProbe('python3', '{"version": [3, 12], "executable": "/x"}'), undefined);
    assert.equal(parsePythonProbe('python3', '{"version": [3, 12, 1], "executable": ""}'), undefined);
  });
});

describe('messages that say exactly what to install', () => {
  it('no Python at all: names the version and the install command of the platform', () => {
    const linux = noPythonMessage([{ command: 'python3', reason: 'missing' }], 'linux');
    assert.match(linux, /Python 3\.11 or newer/);
    assert.match(linux, /Found no Python on PATH/);
    assert.match(linux, /sudo apt install python3 python3-venv/);
    assert.match(linux, /victor\.pythonPath/);
    assert.match(noPythonMessage([], 'darwin'), /brew install python@3\.12/);
    assert.match(noPythonMessage([], 'win32'), /winget install Python\.Python\.3\.12/);
  });

  it('only an old Python: says which one was found and that it is too old', () => {
    const message = noPythonMessage(
      [
        { command: 'python3', reason: 'too-old', info: py([3, 9, 2]) },
        { command: 'python3.14', reason: 'missing' },
      ],
      'linux',
    );
    assert.match(message, /Found only Python 3\.9\.2 \(\/usr\/bin\/python3\), which is too old/);
  });

  it('a victor.pythonPath without the server: the pip command for that very interpreter', () => {
    const message = configuredPythonMessage('/opt/py/bin/python', "Traceback...\nModuleNotFoundError: No module named 'victor'\n");
    assert.match(message, /"\/opt\/py\/bin\/python -m pip install victor-lsp"/);
    assert.match(message, /No module named 'victor'/);
    assert.match(message, /clear the setting/);
  });

  it('a venv that cannot be created on Debian: the python3.X-venv package', () => {
    const message = setupFailedMessage('venv', py([3, 11, 2]), 'Error: ensurepip is not available');
    assert.match(message, /sudo apt install python3\.11-venv/);
    assert.doesNotMatch(setupFailedMessage('venv', py([3, 11, 2]), 'Permission denied'), /apt install/);
    assert.match(setupFailedMessage('install', py([3, 12, 0]), 'ERROR: No matching distribution found for pydantic-core'), /PyPI/);
  });
});

describe('the bundle and the environment built from it', () => {
  const manifest = {
    version: '0.2.0',
    wheel: 'victor_lsp-0.2.0-py3-none-any.whl',
    wheelSha256: 'ab'.repeat(32),
    pipWheel: 'pip-26.3-py3-none-any.whl',
    dependencyWheels: true,
  };

  it('reads the manifest written by scripts/package.sh and refuses a wheel name with a path', () => {
    const bundle = parseBundleManifest(JSON.stringify(manifest));
    assert.equal(bundle?.version, '0.2.0');
    assert.equal(bundle?.hasDependencyWheels, true);
    assert.equal(parseBundleManifest(JSON.stringify({ ...manifest, wheel: '../../evil.whl' })), undefined);
    assert.equal(parseBundleManifest(JSON.stringify({ ...manifest, pipWheel: undefined })), undefined);
    assert.equal(parseBundleManifest('not json'), undefined);
    assert.equal(parseBundleManifest(JSON.stringify({ ...manifest, dependencyWheels: undefined }))?.hasDependencyWheels, false);
  });

  it('gets a new environment when the version or the wheel changes, the same one otherwise', () => {
    const bundle = parseBundleManifest(JSON.stringify(manifest))!;
    assert.equal(envDirName(bundle), `server-0.2.0-${'ab'.repeat(6)}`);
    assert.notEqual(envDirName({ ...bundle, version: '0.2.1' }), envDirName(bundle));
    assert.notEqual(envDirName({ ...bundle, wheelSha256: 'cd'.repeat(32) }), envDirName(bundle));
    const marker = JSON.stringify({ version: '0.2.0', wheelSha256: bundle.wheelSha256, basePython: '/usr/bin/python3' });
    assert.equal(markerMatches(marker, bundle), true);
    assert.equal(markerMatches(marker, { ...bundle, version: '0.3.0' }), false);
    assert.equal(markerMatches(undefined, bundle), false, 'no marker: a half-built environment');
    assert.equal(markerMatches('{', bundle), false);
  });

  it('installs only the bundled wheels offline, pinned by the constraints, the wheel by its path', () => {
    const offline = pipInstallArgs('/ext/bundled/wheels', 'victor_lsp-0.2.0-py3-none-any.whl', '/ext/bundled/constraints.txt', true);
    assert.equal(offline[0], 'install');
    assert.ok(offline.includes('--no-index'));
    assert.deepEqual(offline.slice(-5), [
      '--find-links',
      '/ext/bundled/wheels',
      '--constraint',
      '/ext/bundled/constraints.txt',
      '/ext/bundled/wheels/victor_lsp-0.2.0-py3-none-any.whl',
    ]);
    assert.ok(!pipInstallArgs('/w', 'v.whl', '/c', false).includes('--no-index'));
    assert.equal(venvPython('/s/server-0.2.0', 'linux'), '/s/server-0.2.0/bin/python');
    assert.equal(venvPython('C:\\s\\env', 'win32'), 'C:\\s\\env\\Scripts\\python.exe');
  });

  it("keeps the user's pip settings online, none offline, and never installs outside the venv", () => {
    const base = { PATH: '/usr/bin', PIP_INDEX_URL: 'https://mirror/simple', PIP_USER: '1', PYTHONPATH: '/x', HTTPS_PROXY: 'http://p' };
    const online = pipEnv(base, false, '/dev/null');
    assert.equal(online.PIP_INDEX_URL, 'https://mirror/simple');
    assert.equal(online.HTTPS_PROXY, 'http://p');
    assert.equal(online.PIP_USER, undefined);
    assert.equal(online.PYTHONPATH, undefined);
    const offline = pipEnv(base, true, '/dev/null');
    assert.equal(offline.PIP_INDEX_URL, undefined);
    assert.equal(offline.PIP_CONFIG_FILE, '/dev/null');
  });

  it('reads `victor --version`: which server and which Python run', () => {
    assert.deepEqual(parseServerVersion('victor 0.2.0 (Python 3.12.3 at /home/u/.config/Code/env/bin/python)\n'), {
      version: '0.2.0',
      python: '3.12.3',
      executable: '/home/u/.config/Code/env/bin/python',
    });
    assert.equal(parseServerVersion('victor 0.1.0\n'), undefined);
  });
});
