import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  SERVER_ARGS,
  SERVER_SETTING_KEYS,
  apiKeyEnvVar,
  chooseInterpreter,
  explicitServerSettings,
  isValidServerSetting,
  keyProviderFor,
  serverArgs,
  serverEnv,
  type Inspected,
  type ServerSettingKey,
} from '../src/settings';

const inspector = (values: Partial<Record<ServerSettingKey, Inspected>>) => (key: ServerSettingKey) => values[key];

describe('explicitServerSettings (settings -> initializationOptions / workspace/configuration)', () => {
  it('takes no URL from an untrusted workspace\'s own settings', () => {
    const values: Record<string, { workspaceValue?: unknown; globalValue?: unknown }> = {
      anthropicBaseUrl: { workspaceValue: 'http://attacker.example', globalValue: 'http://proxy.example' },
      openaiBaseUrl: { workspaceValue: 'http://attacker.example' },
      model: { workspaceValue: 'm' },
    };
    const inspect = (key: string) => values[key];
    assert.deepEqual(explicitServerSettings(inspect, false), { model: 'm', anthropicBaseUrl: 'http://proxy.example' });
    assert.equal(explicitServerSettings(inspect, true).anthropicBaseUrl, 'http://attacker.example');
  });

  it('leaves defaults out so lower precedence levels (config.toml, env) still apply', () => {
    const out = explicitServerSettings(
      inspector({ provider: { defaultValue: 'auto' }, maxTokens: { defaultValue: 4096 } }),
    );
    assert.deepEqual(out, {});
  });

  it('takes the most specific scope: folder > workspace > user', () => {
    const out = explicitServerSettings(
      inspector({
        model: { defaultValue: null, globalValue: 'user-model', workspaceValue: 'ws-model' },
        maxTokens: { defaultValue: 4096, globalValue: 1000, workspaceFolderValue: 2000 },
        provider: { defaultValue: 'auto', globalValue: 'openai' },
      }),
    );
    assert.deepEqual(out, { provider: 'openai', model: 'ws-model', maxTokens: 2000 });
  });

  it('drops nulls, empty strings and values of the wrong type, trims strings', () => {
    const out = explicitServerSettings(
      inspector({
        model: { globalValue: '   ' },
        anthropicBaseUrl: { globalValue: null },
        openaiBaseUrl: { globalValue: ' http://localhost:11434/v1 ' },
        contextCompactionThreshold: { globalValue: 1.5 },
        toolSelectionStrategy: { globalValue: 'random' },
        enableTools: { globalValue: false },
        contextWindow: { globalValue: 32768 },
      }),
    );
    assert.deepEqual(out, { openaiBaseUrl: 'http://localhost:11434/v1', enableTools: false, contextWindow: 32768 });
  });

  it('knows every key of the protocol table and nothing else', () => {
    assert.deepEqual([...SERVER_SETTING_KEYS], [
      'provider', 'model', 'maxTokens', 'contextWindow', 'contextCompactionThreshold', 'anthropicBaseUrl',
      'openaiBaseUrl', 'enableTools', 'toolSelectionStrategy', 'enableAnalytics', 'formatGeneratedCode',
      'completionModel', 'completionFim',
    ]);
  });

  it('validates types like the protocol table', () => {
    assert.equal(isValidServerSetting('provider', 'preview'), true);
    assert.equal(isValidServerSetting('provider', 'gemini'), false);
    assert.equal(isValidServerSetting('maxTokens', 10.5), false);
    assert.equal(isValidServerSetting('maxTokens', 0), false);
    assert.equal(isValidServerSetting('contextCompactionThreshold', 0), true);
    assert.equal(isValidServerSetting('enableAnalytics', 'yes'), false);
    assert.equal(isValidServerSetting('completionFim', 'off'), true);
    assert.equal(isValidServerSetting('completionFim', 'never'), false);
  });
});

describe('package.json contributes every server setting under victor.*', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const props = pkg.contributes.configuration.properties as Record<string, { default?: unknown; enum?: string[] }>;

  it('has the protocol keys plus the client-only ones', () => {
    const keys = Object.keys(props).map((k) => k.replace(/^victor\./, '')).sort();
    const expected = [
      ...SERVER_SETTING_KEYS,
      'pythonPath',
      'trace.server',
      'sendEditorContext',
      'chat.defaultMode',
      'inlineCompletions.enabled',
    ].sort();
    assert.deepEqual(keys, expected);
  });

  it('uses the protocol defaults', () => {
    assert.equal(props['victor.provider']!.default, 'auto');
    assert.deepEqual(props['victor.provider']!.enum, ['auto', 'anthropic', 'openai', 'preview']);
    assert.equal(props['victor.maxTokens']!.default, 4096);
    assert.equal(props['victor.contextCompactionThreshold']!.default, 0.75);
    assert.equal(props['victor.toolSelectionStrategy']!.default, 'hybrid');
    assert.equal(props['victor.enableTools']!.default, true);
    assert.equal(props['victor.enableAnalytics']!.default, true);
    assert.equal(props['victor.formatGeneratedCode']!.default, true);
    assert.equal(props['victor.trace.server']!.default, 'off');
    assert.equal(props['victor.completionFim']!.default, 'auto');
    assert.deepEqual(props['victor.completionFim']!.enum, ['auto', 'on', 'off']);
  });

  it('has no API key setting (keys live in SecretStorage)', () => {
    assert.equal(Object.keys(props).some((k) => /key/i.test(k)), false);
  });

  it('supports untrusted workspaces in limited mode; a workspace cannot choose the interpreter or URLs', () => {
    const trust = pkg.capabilities.untrustedWorkspaces;
    assert.equal(trust.supported, 'limited');
    assert.match(trust.description, /runs no program from the workspace/);
    assert.deepEqual([...trust.restrictedConfigurations].sort(), ['victor.anthropicBaseUrl', 'victor.openaiBaseUrl', 'victor.pythonPath']);
  });
});

describe('serverEnv (API key -> environment)', () => {
  it('passes the stored Anthropic key as ANTHROPIC_API_KEY', () => {
    const env = serverEnv({ PATH: '/usr/bin' }, { anthropic: 'sk-ant' });
    assert.equal(env.ANTHROPIC_API_KEY, 'sk-ant');
    assert.equal(env.OPENAI_API_KEY, undefined);
    assert.equal(env.PATH, '/usr/bin');
  });

  it('passes the stored OpenAI key as OPENAI_API_KEY', () => {
    const env = serverEnv({}, { openai: 'sk-oa' });
    assert.equal(env.OPENAI_API_KEY, 'sk-oa');
    assert.equal(env.ANTHROPIC_API_KEY, undefined);
  });

  it('keeps an inherited key when none is stored, and a stored one wins', () => {
    assert.equal(serverEnv({ ANTHROPIC_API_KEY: 'from-env' }, {}).ANTHROPIC_API_KEY, 'from-env');
    assert.equal(serverEnv({ ANTHROPIC_API_KEY: 'from-env' }, { anthropic: ' stored ' }).ANTHROPIC_API_KEY, 'stored');
    assert.equal(serverEnv({ ANTHROPIC_API_KEY: 'from-env' }, { anthropic: '' }).ANTHROPIC_API_KEY, 'from-env');
  });

  it('drops undefined values and sets unbuffered UTF-8 I/O', () => {
    const env = serverEnv({ A: undefined, B: 'b' }, {});
    assert.equal('A' in env, false);
    assert.equal(env.PYTHONUNBUFFERED, '1');
    assert.equal(env.PYTHONIOENCODING, 'utf-8');
    assert.equal(env.PYTHONSAFEPATH, '1'); // `-m victor` never imports a `victor/` from the workspace
  });

  it('maps providers to variables and picks the key to ask for', () => {
    assert.equal(apiKeyEnvVar('anthropic'), 'ANTHROPIC_API_KEY');
    assert.equal(apiKeyEnvVar('openai'), 'OPENAI_API_KEY');
    assert.equal(keyProviderFor('openai'), 'openai');
    assert.equal(keyProviderFor('auto'), 'anthropic');
    assert.equal(keyProviderFor(undefined), 'anthropic');
  });
});

describe('chooseInterpreter', () => {
  it('prefers victor.pythonPath', () => {
    assert.deepEqual(chooseInterpreter({ configured: '/opt/py/bin/python', pythonExtension: '/venv/bin/python' }), {
      command: '/opt/py/bin/python',
      source: 'setting',
    });
  });

  it('expands ${workspaceFolder} and ~ in the setting', () => {
    assert.equal(
      chooseInterpreter({ configured: '${workspaceFolder}/.venv/bin/python', workspaceFolder: '/w' }).command,
      '/w/.venv/bin/python',
    );
    assert.equal(chooseInterpreter({ configured: '~/py/bin/python', home: '/home/u' }).command, '/home/u/py/bin/python');
  });

  it('falls back to the Python extension, then python3', () => {
    assert.deepEqual(chooseInterpreter({ configured: ' ', pythonExtension: '/venv/bin/python' }), {
      command: '/venv/bin/python',
      source: 'python-extension',
    });
    assert.deepEqual(chooseInterpreter({ configured: null }), { command: 'python3', source: 'default' });
    assert.equal(chooseInterpreter({ platform: 'win32' }).command, 'python');
  });

  it('in an untrusted workspace skips an interpreter inside a workspace folder', () => {
    const folders = ['/w/repo'];
    const untrusted = { trusted: false, workspaceFolders: folders, workspaceFolder: '/w/repo' };
    assert.deepEqual(chooseInterpreter({ ...untrusted, pythonExtension: '/w/repo/.venv/bin/python' }), {
      command: 'python3',
      source: 'default',
    });
    assert.equal(chooseInterpreter({ ...untrusted, configured: '${workspaceFolder}/venv/bin/python' }).command, 'python3');
    assert.equal(chooseInterpreter({ ...untrusted, configured: '.venv/bin/python' }).command, 'python3');
    // Outside the workspace, or trusted: as before.
    assert.equal(chooseInterpreter({ ...untrusted, pythonExtension: '/w/repo-env/bin/python' }).command, '/w/repo-env/bin/python');
    assert.equal(chooseInterpreter({ ...untrusted, trusted: true, pythonExtension: '/w/repo/.venv/bin/python' }).command, '/w/repo/.venv/bin/python');
  });

  it('starts the server as a plain stdio command (no --stdio)', () => {
    assert.deepEqual([...SERVER_ARGS], ['-m', 'victor']);
    assert.deepEqual(serverArgs(undefined), ['-m', 'victor']);
    assert.deepEqual(serverArgs(''), ['-m', 'victor']);
  });

  it('runs the server under debugpy when a debug port is given', () => {
    assert.deepEqual(serverArgs('5678'), ['-m', 'debugpy', '--listen', '127.0.0.1:5678', '-m', 'victor']);
    assert.deepEqual(serverArgs('nope'), ['-m', 'victor']);
    assert.deepEqual(serverArgs('70000'), ['-m', 'victor']);
  });
});
