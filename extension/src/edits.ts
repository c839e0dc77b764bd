// Applying LSP text edits to a string (for the diff preview of a proposed edit). Pure.
import type { Position, TextEdit } from './protocol';

/** Offsets of the start of each line of `text` (\n, \r\n and \r end lines). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (ch === 10 /* \n */) {
      starts.push(i + 1);
    }
  }
  return starts;
}

/** The offset of an LSP position (UTF-16, like JS strings); clamped to the text like LSP says. */
export function offsetAt(text: string, starts: number[], pos: Position): number {
  if (pos.line < 0) return 0;
  if (pos.line >= starts.length) return text.length;
  const lineStart = starts[pos.line]!;
  const nextStart = pos.line + 1 < starts.length ? starts[pos.line + 1]! : text.length;
  let lineEnd = nextStart;
  // Do not let a character past the end run into the line break.
  while (lineEnd > lineStart && (text[lineEnd - 1] === '\n' || text[lineEnd - 1] === '\r')) lineEnd--;
  return Math.min(lineStart + Math.max(0, pos.character), lineEnd);
}

/** Applies non-overlapping edits (in any order) to `text`. Throws on overlapping edits. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = lineStarts(text);
  const resolved = edits
    .map((e, index) => ({
      start: offsetAt(text, starts, e.range.start),
      end: offsetAt(text, starts, e.range.end),
      newText: e.newText,
      index,
    }))
    .sort((a, b) => a.start - b.start || a.end - b.end || a.index - b.index);
  let out = '';
  let cursor = 0;
  for (const e of resolved) {
    if (e.start < cursor) throw new Error('overlapping edits');
    out += text.slice(cursor, e.start) + e.newText;
    cursor = Math.max(cursor, e.end);
  }
  return out + text.slice(cursor);
}
