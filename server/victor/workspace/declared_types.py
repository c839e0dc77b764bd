"""What a config file declares, before it is resolved for one file."""

from __future__ import annotations

from dataclasses import dataclass

from victor.workspace.card import StyleFact

# When two configs at the same distance from a file both set a fact, the higher rank wins:
# the formatter's own config over a linter's, both over .editorconfig (which formatters like
# ruff and black never read).
RANK_FORMATTER = 30
RANK_DEFAULT_BLACK = 31
RANK_LINTER = 20
RANK_EDITORCONFIG = 10


@dataclass(frozen=True, slots=True)
class Declaration:
    """The facts one tool's config states. ``tool`` is the unit of "nearest config wins"."""

    tool: str
    languages: frozenset[str]
    facts: tuple[StyleFact, ...]
    rank: int
