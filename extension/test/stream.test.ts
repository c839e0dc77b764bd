import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamAccumulator, describeToolCall } from '../src/stream';

describe('StreamAccumulator', () => {
  it('concatenates deltas in order and remembers session and turn', () => {
    const acc = new StreamAccumulator();
    acc.push({ sessionId: 's1', turnId: 't1', delta: 'Hel' });
    acc.push({ sessionId: 's1', turnId: 't1', delta: 'lo, ' });
    acc.push({ sessionId: 's1', turnId: 't1', delta: 'world' });
    assert.equal(acc.text, 'Hello, world');
    assert.equal(acc.sessionId, 's1');
    assert.equal(acc.turnId, 't1');
  });

  it('returns events, tracks tool calls and their results', () => {
    const acc = new StreamAccumulator();
    const call = acc.push({ sessionId: 's', turnId: 't', toolCall: { id: 'toolu_1', name: 'read_file', arguments: { path: 'src/app.py' } } });
    assert.equal(call.length, 1);
    assert.equal(call[0]!.kind, 'toolCall');
    assert.equal(acc.tools[0]!.done, false);
    const result = acc.push({ sessionId: 's', turnId: 't', toolResult: { id: 'toolu_1', content: 'x = 1', isError: false } });
    assert.equal(result[0]!.kind, 'toolResult');
    assert.deepEqual(
      acc.tools.map((t) => [t.name, t.done, t.isError, t.result]),
      [['read_file', true, false, 'x = 1']],
    );
    assert.equal(describeToolCall(acc.tools[0]!), 'read_file src/app.py');
    assert.equal(acc.text, '');
  });

  it('tolerates a result without its call, empty deltas and junk', () => {
    const acc = new StreamAccumulator();
    assert.deepEqual(acc.push(undefined), []);
    assert.deepEqual(acc.push({ delta: '' }), []);
    assert.deepEqual(acc.push({ toolResult: { id: 'x', isError: true } })[0]!.kind, 'toolResult');
    assert.equal(acc.tools[0]!.isError, true);
  });

  it('lets the final content win, and keeps the streamed text without one (cancelled)', () => {
    const acc = new StreamAccumulator();
    acc.push({ delta: 'partial' });
    assert.equal(acc.finish(), 'partial');
    assert.equal(acc.finish('partial answer'), 'partial answer');
  });

  it('handles many small deltas (coalesced or not) identically', () => {
    const text = 'Echo: ' + 'lorem ipsum '.repeat(200);
    const a = new StreamAccumulator();
    for (const ch of text) a.push({ delta: ch });
    const b = new StreamAccumulator();
    for (let i = 0; i < text.length; i += 37) b.push({ delta: text.slice(i, i + 37) });
    assert.equal(a.text, text);
    assert.equal(b.text, text);
  });
});
