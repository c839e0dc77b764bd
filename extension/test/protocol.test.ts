import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactNotice } from '../src/protocol';

describe('compactNotice', () => {
  it('names the strategy and the figures when the session was compacted', () => {
    const text = compactNotice({
      before: { messages: 40, tokens: 12000 },
      after: { messages: 6, tokens: 2100 },
      strategy: 'summarize',
      compacted: true,
    });
    assert.equal(text, 'Compacted (summarize): 40 → 6 messages, 12,000 → 2,100 tokens.');
  });

  it('says nothing was compacted instead of "Compacted (null)"', () => {
    const text = compactNotice({
      before: { messages: 2, tokens: 41 },
      after: { messages: 2, tokens: 41 },
      strategy: null,
      compacted: false,
    });
    assert.equal(text, 'Nothing to compact: all 2 messages are kept as they are.');
    assert.ok(!text.includes('null'));
  });
});
