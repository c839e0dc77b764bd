"""The style card: facts about how code is written in one file's part of the workspace.

Every fact names where it came from (a config file and section, or what was observed), so the
model - and the user reading ``victor style`` - can tell a rule from a habit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from victor.workspace.languages import display_name

# Facts render in this order. Values: formatter "ruff format" | "black" | "prettier" | "gofmt" |
# "rustfmt" | "clang-format" | "rubocop"; indent_style "space" | "tab"; indent_size and
# line_length int; quote_style "single" | "double" | "preserve"; semicolons, final newline and
# trim_trailing_whitespace bool; end_of_line "lf" | "crlf" | "cr"; naming.* "snake_case" |
# "camelCase" | "PascalCase" | "UPPER_CASE" | "mixed: ..."; the rest free text. "note" may repeat.
KEY_ORDER: tuple[str, ...] = (
    "formatter",
    "indent_style",
    "indent_size",
    "line_length",
    "quote_style",
    "semicolons",
    "trailing_commas",
    "end_of_line",
    "insert_final_newline",
    "trim_trailing_whitespace",
    "charset",
    "imports",
    "naming.functions",
    "naming.classes",
    "naming.variables",
    "naming.constants",
    "type_hints",
    "docstrings",
    "note",
)
LABELS: dict[str, str] = {
    "formatter": "Formatter",
    "indent_style": "Indentation",
    "indent_size": "Indent width",
    "line_length": "Line length",
    "quote_style": "Quotes",
    "semicolons": "Semicolons",
    "trailing_commas": "Trailing commas",
    "end_of_line": "Line endings",
    "insert_final_newline": "Final newline",
    "trim_trailing_whitespace": "Trim trailing whitespace",
    "charset": "Charset",
    "imports": "Imports",
    "naming.functions": "Function names",
    "naming.classes": "Class names",
    "naming.variables": "Variable names",
    "naming.constants": "Constant names",
    "type_hints": "Type hints",
    "docstrings": "Docstrings",
    "note": "Note",
}
_RANK = {key: i for i, key in enumerate(KEY_ORDER)}


@dataclass(frozen=True, slots=True)
class StyleFact:
    """One fact: ``key`` (see KEY_ORDER), a typed ``value`` and the ``source`` it came from."""

    key: str
    value: str | int | bool
    source: str

    def render(self) -> str:
        shown_as_is = self.source.startswith(("observed", "language standard"))
        origin = self.source if shown_as_is else f"from {self.source}"
        return f"{LABELS.get(self.key, self.key)}: {_show(self.key, self.value)} — {origin}"


def _show(key: str, value: str | int | bool) -> str:
    if key == "indent_style":
        return {"space": "spaces", "tab": "tabs"}.get(str(value), str(value))
    if key == "line_length" and isinstance(value, int):
        return f"{value} characters"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def sort_facts(facts: list[StyleFact]) -> list[StyleFact]:
    return sorted(facts, key=lambda f: (_RANK.get(f.key, len(_RANK)), f.key, str(f.value)))


@dataclass(slots=True)
class StyleCard:
    """The resolved style for ``file`` (None: the workspace as a whole)."""

    file: Path | None
    language: str | None
    facts: list[StyleFact] = field(default_factory=list)
    root: Path | None = None
    _rendered: str | None = field(default=None, repr=False, compare=False)

    def get(self, key: str) -> StyleFact | None:
        for fact in self.facts:
            if fact.key == key:
                return fact
        return None

    def value(self, key: str) -> str | int | bool | None:
        fact = self.get(key)
        return None if fact is None else fact.value

    def title(self) -> str:
        if self.file is None:
            where = "this workspace"
        elif self.root is not None:
            try:
                where = os.path.relpath(self.file, self.root).replace(os.sep, "/")
            except ValueError:  # another drive on Windows
                where = str(self.file)
        else:
            where = str(self.file)
        return f"## Code style for {where} ({display_name(self.language)})"

    def render(self) -> str:
        """Markdown: a heading and one bullet per fact with its source; "" when nothing is known."""
        if self._rendered is None:
            if not self.facts:
                self._rendered = ""
            else:
                lines = [self.title(), "Write new code to match; these come from the workspace."]
                lines += [f"- {fact.render()}" for fact in self.facts]
                self._rendered = "\n".join(lines)
        return self._rendered
