import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultModeFrom } from '../src/chatMode';

describe('victor.chat.defaultMode', () => {
  it("starts in agent mode only when the user's own settings say so", () => {
    assert.equal(defaultModeFrom(undefined), 'ask');
    assert.equal(defaultModeFrom({ globalValue: 'agent' }), 'agent');
    assert.equal(defaultModeFrom({ globalValue: 'ask' }), 'ask');
    assert.equal(defaultModeFrom({ globalValue: 'AGENT' }), 'ask');
  });

  it("ignores a workspace's value (a repository cannot turn agent mode on)", () => {
    const fromRepository = { globalValue: undefined, workspaceValue: 'agent', workspaceFolderValue: 'agent' };
    assert.equal(defaultModeFrom(fromRepository), 'ask');
  });

  it('is contributed as an application-scoped setting defaulting to ask', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const setting = pkg.contributes.configuration.properties['victor.chat.defaultMode'];
    assert.equal(setting.scope, 'application');
    assert.equal(setting.default, 'ask');
    assert.deepEqual(setting.enum, ['ask', 'agent']);
  });
});
