"""Style a language itself fixes, whatever the workspace's configs say.

Go has one formatter with no options (gofmt: tabs, no line limit) and its naming rule is part
of the language: a name's first letter marks whether it is exported, so PascalCase and
camelCase are both correct. These facts hold for every Go file, with or without a go.mod.
"""

from __future__ import annotations

from victor.workspace.card import StyleFact

STANDARD = "language standard"
_GO_FMT = f"{STANDARD} (gofmt has no options)"
_GO_CASE = f"{STANDARD} (Go: a capital first letter exports the name)"
_GO_NAMES = "camelCase or PascalCase (PascalCase when exported)"

LANGUAGE_FACTS: dict[str, tuple[StyleFact, ...]] = {
    "go": (
        StyleFact("formatter", "gofmt", _GO_FMT),
        StyleFact("indent_style", "tab", _GO_FMT),
        StyleFact("note", "gofmt sets no line length limit", _GO_FMT),
        StyleFact("naming.functions", _GO_NAMES, _GO_CASE),
        StyleFact("naming.classes", _GO_NAMES, _GO_CASE),
        StyleFact("naming.variables", _GO_NAMES, _GO_CASE),
        StyleFact("naming.constants", _GO_NAMES, _GO_CASE),
    ),
}
# Observed facts a language's rules make meaningless (no limit to observe under gofmt).
DROP_OBSERVED: dict[str, frozenset[str]] = {"go": frozenset({"line_length"})}
