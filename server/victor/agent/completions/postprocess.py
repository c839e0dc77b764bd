"""From a model's raw answer to text an editor can show as ghost text at the cursor.

Never repeat what is after the cursor, match the line's indentation and the file's indent
unit and quotes, stop at the end of the statement or block, and give nothing rather than
whitespace.
"""

from __future__ import annotations

import math
import re

from victor.agent.completions.context import CURSOR, StyleFacts

MAX_LINES = 12
MAX_CHARS = 2000
_TAGS = re.compile(r"</?completion>")
_FENCE = re.compile(r"^\s*```[^\n]*\n(.*?)(?:\n```[^\n]*)?\s*$", re.DOTALL)
_BLOCK_OPENERS = (":", "{", "(", "[", ",", "=", "->", "=>", "\\")
_QUOTE_LANGUAGES = {"python": "#", "javascript": "//", "typescript": "//"}
_QUOTE_LANGUAGES |= {"javascriptreact": "//", "typescriptreact": "//"}


def clean_completion(
    raw: str, *, prefix: str, suffix: str, style: StyleFacts, language: str
) -> str:
    """The text to insert at the cursor ("" when nothing worth showing remains)."""
    text = _unwrap(raw)
    line_before = prefix[prefix.rfind("\n") + 1 :]
    rest_of_line = suffix.split("\n", 1)[0]
    text = _drop_echoed_line_start(text, line_before)
    lines = text.split("\n")
    if rest_of_line.strip():
        lines = [_drop_suffix_overlap(lines[0], rest_of_line)]  # mid-line: finish this line
    else:
        lines = _within_block(lines, line_before)
        lines = _before_suffix(lines, suffix)
    lines = _reindent(lines, line_before, style)
    text = "\n".join(line.rstrip() for line in lines).rstrip()
    if language in _QUOTE_LANGUAGES and style.quote_style in ("single", "double"):
        text = normalize_quotes(text, style.quote_style, _QUOTE_LANGUAGES[language], line_before)
    text = text[:MAX_CHARS]
    return text if text.strip() else ""


def _unwrap(raw: str) -> str:
    text = _TAGS.sub("", raw.replace("\r\n", "\n").replace(CURSOR, ""))
    fenced = _FENCE.match(text)
    return fenced.group(1) if fenced else text


def _drop_echoed_line_start(text: str, line_before: str) -> str:
    """Chat models often restate the line up to the cursor; that part is already there."""
    start = line_before.lstrip()
    if start and text.lstrip().startswith(start) and len(start) >= 3:
        return text.lstrip()[len(start) :]
    return text


def _drop_suffix_overlap(line: str, rest_of_line: str) -> str:
    """``foo(a|)`` answered with ``a, b)``: the ``)`` is already after the cursor."""
    rest = rest_of_line.rstrip()
    for size in range(min(len(line), len(rest)), 0, -1):
        if line.endswith(rest[:size]) and rest[:size].strip():
            return line[: len(line) - size]
    return line


def _width(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _within_block(lines: list[str], line_before: str) -> list[str]:
    """Stop where the statement or block at the cursor ends."""
    head = line_before.rstrip()
    first = (head + lines[0]).rstrip()
    if head.strip() and not first.endswith(_BLOCK_OPENERS) and not _opens_block(head):
        return lines[:1]  # finish the statement on this line
    base = _width(line_before)
    # After ``def f():`` the block is what is indented deeper than that line; on a line of
    # its own (only whitespace before the cursor) it is what stays at least that deep.
    deeper_only = bool(head.strip())
    kept = [lines[0]]
    blank_run = 0
    for line in lines[1 : MAX_LINES + 1]:
        if not line.strip():
            blank_run += 1
            if blank_run >= 2:
                break
            kept.append(line)
            continue
        blank_run = 0
        width = _width(line)
        if width < base or (deeper_only and width <= base and not _closes(line)):
            break
        kept.append(line)
        if deeper_only and width <= base:  # the closing bracket of the block: keep, stop
            break
    while len(kept) > 1 and not kept[-1].strip():
        kept.pop()
    return kept


def _opens_block(head: str) -> bool:
    return head.rstrip().endswith(_BLOCK_OPENERS)


def _closes(line: str) -> bool:
    return line.strip()[:1] in ("}", ")", "]")


def _before_suffix(lines: list[str], suffix: str) -> list[str]:
    """Cut where the answer runs into the code that already follows the cursor."""
    after = [line.strip() for line in suffix.split("\n")[1:] if line.strip()]
    if not after:
        return lines
    for index, line in enumerate(lines):
        if index and line.strip() and line.strip() == after[0]:
            return lines[:index]
    return lines


def _reindent(lines: list[str], line_before: str, style: StyleFacts) -> list[str]:
    """Put continuation lines on the file's indent grid (unit from the style card)."""
    unit = style.indent_unit
    if unit is None or len(lines) < 2:
        return lines
    rest = [line for line in lines[1:] if line.strip()]
    if not rest:
        return lines
    base_ws = line_before[: _width(line_before)]
    if unit == "\t":
        spaces = [len(ln) - len(ln.lstrip(" ")) for ln in rest if not ln.startswith("\t")]
        model_unit = math.gcd(*spaces) if any(spaces) else 4
        return [lines[0]] + [_to_tabs(line, model_unit) for line in lines[1:]]
    size = len(unit)
    widths = [_space_width(line, size) for line in rest]
    model_unit = math.gcd(*widths)
    base = _space_width(base_ws, size)
    increases = [w - base for w in widths if w > base]
    first_step = increases[0] if increases else 0
    if not model_unit or model_unit == size or model_unit % size:
        scale = False
    else:  # the model wrote on another grid (e.g. 4 spaces in a 2-space file)
        scale = base % model_unit != 0 or first_step == model_unit
    out = [lines[0]]
    for line in lines[1:]:
        if not line.strip():
            out.append("")
            continue
        width = _space_width(line, size)
        if scale:
            width = width // model_unit * size
        out.append(" " * width + line.lstrip(" \t"))
    return out


def _space_width(line: str, size: int) -> int:
    ws = line[: _width(line)]
    return ws.count("\t") * size + ws.count(" ")


def _to_tabs(line: str, model_unit: int) -> str:
    if not line.strip():
        return ""
    ws = line[: _width(line)]
    levels = ws.count("\t") + ws.count(" ") // model_unit
    return "\t" * levels + line.lstrip(" \t")


def normalize_quotes(text: str, style: str, comment: str, line_before: str = "") -> str:
    """Rewrite plain string literals in the preferred quotes, as ruff/black/prettier would:
    only literals holding neither quote nor a backslash; comments, triple-quoted strings
    and template literals stay as written. Nothing changes when the cursor is inside a
    string (the answer then starts mid-literal)."""
    if _inside_string(line_before):
        return text
    want, other = ("'", '"') if style == "single" else ('"', "'")
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith(comment, i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(text[i:end])
            i = end
        elif text.startswith(ch * 3, i) and ch in "'\"":
            end = text.find(ch * 3, i + 3)
            end = n if end < 0 else end + 3
            out.append(text[i:end])
            i = end
        elif ch in "'\"`":
            end = _literal_end(text, i)
            literal = text[i:end]
            body = literal[1:-1]
            closed = len(literal) >= 2 and literal.endswith(ch)
            if ch == other and closed and not any(c in body for c in "'\"\\\n"):
                literal = want + body + want
            out.append(literal)
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _literal_end(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        if text[i] == "\n" and quote != "`":
            return i
        i += 1
    return len(text)


def _inside_string(line: str) -> bool:
    i, quote = 0, None
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif ch == "#":
            return False
        i += 1
    return quote is not None
