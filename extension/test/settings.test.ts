import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  SERVER_ARGS,
  SERVER_SETTING_KEYS,
  USER_ONLY_KEYS,
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
      'completionModel', 'completionFim', 'agentMaxToolRounds', 'agentMaxFiles', 'agentCommandTimeout',
      'promptCacheKeepWarm', 'promptCacheKeepWarmAfter',
    ]);
  });

  it('validates types like the protocol table', () => {
    assert.equal(isValidServerSetting('provider', 'preview'), true);
    assert.equal(isValidServerSetting('provider', 'gemini'), false);
    assert.equal(isValidServerSetting('maxTokens', 10.5), false);
    assert.equal(isValidServerSetting('maxTokens', 0), false);
    assert.equal(isValidServerSetting('contextCompactionThreshold', 0), false); // the server: > 0
    assert.equal(isValidServerSetting('contextCompactionThreshold', 0.01), true);
    assert.equal(isValidServerSetting('contextWindow', 255), false); // the server: >= 256
    assert.equal(isValidServerSetting('contextWindow', 256), true);
    assert.equal(isValidServerSetting('enableAnalytics', 'yes'), false);
    assert.equal(isValidServerSetting('completionFim', 'off'), true);
    assert.equal(isValidServerSetting('completionFim', 'never'), false);
  });
});

describe('user-only settings (agent limits, prompt-cache refreshes)', () => {
  const repositoryValues = {
    agentMaxToolRounds: { workspaceValue: 200, workspaceFolderValue: 200 },
    agentMaxFiles: { workspaceValue: 500 },
    agentCommandTimeout: { workspaceFolderValue: 3600 },
    promptCacheKeepWarm: { workspaceValue: 12 },
    promptCacheKeepWarmAfter: { workspaceValue: 1 },
  };

  it("ignores a workspace's or folder's value, trusted or not", () => {
    for (const trusted of [true, false]) {
      assert.deepEqual(explicitServerSettings(inspector(repositoryValues), trusted), {});
    }
  });

  it("takes the user's own value, whatever the workspace says", () => {
    const out = explicitServerSettings(
      inspector({
        agentMaxToolRounds: { globalValue: 40, workspaceValue: 200 },
        agentMaxFiles: { globalValue: 5, workspaceFolderValue: 500 },
        agentCommandTimeout: { globalValue: 30.5, workspaceValue: 3600 },
        promptCacheKeepWarm: { globalValue: 0, workspaceValue: 12 },
        promptCacheKeepWarmAfter: { globalValue: 240, workspaceValue: 1 },
        model: { globalValue: 'user-model', workspaceValue: 'ws-model' },
      }),
    );
    assert.deepEqual(out, {
      model: 'ws-model', // other settings keep the usual precedence
      agentMaxToolRounds: 40,
      agentMaxFiles: 5,
      agentCommandTimeout: 30.5,
      promptCacheKeepWarm: 0, // 0 (never refresh) is a value, not "unset"
      promptCacheKeepWarmAfter: 240,
    });
  });

  it("leaves out a value outside the server's range, so the server's default applies", () => {
    const out = explicitServerSettings(
      inspector({
        agentMaxToolRounds: { globalValue: 201 },
        agentMaxFiles: { globalValue: 0 },
        agentCommandTimeout: { globalValue: 0 },
        promptCacheKeepWarm: { globalValue: 2.5 },
        promptCacheKeepWarmAfter: { globalValue: '270' },
        maxTokens: { globalValue: 1000 },
      }),
    );
    assert.deepEqual(out, { maxTokens: 1000 });
  });

  it('validates the ranges of server/victor/config/settings.py', () => {
    const cases: Array<[ServerSettingKey, unknown[], unknown[]]> = [
      ['agentMaxToolRounds', [1, 25, 200], [0, 201, 2.5, '25', null]],
      ['agentMaxFiles', [1, 20, 500], [0, 501, 1.5, true]],
      ['agentCommandTimeout', [0.5, 120, 3600], [0, -1, 3600.5, Number.NaN, Number.POSITIVE_INFINITY, '120']],
      ['promptCacheKeepWarm', [0, 1, 12], [-1, 13, 0.5, false]],
      ['promptCacheKeepWarmAfter', [1, 270, 3600, 1.5], [0.5, 0, 3601, '270']],
    ];
    for (const [key, good, bad] of cases) {
      for (const value of good) assert.equal(isValidServerSetting(key, value), true, `${key} = ${String(value)}`);
      for (const value of bad) assert.equal(isValidServerSetting(key, value), false, `${key} = ${String(value)}`);
    }
  });

  it('are exactly the agent limits and the prompt-cache refreshes', () => {
    assert.deepEqual([...USER_ONLY_KEYS].sort(), [
      'agentCommandTimeout', 'agentMaxFiles', 'agentMaxToolRounds', 'promptCacheKeepWarm', 'promptCacheKeepWarmAfter',
    ]);
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

  it('declares the user-only settings application-scoped, with the server defaults and ranges', () => {
    const expected: Record<string, { default: number; type: string }> = {
      agentMaxToolRounds: { default: 25, type: 'integer' },
      agentMaxFiles: { default: 20, type: 'integer' },
      agentCommandTimeout: { default: 120, type: 'number' },
      promptCacheKeepWarm: { default: 1, type: 'integer' },
      promptCacheKeepWarmAfter: { default: 270, type: 'number' },
    };
    for (const key of USER_ONLY_KEYS) {
      const setting = props[`victor.${key}`] as {
        scope?: string;
        type?: string;
        default?: unknown;
        minimum?: number;
        exclusiveMinimum?: number;
        maximum?: number;
      };
      assert.equal(setting.scope, 'application', key);
      assert.deepEqual({ default: setting.default, type: setting.type }, expected[key], key);
      assert.equal(isValidServerSetting(key, setting.default), true, key);
      // The bounds VS Code's settings editor enforces are the ones the extension forwards.
      assert.equal(typeof setting.maximum, 'number', key);
      assert.equal(isValidServerSetting(key, setting.maximum), true, key);
      assert.equal(isValidServerSetting(key, setting.maximum! + 1), false, key);
      if (setting.exclusiveMinimum !== undefined) {
        assert.equal(isValidServerSetting(key, setting.exclusiveMinimum), false, key);
      } else {
        assert.equal(isValidServerSetting(key, setting.minimum), true, key);
        assert.equal(isValidServerSetting(key, setting.minimum! - 1), false, key);
      }
    }
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
