"""Per-file measurements behind observed style facts (indentation, quotes, names, habits).

Regexes over whole texts rather than parsers: the sample must be measured in a fraction of a
second, files may not parse (work in progress), and the answers are votes, not proofs.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from victor.workspace.observed_js import semicolon_vote

QUOTE_LANGUAGES = frozenset({"python", "javascript", "typescript", "ruby", "php", "shell"})
_HASH_COMMENTS = frozenset({"python", "ruby", "shell"})

_ID = r"[A-Za-z_$][\w$]*"
_JS_FUNC = re.compile(
    rf"\bfunction\s*\*?\s*({_ID})|\b(?:const|let|var)\s+({_ID})\s*(?::[^=\n]+)?=\s*(?:async\s*)?"
    rf"(?:function\b|\([^)\n]*\)\s*(?::[^=\n]+)?=>|{_ID}\s*=>)"
)
NAME_PATTERNS: dict[str, dict[str, re.Pattern[str]]] = {
    "python": {
        "functions": re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)", re.M),
        "classes": re.compile(r"^[ \t]*class[ \t]+(\w+)", re.M),
        # A space before "=" tells an assignment from a keyword argument on its own line.
        "variables": re.compile(r"^[ \t]*([A-Za-z_]\w*)(?:[ \t]*:[^=\n]+)?[ \t]=[ \t]", re.M),
    },
    "javascript": {
        "classes": re.compile(rf"\bclass\s+({_ID})"),
        "variables": re.compile(rf"\b(?:const|let|var)\s+({_ID})"),
    },
    "go": {
        "functions": re.compile(r"^func[ \t]+(?:\([^)]*\)[ \t]*)?(\w+)", re.M),
        "classes": re.compile(r"^type[ \t]+(\w+)", re.M),
        "variables": re.compile(r"\b(\w+)[ \t]*:="),
    },
    "rust": {
        "functions": re.compile(r"\bfn\s+(\w+)"),
        "classes": re.compile(r"\b(?:struct|enum|trait)\s+(\w+)"),
        # `let Some(x) = ...` / `let Point { x, .. } = ...` are patterns, not names.
        "variables": re.compile(r"\blet\s+(?:mut\s+)?(\w+)\b(?!\s*(?:\(|\{|::))"),
        "constants": re.compile(r"\b(?:const|static)\s+(?:mut\s+)?([A-Za-z_]\w*)\s*:"),
    },
    "ruby": {
        "functions": re.compile(r"^[ \t]*def[ \t]+(?:self\.)?(\w+)", re.M),
        "classes": re.compile(r"^[ \t]*(?:class|module)[ \t]+([A-Z]\w*)", re.M),
        "variables": re.compile(r"^[ \t]*([a-z_]\w*)[ \t]=[ \t]", re.M),
    },
}
NAME_PATTERNS["typescript"] = {
    "classes": re.compile(rf"\b(?:class|interface|type|enum)\s+({_ID})"),
    "variables": NAME_PATTERNS["javascript"]["variables"],
}

_PY_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+\w+[ \t]*\(", re.M)
_PY_CLASS = re.compile(r"^[ \t]*class[ \t]+\w+[^\n]*:[ \t]*(?:#[^\n]*)?$", re.M)
_DOC_START = re.compile(r"\s*(?:[rRuU]?)(?:\"\"\"|''')")
_STRINGS_HASH = re.compile(r"(\"\"\"|''')|#[^\n]*|('(?:[^'\\\n]|\\.)*')|(\"(?:[^\"\\\n]|\\.)*\")")
_STRINGS_SLASH = re.compile(r"(`)|//[^\n]*|('(?:[^'\\\n]|\\.)*')|(\"(?:[^\"\\\n]|\\.)*\")")


_TRIPLE = re.compile(r"(\"\"\"|''')(.*?)(\1)", re.S)


def _blank_body(m: re.Match[str]) -> str:
    # The opening quotes stay, so a docstring still counts as one; its content goes.
    return m.group(1) + re.sub(r"[^\n]", " ", m.group(2)) + m.group(3)


@dataclass(slots=True)
class FileStats:
    indent_style: str | None = None  # "space" | "tab", by majority of indented lines
    indent_width: int | None = None  # most common step after a block opener
    quotes: str | None = None  # "single" | "double" when the file has a clear majority
    semicolons: bool | None = None  # JavaScript/TypeScript: statements end with ";"
    line_lengths: Counter[int] = field(default_factory=Counter)
    names: dict[str, Counter[str]] = field(default_factory=dict)
    functions: int = 0
    annotated: int = 0
    documented: int = 0  # functions and classes with a docstring / JSDoc
    definitions: int = 0  # functions and classes


def measure(text: str, language: str) -> FileStats:
    stats = FileStats()
    lines = text.splitlines()
    _measure_lines(lines, stats)
    if language in QUOTE_LANGUAGES:
        stats.quotes = _quote_vote(text, language)
    if language == "python":
        # Code shown inside docstrings and other triple-quoted strings ("def example():" in a
        # doctest) is not the file's code: blank it, keeping offsets and line breaks.
        text = _TRIPLE.sub(_blank_body, text)
    _measure_names(text, language, stats)
    if language == "python":
        _python_habits(text, stats)
    elif language in ("javascript", "typescript"):
        _jsdoc_habit(lines, stats)
        stats.semicolons = semicolon_vote(lines)
    return stats


def _measure_lines(lines: list[str], stats: FileStats) -> None:
    tabs = spaces = 0
    steps: Counter[int] = Counter()
    prev_indent = 0
    prev_opens = False
    for line in lines:
        stripped = line.lstrip()
        if not stripped:
            continue
        stats.line_lengths[len(line.expandtabs(4).rstrip())] += 1
        lead = line[: len(line) - len(stripped)]
        if lead.startswith("\t"):
            tabs += 1
        elif lead.startswith(" "):
            spaces += 1
        indent = len(lead.expandtabs(4))
        # Only steps right after a block opener say how wide one level is; continuation
        # lines aligned with a bracket would add noise.
        if prev_opens and indent > prev_indent and not lead.startswith("\t"):
            steps[indent - prev_indent] += 1
        prev_indent = indent
        prev_opens = stripped.rstrip().endswith((":", "{", "(", "[", "=>", " do", "then"))
    if tabs or spaces:
        stats.indent_style = "tab" if tabs > spaces else "space"
    if steps and stats.indent_style == "space":
        stats.indent_width = steps.most_common(1)[0][0]


def quote_counts(text: str, language: str) -> tuple[int, int]:
    """(single, double): string literals in ``text`` that chose their quote character (a
    literal holding the other quote character was forced, not chosen; triple-quoted and
    template strings have no vote)."""
    pattern = _STRINGS_HASH if language in _HASH_COMMENTS else _STRINGS_SLASH
    single = double = 0
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            break
        pos = m.end()
        opener = m.group(1)
        if opener:  # triple-quoted (or template) string: skip to its end
            end = text.find(opener, pos)
            pos = len(text) if end < 0 else end + len(opener)
        elif m.group(2):
            single += '"' not in m.group(2)
        elif m.group(3):
            double += "'" not in m.group(3)
    return single, double


def _quote_vote(text: str, language: str) -> str | None:
    single, double = quote_counts(text, language)
    if single + double < 3 or single == double:
        return None
    return "single" if single > double else "double"


def naming_convention(name: str) -> str | None:
    """snake_case | camelCase | PascalCase | UPPER_CASE, or None when the name fits several."""
    core = name.strip("_$")
    if not core or not core[0].isalpha():
        return None
    if core.isupper():
        return "UPPER_CASE" if len(core) > 1 else None
    if "_" in core:
        return "snake_case" if core.islower() else None
    if core[0].isupper():
        return "PascalCase"
    if core.islower():
        return None  # "run" is snake_case and camelCase alike
    return "camelCase"


def _measure_names(text: str, language: str, stats: FileStats) -> None:
    patterns = dict(NAME_PATTERNS.get(language, {}))
    found: dict[str, list[str]] = {kind: [] for kind in patterns}
    if language in ("javascript", "typescript"):
        funcs = [a or b for a, b in _JS_FUNC.findall(text)]
        found["functions"] = funcs
        fset = set(funcs)
        found["variables"] = [n for n in patterns["variables"].findall(text) if n not in fset]
        del patterns["variables"]
    for kind, pattern in patterns.items():
        found[kind] = pattern.findall(text)
    for kind, names in found.items():
        for name in names:
            conv = naming_convention(name)
            if conv is None or name.startswith("__"):
                continue
            if kind == "variables" and conv == "UPPER_CASE":
                stats.names.setdefault("constants", Counter())[conv] += 1
            elif kind == "variables" and language == "python" and conv == "PascalCase":
                continue  # aliases of classes (Model = ...), not variable naming
            else:
                stats.names.setdefault(kind, Counter())[conv] += 1


def _python_habits(text: str, stats: FileStats) -> None:
    for m in _PY_DEF.finditer(text):
        close = _matching_paren(text, m.end() - 1)
        if close < 0:
            continue
        colon = text.find(":", close)
        header_tail = text[close:colon] if colon >= 0 else ""
        params = [p.strip() for p in text[m.end() : close].split(",")]
        params = [p for p in params if p and p not in ("self", "cls", "*", "/")]
        stats.functions += 1
        stats.definitions += 1
        if "->" in header_tail or any(":" in p for p in params):
            stats.annotated += 1
        if colon >= 0 and _DOC_START.match(text, colon + 1):
            stats.documented += 1
    for m in _PY_CLASS.finditer(text):
        stats.definitions += 1
        if _DOC_START.match(text, m.end()):
            stats.documented += 1


def _matching_paren(text: str, open_at: int) -> int:
    depth = 0
    limit = min(len(text), open_at + 4000)
    for i in range(open_at, limit):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _jsdoc_habit(lines: list[str], stats: FileStats) -> None:
    prev = ""
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if _JS_FUNC.search(stripped) and not stripped.startswith(("//", "*")):
            stats.definitions += 1
            stats.documented += prev.endswith("*/")
        prev = stripped
