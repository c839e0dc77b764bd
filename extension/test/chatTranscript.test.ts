import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  contextUsageView,
  describeResult,
  historyMessages,
  newMessageId,
  sessionViews,
  statusView,
  upsertToolView,
} from '../src/chatTranscript';
import type { ToolView } from '../src/webviewProtocol';

describe('describeResult', () => {
  it('shows token usage and why an answer stopped early', () => {
    const base = { sessionId: 's', turnId: 't', content: '' };
    assert.equal(describeResult({ ...base, usage: { inputTokens: 12345, outputTokens: 67, totalTokens: 12412 } }), '12,345 in · 67 out');
    assert.equal(
      describeResult({ ...base, usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, stopReason: 'max_tokens' }),
      '1 in · 2 out · stopped at the token limit',
    );
    assert.equal(describeResult({ ...base, stopReason: 'tool_use' }), 'tool round limit reached');
    assert.equal(describeResult({ ...base, stopReason: 'end_turn' }), undefined);
    assert.equal(describeResult(undefined), undefined);
  });
});

describe('upsertToolView', () => {
  it('adds a tool call, then replaces it by id as it progresses', () => {
    const tools: ToolView[] = [];
    upsertToolView(tools, { id: 't1', name: 'read_file', arguments: { path: 'src/app.py' }, done: false, isError: false });
    upsertToolView(tools, { id: 't2', name: 'run_command', arguments: { command: 'pytest' }, done: false, isError: false });
    upsertToolView(tools, {
      id: 't1',
      name: 'read_file',
      arguments: { path: 'src/app.py' },
      done: true,
      isError: true,
      output: 'tail',
      outputTruncated: true,
    });
    assert.deepEqual(tools.map((t) => t.id), ['t1', 't2']);
    assert.equal(tools[0]!.done, true);
    assert.equal(tools[0]!.isError, true);
    assert.equal(tools[0]!.output, 'tail');
    assert.equal(tools[0]!.outputTruncated, true);
    assert.match(tools[0]!.label, /src\/app\.py/);
    assert.equal('output' in tools[1]!, false);
  });
});

describe('sessionViews', () => {
  it('titles untitled sessions and takes the last update, else the creation time', () => {
    const views = sessionViews([
      { id: 'a', title: '  Fix the parser ', updatedAt: '2026-11-30T10:00:00Z', createdAt: '2026-11-29T10:00:00Z', messageCount: 4 },
      { id: 'b', title: null, createdAt: '2026-11-28T10:00:00Z' },
      { id: 'c', title: '   ' },
    ]);
    assert.deepEqual(views, [
      { id: 'a', title: 'Fix the parser', updatedAt: '2026-11-30T10:00:00Z', messageCount: 4 },
      { id: 'b', title: 'Untitled session', updatedAt: '2026-11-28T10:00:00Z' },
      { id: 'c', title: 'Untitled session' },
    ]);
  });
});

describe('historyMessages', () => {
  it('keeps user and assistant messages, with interrupted answers marked', () => {
    const messages = historyMessages({
      id: 's',
      messages: [
        { role: 'system', content: 'summary of earlier turns' },
        { role: 'user', content: 'hello' },
        { role: 'tool', content: 'file contents' },
        { role: 'assistant', content: 'partial', interrupted: true },
      ],
    });
    assert.deepEqual(
      messages.map((m) => [m.role, m.text, m.interrupted ?? false]),
      [
        ['user', 'hello', false],
        ['assistant', 'partial', true],
      ],
    );
    assert.notEqual(messages[0]!.id, messages[1]!.id);
  });
});

describe('newMessageId', () => {
  it('never repeats, even within one millisecond', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newMessageId('u')));
    assert.equal(ids.size, 100);
    for (const id of ids) assert.match(id, /^u-/);
  });
});

describe('contextUsageView', () => {
  it('computes the percentage when the server gives none, and hides an incomplete report', () => {
    assert.deepEqual(contextUsageView({ tokens: 50_000, window: 200_000 }), { tokens: 50_000, window: 200_000, percent: 25 });
    assert.deepEqual(contextUsageView({ tokens: 1, window: 4, percent: 30 }), { tokens: 1, window: 4, percent: 30 });
    assert.equal(contextUsageView({ tokens: 10, window: 0 }), undefined);
    assert.equal(contextUsageView(undefined), undefined);
  });
});

describe('statusView', () => {
  it('shows the model and provider, and the error only while the server is not running', () => {
    const status = { provider: 'anthropic', model: 'claude', version: '0.1.0', ready: true };
    assert.deepEqual(statusView('running', status, 'old error'), {
      state: 'running',
      provider: 'anthropic',
      model: 'claude',
      version: '0.1.0',
      ready: true,
    });
    assert.deepEqual(statusView('failed', undefined, 'python3 not found'), { state: 'failed', error: 'python3 not found' });
    assert.deepEqual(statusView('starting', { ready: false }, undefined), { state: 'starting', ready: false });
  });
});
