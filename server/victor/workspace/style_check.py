"""Does formatted code still match the style card? (A formatter run with its defaults can
undo the card: 4 spaces in a 2-space file, double quotes in a single-quoted one.)

Only what the formatter changed is held against it: a fact the code broke before formatting is
not the formatter's doing. Checked: the indentation unit, the quote character (languages whose
quotes are a choice) and, when the card names a formatter, the line length.
"""

from __future__ import annotations

from victor.workspace.card import StyleCard
from victor.workspace.observed_stats import QUOTE_LANGUAGES, measure, quote_counts


def _indent_problem(text: str, card: StyleCard, language: str) -> str | None:
    style = card.value("indent_style")
    size = card.value("indent_size")
    stats = measure(text, language)
    if style == "tab" and stats.indent_style == "space":
        return "indents with spaces; the card says tabs"
    if style == "space" and stats.indent_style == "tab":
        return "indents with tabs; the card says spaces"
    if isinstance(size, int) and stats.indent_width and stats.indent_width != size:
        return f"indents by {stats.indent_width} spaces; the card says {size}"
    return None


def _quote_problem(text: str, card: StyleCard, language: str) -> str | None:
    want = card.value("quote_style")
    if language not in QUOTE_LANGUAGES or want not in ("single", "double"):
        return None
    single, double = quote_counts(text, language)
    other = double if want == "single" else single
    if other and other >= (single if want == "single" else double):
        return f"writes {'double' if want == 'single' else 'single'} quotes; the card says {want}"
    return None


def _length_problem(text: str, card: StyleCard) -> str | None:
    limit = card.value("line_length")
    if card.get("formatter") is None or not isinstance(limit, int):
        return None
    longest = max((len(line.expandtabs(4)) for line in text.splitlines()), default=0)
    if longest > limit:
        return f"leaves a {longest}-character line; the card's limit is {limit}"
    return None


def formatter_conflict(original: str, formatted: str, card: StyleCard) -> str | None:
    """Why ``formatted`` contradicts ``card`` where ``original`` did not, or None."""
    language = card.language or ""
    checks = (
        lambda t: _indent_problem(t, card, language),
        lambda t: _quote_problem(t, card, language),
        lambda t: _length_problem(t, card),
    )
    for check in checks:
        problem = check(formatted)
        if problem and not check(original):
            return problem
    return None


def introduced_problems(before: str, after: str, card: StyleCard) -> list[str]:
    """Where ``after`` (a file with an edit in it) breaks ``card`` and ``before`` did not: what
    the edit introduced (indentation, quotes, line length), measured on the whole file."""
    language = card.language or ""
    checks = (
        lambda t: _indent_problem(t, card, language),
        lambda t: _quote_problem(t, card, language),
        lambda t: _length_problem(t, card),
    )
    out = []
    for check in checks:
        problem = check(after)
        if problem and not check(before):
            out.append(problem)
    return out
