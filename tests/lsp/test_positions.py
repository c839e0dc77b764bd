"""LSP positions are UTF-16 code units; the file context must cut at the same characters."""

from __future__ import annotations

from victor.lsp.requests import codepoint_column


def test_columns_after_astral_characters_are_converted():
    line = 'x = "🎉🎉" + name'
    # "name" starts at code point 11 but at UTF-16 unit 13 (each emoji is two units)
    assert codepoint_column(line, 13) == 11
    assert line[codepoint_column(line, 13) :].startswith("name")
    assert codepoint_column("plain ascii", 5) == 5
    assert codepoint_column("é", 1) == 1  # BMP characters are one unit
    assert codepoint_column("short", 99) == 5  # past the end: the end
