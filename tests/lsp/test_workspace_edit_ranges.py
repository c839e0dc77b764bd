"""The one edit an agent change becomes (lsp/workspace_edit.py), applied as an LSP client
applies it (UTF-16 columns, \\n, \\r\\n and \\r line breaks), gives exactly the new text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from pygls.workspace import PositionCodec

from victor.lsp.workspace_edit import _text_edit

_BREAK = re.compile(r"\r\n|\r|\n")
CODEC = PositionCodec()


def apply_lsp_edit(text: str, edit) -> str:
    """What an editor does with one TextEdit: lines split on LSP line breaks, columns in
    UTF-16 code units."""
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]

    def offset(line: int, character: int) -> int:
        if line >= len(starts):
            return len(text)
        start = starts[line]
        end = len(text) if line + 1 >= len(starts) else starts[line + 1]
        units = 0
        for index in range(start, end):
            if units >= character:
                return index
            units += 2 if ord(text[index]) > 0xFFFF else 1
        return end

    a = offset(edit.range.start.line, edit.range.start.character)
    b = offset(edit.range.end.line, edit.range.end.character)
    return text[:a] + edit.new_text + text[b:]


lines = st.lists(st.sampled_from(["a", "b", "x = 1", "é", "😀 emoji", "", "\t"]), max_size=6)
breaks = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def texts(draw) -> str:
    parts = draw(lines)
    if not parts:
        return ""
    sep = draw(breaks)
    text = sep.join(parts)
    return text + sep if draw(st.booleans()) else text


@settings(max_examples=400, deadline=None)
@given(before=texts(), after=texts())
def test_the_edit_turns_before_into_after(before: str, after: str) -> None:
    edit = _text_edit(before, after, CODEC, "victor-agent-t")
    assert apply_lsp_edit(before, edit) == after
    assert edit.annotation_id == "victor-agent-t"


def test_only_the_changed_lines_are_replaced() -> None:
    before = "one\ntwo\nthree\nfour\n"
    edit = _text_edit(before, "one\nTWO\nthree\nfour\n", CODEC, "a")
    assert (edit.range.start.line, edit.range.end.line) == (1, 2)
    assert edit.new_text == "TWO\n"
    # no final newline: the end is the last character (UTF-16: the emoji counts 2)
    edit = _text_edit("a\n😀b", "a\n😀c", CODEC, "a")
    assert (edit.range.end.line, edit.range.end.character) == (1, 3)
