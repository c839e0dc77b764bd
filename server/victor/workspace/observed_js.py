"""Semicolons in JavaScript/TypeScript, observed: does a statement end with ``;``?

Per line, without a parser: a code line ending in ``;`` votes yes; a line that ends a statement
without one (ends in a name, a literal, ``)`` or ``]``, and the next line does not continue
it) votes no. Lines inside block comments and template strings are skipped.
"""

from __future__ import annotations

import re

_ENDS_STATEMENT = re.compile(r"[\w$)\]'\"`]$")
_CONTINUES = re.compile(r"^(?:[.?:+\-*/%&|^,)\]}=<>]|\binstanceof\b|\bin\b|\bas\b)")
_OPENS_BLOCK = re.compile(
    r"^(?:if|else|for|while|do|switch|try|catch|finally|function|class|interface|type|enum"
    r"|export\s+(?:default\s+)?(?:function|class|interface|enum)|@)\b"
)
_TS_MEMBER = re.compile(r"^[\w$?]+\??\s*[:(]")


def semicolon_vote(lines: list[str]) -> bool | None:
    """True / False when the file clearly ends statements with / without ``;``, else None."""
    code = []
    in_comment = False
    for line in lines:
        stripped = line.strip()
        if in_comment:
            in_comment = "*/" not in stripped
            continue
        if stripped.startswith("/*"):
            in_comment = "*/" not in stripped
            continue
        if not stripped or stripped.startswith(("//", "*")):
            continue
        code.append(re.sub(r"\s//.*$", "", stripped))
    with_semi = without = 0
    for i, line in enumerate(code):
        if line.endswith(";"):
            with_semi += not line.startswith("for")
            continue
        nxt = code[i + 1] if i + 1 < len(code) else ""
        if (
            _ENDS_STATEMENT.search(line)
            and not _CONTINUES.match(nxt)
            and not _OPENS_BLOCK.match(line)
            and not _TS_MEMBER.match(line)
            and not line.endswith(("=>", ","))
        ):
            without += 1
    total = with_semi + without
    if total < 5:
        return None
    if with_semi >= 0.8 * total:
        return True
    if without >= 0.8 * total:
        return False
    return None
