import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ECHO_WINDOW_MS, ExplanationEchoes, explanationMessage } from '../src/explanationEcho';

describe('ExplanationEchoes', () => {
  it("skips the window/showMessage copy of an explanation the chat view showed, once", () => {
    const echoes = new ExplanationEchoes();
    echoes.remember('Explain foo', '`foo` adds two numbers.', 1_000);
    const copy = 'Explain foo\n\n`foo` adds two numbers.';
    assert.equal(echoes.isEcho(copy, 2_000), true);
    assert.equal(echoes.isEcho(copy, 2_001), false, 'a second identical message is shown');
  });

  it('lets other messages through', () => {
    const echoes = new ExplanationEchoes();
    echoes.remember('Explain foo', 'text', 0);
    assert.equal(echoes.isEcho('Victor: the API key is missing.', 10), false);
    assert.equal(echoes.isEcho('Explain foo\n\ntext', 20), true);
  });

  it('forgets an explanation whose copy did not come in time', () => {
    const echoes = new ExplanationEchoes();
    echoes.remember('T', 'M', 0);
    assert.equal(echoes.isEcho(explanationMessage('T', 'M'), ECHO_WINDOW_MS + 1), false);
  });

  it('matches a missing title or text as empty, the way the server formats the copy', () => {
    assert.equal(explanationMessage(undefined, 'body'), '\n\nbody');
    assert.equal(explanationMessage('Title', null), 'Title\n\n');
    const echoes = new ExplanationEchoes();
    echoes.remember(undefined, 'body', 5);
    assert.equal(echoes.isEcho('\n\nbody', 6), true);
  });
});
