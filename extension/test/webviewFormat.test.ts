import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactNumber, formatTime, meterText, roleLabel, sessionMeta, statusText } from '../src/webview/format';
import type { TranscriptMessage } from '../src/webviewProtocol';

describe('statusText (the chat header)', () => {
  it('names provider and model when the server runs', () => {
    const view = statusText({ state: 'running', provider: 'anthropic', model: 'claude-sonnet-4-5', version: '0.1.0' });
    assert.equal(view.label, 'anthropic · claude-sonnet-4-5');
    assert.equal(view.labelTitle, 'Victor 0.1.0');
    assert.equal(view.dotClass, 'state-dot state-running');
    assert.equal(view.dotTitle, 'running');
  });

  it('says what the server is doing while it starts, and that it stopped when it failed', () => {
    assert.equal(statusText({ state: 'starting' }).label, 'Victor — starting…');
    assert.equal(statusText({ state: 'restarting', model: 'qwen' }).label, 'qwen — restarting…');
    const failed = statusText({ state: 'failed', model: 'qwen', error: 'python3 not found' });
    assert.equal(failed.label, 'Victor server stopped');
    assert.equal(failed.labelTitle, 'Victor\npython3 not found');
  });

  it('marks the dot while the workspace style is being scanned', () => {
    const view = statusText({ state: 'running', ready: false });
    assert.equal(view.dotClass, 'state-dot state-running state-scanning');
    assert.equal(view.dotTitle, 'running (scanning the workspace style)');
  });
});

describe('meterText (the context meter)', () => {
  it('shows tokens against the window with the share, warning from 60% and full from 85%', () => {
    const low = meterText({ tokens: 50_000, window: 200_000, percent: 25 });
    assert.equal(low.text, '50,000 / 200k tokens · 25%');
    assert.equal(low.title, 'Context: 50,000 of 200,000 tokens');
    assert.equal(low.width, '25.0%');
    assert.deepEqual([low.warn, low.full], [false, false]);
    const warn = meterText({ tokens: 130_000, window: 200_000, percent: 65 });
    assert.deepEqual([warn.warn, warn.full], [true, false]);
    const full = meterText({ tokens: 190_000, window: 200_000, percent: 95 });
    assert.deepEqual([full.warn, full.full], [false, true]);
  });

  it('keeps a visible sliver and says <1% for a tiny share, and stays within the bar when over', () => {
    const tiny = meterText({ tokens: 10, window: 1_000_000, percent: 0 });
    assert.equal(tiny.width, '2.0%');
    assert.match(tiny.text, /· <1%$/);
    const over = meterText({ tokens: 300, window: 200, percent: 150 });
    assert.equal(over.width, '100.0%');
    assert.match(over.text, /· 150%$/);
    assert.equal(over.full, true);
  });

  it('shows an empty bar for no tokens or an unknown window', () => {
    assert.equal(meterText({ tokens: 0, window: 8192, percent: 0 }).width, '0.0%');
    assert.match(meterText({ tokens: 0, window: 8192, percent: 0 }).text, /· 0%$/);
    assert.equal(meterText({ tokens: 5, window: 0, percent: 0 }).width, '2.0%');
  });
});

describe('compactNumber', () => {
  it('abbreviates thousands from 10k and millions', () => {
    assert.equal(compactNumber(8192), '8,192');
    assert.equal(compactNumber(32_768), '33k');
    assert.equal(compactNumber(1_000_000), '1M');
    assert.equal(compactNumber(1_048_576), '1M');
    assert.equal(compactNumber(2_500_000), '2.5M');
  });
});

describe('roleLabel', () => {
  const message = (role: TranscriptMessage['role'], title?: string): TranscriptMessage => ({ id: 'm', role, text: '', ...(title ? { title } : {}) });
  it('names who wrote each message', () => {
    assert.equal(roleLabel(message('user')), 'You');
    assert.equal(roleLabel(message('assistant')), 'Victor');
    assert.equal(roleLabel(message('explanation', 'Explain greet')), 'Explain greet');
    assert.equal(roleLabel(message('explanation')), 'Explanation');
    assert.equal(roleLabel(message('notice')), 'Note');
  });
});

describe('formatTime and sessionMeta (the sessions list)', () => {
  const now = new Date(2026, 0, 3, 18, 0);
  const thisMorning = new Date(2026, 0, 3, 10, 7).toISOString();
  const lastWeek = new Date(2025, 11, 27, 10, 7).toISOString();

  it('gives the time of day for today and the date otherwise', () => {
    assert.match(formatTime(thisMorning, now), /07/);
    assert.doesNotMatch(formatTime(thisMorning, now), /3/);
    assert.match(formatTime(lastWeek, now), /27/);
    assert.doesNotMatch(formatTime(lastWeek, now), /07/);
  });

  it('is empty for a missing or unreadable time', () => {
    assert.equal(formatTime(undefined, now), '');
    assert.equal(formatTime('not a date', now), '');
  });

  it('joins the time and the message count, leaving out what is unknown', () => {
    assert.equal(sessionMeta({ id: 's', title: 't', updatedAt: lastWeek, messageCount: 4 }, now), `${formatTime(lastWeek, now)} · 4 messages`);
    assert.equal(sessionMeta({ id: 's', title: 't', messageCount: 0 }, now), '0 messages');
    assert.equal(sessionMeta({ id: 's', title: 't', updatedAt: 'garbage' }, now), '');
  });
});
