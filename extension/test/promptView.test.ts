import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderPromptDocument, styleCards } from '../src/promptView';

describe('renderPromptDocument', () => {
  it('shows the cached system prompt, the editor context of the next turn and the breakpoints', () => {
    const doc = renderPromptDocument({
      prompt: 'You are Victor\n\n## Editor context',
      layout: 'turn',
      system: [{ text: 'You are Victor', cacheBreakpoint: true }],
      editorContext: '## Editor context\nActive file: `app.py`',
      cacheBreakpoints: ['tools', 'system', 'previous request', 'last message'],
    });
    assert.match(doc, /cache breakpoints: tools, system, previous request, last message/);
    assert.match(doc, /# System prompt \(cached: a cache breakpoint follows it\)\n\nYou are Victor/);
    assert.match(doc, /# Editor context \(sent with your next message, before its text\)\n\n## Editor context\nActive file/);
    assert.ok(doc.indexOf('You are Victor') < doc.indexOf('Active file'));
  });

  it('marks the uncached part of the legacy layout', () => {
    const doc = renderPromptDocument({
      prompt: 'stable\n\nvolatile',
      layout: 'legacy',
      system: [
        { text: 'stable', cacheBreakpoint: true },
        { text: 'volatile', cacheBreakpoint: false },
      ],
      editorContext: '',
    });
    assert.match(doc, /part 1 \(cached/);
    assert.match(doc, /part 2 \(not cached\)\n\nvolatile/);
    assert.doesNotMatch(doc, /Editor context/);
  });

  it('falls back to the prompt text of an older server', () => {
    assert.equal(renderPromptDocument({ prompt: 'old prompt' }), 'old prompt');
  });
});

describe('styleCards', () => {
  it("prefers the active file's own card over the workspace's", () => {
    const cards = styleCards({
      prompt: '',
      contributions: [
        { name: 'style', text: '## Code style for this workspace', part: 'system' },
        { name: 'style', text: '## Code style for shop/app.py', part: 'editor' },
      ],
    });
    assert.deepEqual(cards.map((c) => c.text), ['## Code style for shop/app.py']);
  });

  it('uses the system card when the file says nothing else', () => {
    const cards = styleCards({ prompt: '', contributions: [{ name: 'style', text: 'card', part: 'system' }] });
    assert.equal(cards.length, 1);
  });
});
