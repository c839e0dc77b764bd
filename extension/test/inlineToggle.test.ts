import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TOGGLE_COMMAND, effectiveEnabled, toggleLabel, toggleUpdate } from '../src/inlineToggle';

describe('inline completions toggle', () => {
  it('is on by default', () => {
    assert.equal(effectiveEnabled(undefined), true);
    assert.equal(effectiveEnabled({ defaultValue: true }), true);
  });

  it('a language-specific value beats the general ones; folder beats workspace beats user', () => {
    assert.equal(effectiveEnabled({ defaultValue: true, globalValue: true, globalLanguageValue: false }), false);
    assert.equal(effectiveEnabled({ defaultValue: true, globalValue: false, workspaceValue: true }), true);
    assert.equal(effectiveEnabled({ workspaceValue: true, workspaceFolderValue: false }), false);
  });

  it('a click turns it off in the user settings when nothing else is set', () => {
    assert.deepEqual(toggleUpdate({ defaultValue: true }), { value: false, target: 'global' });
  });

  it('a click writes where the value in effect comes from, so it is not shadowed', () => {
    assert.deepEqual(toggleUpdate({ defaultValue: true, globalValue: true, workspaceValue: false }), {
      value: true,
      target: 'workspace',
    });
    assert.deepEqual(toggleUpdate({ globalValue: false, workspaceFolderValue: false }), {
      value: true,
      target: 'workspaceFolder',
    });
  });

  it('the status bar says the state and what a click does', () => {
    assert.match(toggleLabel(true).text, /sparkle/);
    assert.match(toggleLabel(true).tooltip, /on\. Click to turn them off/);
    assert.match(toggleLabel(false).text, /circle-slash/);
    assert.match(toggleLabel(false).tooltip, /off\. Click to turn them on/);
  });

  it('package.json declares the setting (language-overridable) and the command', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const setting = pkg.contributes.configuration.properties['victor.inlineCompletions.enabled'];
    assert.equal(setting.default, true);
    assert.equal(setting.scope, 'language-overridable');
    const commands = pkg.contributes.commands.map((c: { command: string }) => c.command);
    assert.ok(commands.includes(TOGGLE_COMMAND));
  });
});
