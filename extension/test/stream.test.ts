import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamAccumulator, TOOL_OUTPUT_CAP, describeToolCall } from '../src/stream';

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

describe('StreamAccumulator in agent mode', () => {
  it('appends command output to its tool call and keeps only the tail past the cap', () => {
    const acc = new StreamAccumulator();
    acc.push({ toolCall: { id: 'r1', name: 'run_command', arguments: { command: ['pytest', '-q'] } } });
    acc.push({ toolOutput: { id: 'r1', text: 'collected 3 items\n' } });
    const events = acc.push({ toolOutput: { id: 'r1', text: '3 passed\n' } });
    assert.equal(events[0]!.kind, 'toolOutput');
    assert.equal(acc.tools[0]!.output, 'collected 3 items\n3 passed\n');
    assert.equal(describeToolCall(acc.tools[0]!), 'run_command pytest -q');
    acc.push({ toolOutput: { id: 'r1', text: 'x'.repeat(TOOL_OUTPUT_CAP) } });
    assert.equal(acc.tools[0]!.output!.length, TOOL_OUTPUT_CAP);
    assert.equal(acc.tools[0]!.outputTruncated, true);
    assert.ok(acc.tools[0]!.output!.endsWith('xxx'));
  });

  it('tracks the change set, then the review outcome of each change', () => {
    const acc = new StreamAccumulator();
    acc.push({ changes: [{ id: 'c1', kind: 'edit', uri: 'file:///w/a.py' }] });
    const grew = acc.push({
      changes: [
        { id: 'c1', kind: 'edit', uri: 'file:///w/a.py' },
        { id: 'c2', kind: 'create', uri: 'file:///w/b.py' },
      ],
    });
    assert.equal(grew[0]!.kind, 'changes');
    assert.deepEqual(acc.changes.map((c) => [c.id, c.status]), [['c1', undefined], ['c2', undefined]]);
    acc.push({
      review: [
        { id: 'c1', kind: 'edit', uri: 'file:///w/a.py', status: 'accepted' },
        { id: 'c2', kind: 'create', uri: 'file:///w/b.py', status: 'rejected', reason: 'not now' },
      ],
    });
    assert.deepEqual(acc.changes.map((c) => [c.id, c.status, c.reason]), [['c1', 'accepted', undefined], ['c2', 'rejected', 'not now']]);
    assert.deepEqual(acc.push({ changes: [{ id: 'x' } as never] }), []);
  });
});

describe('StreamAccumulator: {changes} is the whole pending set', () => {
  it('drops a pending change missing from the next set, keeps reviewed ones', () => {
    const acc = new StreamAccumulator();
    acc.push({ changes: [{ id: 'c1', kind: 'edit', uri: 'file:///w/a.py' }] });
    acc.push({ review: [{ id: 'c1', kind: 'edit', uri: 'file:///w/a.py', status: 'accepted' }] });
    acc.push({ changes: [{ id: 'c2', kind: 'create', uri: 'file:///w/tmp.py' }, { id: 'c3', kind: 'edit', uri: 'file:///w/b.py' }] });
    // The created file was deleted again in the same turn: it is no longer pending.
    const events = acc.push({ changes: [{ id: 'c3', kind: 'edit', uri: 'file:///w/b.py' }] });
    assert.equal(events[0]!.kind, 'changes');
    assert.deepEqual(acc.changes.map((c) => [c.id, c.status]), [['c1', 'accepted'], ['c3', undefined]]);
  });
});
