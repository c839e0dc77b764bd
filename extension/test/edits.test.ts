import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyTextEdits, lineStarts, offsetAt } from '../src/edits';

const r = (sl: number, sc: number, el: number, ec: number) => ({ start: { line: sl, character: sc }, end: { line: el, character: ec } });

describe('applyTextEdits', () => {
  it('inserts at a position', () => {
    assert.equal(applyTextEdits('a\nb\n', [{ range: r(1, 0, 1, 0), newText: 'x\n' }]), 'a\nx\nb\n');
  });

  it('replaces a range across lines, with CRLF', () => {
    assert.equal(applyTextEdits('one\r\ntwo\r\nthree', [{ range: r(0, 1, 2, 2), newText: 'X' }]), 'oXree');
  });

  it('applies several edits given in any order', () => {
    const text = 'def f():\n    return 1\n';
    const out = applyTextEdits(text, [
      { range: r(1, 11, 1, 12), newText: '2' },
      { range: r(0, 4, 0, 5), newText: 'g' },
    ]);
    assert.equal(out, 'def g():\n    return 2\n');
  });

  it('clamps positions past the end of a line or the text', () => {
    assert.equal(applyTextEdits('ab\ncd', [{ range: r(0, 99, 0, 99), newText: '!' }]), 'ab!\ncd');
    assert.equal(applyTextEdits('ab', [{ range: r(5, 0, 5, 0), newText: '\nz' }]), 'ab\nz');
  });

  it('rejects overlapping edits', () => {
    assert.throws(() => applyTextEdits('abcdef', [{ range: r(0, 0, 0, 4), newText: '' }, { range: r(0, 2, 0, 5), newText: '' }]));
  });

  it('counts UTF-16 code units like LSP', () => {
    const text = 'x = "😀"; y';
    const starts = lineStarts(text);
    assert.equal(offsetAt(text, starts, { line: 0, character: 8 }), 8);
    assert.equal(applyTextEdits(text, [{ range: r(0, 10, 0, 11), newText: 'z' }]), 'x = "😀"; z');
  });
});
