"""Rules files: the user's standing instructions for the workspace, included verbatim.

Root-level AGENTS.md, CLAUDE.md, .victor/rules.md and .github/copilot-instructions.md, plus
AGENTS.md / CLAUDE.md in sub-folders (they apply to files under them). The token budget is
shared fairly: small files go in whole, large ones are cut with a note saying so.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from victor.workspace.guarded_read import (
    ReadRefusedError,
    UnreadableFileError,
    display_name,
    read_guarded,
)

log = logging.getLogger(__name__)

ROOT_RULES: tuple[str, ...] = (
    "AGENTS.md",
    "CLAUDE.md",
    ".victor/rules.md",
    ".github/copilot-instructions.md",
)
NESTED_RULE_NAMES = frozenset({"AGENTS.md", "CLAUDE.md"})
MAX_RULES_BYTES = 256_000
CHARS_PER_TOKEN = 4  # a rough, conservative estimate for English and code


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


@dataclass(frozen=True, slots=True)
class RulesFile:
    path: str  # relative to the workspace root, "/"-separated
    text: str

    @property
    def directory(self) -> str:
        """The folder the rules apply to ("" for the whole workspace)."""
        if self.path in ROOT_RULES:
            return ""
        return os.path.dirname(self.path)


def load_rules_file(root: str, rel: str) -> RulesFile | None:
    """The rules file at ``rel``, or None when it is missing, empty or refused.

    Rules go into the system prompt verbatim, so a symlink to a file outside the workspace
    (``~/.ssh/id_rsa``, ``/proc/self/environ``), to a secret, or to a device is refused and the
    refusal logged (see victor.workspace.guarded_read).
    """
    try:
        found = read_guarded(root, rel, max_bytes=MAX_RULES_BYTES, truncate=True)
    except UnreadableFileError as exc:
        if not exc.missing:
            log.warning("rules file skipped: %s", exc)
        return None
    except ReadRefusedError as exc:
        log.warning("rules file skipped: %s", exc)
        return None
    text = found.text().strip()
    if found.truncated:
        text += "\n[... file longer than 256 kB; the rest was not read]"
    return RulesFile(rel, text) if text else None


def order_rules(files: list[RulesFile]) -> list[RulesFile]:
    """Root rules in their documented order first, then nested ones, shallowest first."""

    def key(f: RulesFile) -> tuple[int, int, str]:
        if f.path in ROOT_RULES:
            return (0, ROOT_RULES.index(f.path), "")
        return (1, f.path.count("/"), f.path)

    return sorted(files, key=key)


def applicable(files: list[RulesFile], file_rel: str | None) -> list[RulesFile]:
    """Rules for a file: the root ones and nested ones in the file's ancestor folders."""
    out = []
    for f in files:
        folder = f.directory
        if not folder or (file_rel is not None and file_rel.startswith(folder + "/")):
            out.append(f)
    return out


def render_rules(files: list[RulesFile], budget_tokens: int = 4000) -> str:
    """Markdown with each file under its path, fitted to ``budget_tokens``.

    Files later in the list are dropped first (named in a closing line) when the budget cannot
    hold even a truncated copy of each.
    """
    header = "## Workspace rules\nInstructions the user keeps in the workspace; follow them.\n"
    budget = budget_tokens * CHARS_PER_TOKEN
    kept = list(files)
    while kept:
        dropped = files[len(kept) :]
        tail = (
            f"\n\n[omitted for the budget: {', '.join(display_name(f.path) for f in dropped)}]"
            if dropped
            else ""
        )
        blocks = [f"\n### {display_name(f.path)}\n" for f in kept]
        avail = budget - len(header) - len(tail) - sum(len(b) for b in blocks)
        if avail >= _MIN_SHARE * len(kept):
            shares = _fair_shares([len(f.text) for f in kept], avail)
            body = "".join(b + _cut(f, s) for f, b, s in zip(kept, blocks, shares, strict=True))
            return header + body + tail
        kept.pop()
    return ""


_MIN_SHARE = 400  # ~100 tokens: less of a rules file is mostly its truncation note


def _fair_shares(sizes: list[int], total: int) -> list[int]:
    """Water-filling: each gets min(size, equal share of what is left), smallest first."""
    shares = [0] * len(sizes)
    left = total
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    for n, i in enumerate(order):
        share = min(sizes[i], left // (len(order) - n))
        shares[i] = share
        left -= share
    return shares


def _cut(f: RulesFile, share: int) -> str:
    if len(f.text) <= share:
        return f.text

    def note(n: int) -> str:
        return f"\n[... truncated: {n} more characters of {display_name(f.path)} not shown]"

    # The note's number is at most len(f.text), so its length bounds the real note's.
    keep = max(0, share - len(note(len(f.text))))
    cut = f.text[:keep]
    if "\n" in cut[keep // 2 :]:
        cut = cut[: cut.rfind("\n")]  # end on a line boundary when that loses little
    return cut + note(len(f.text) - len(cut))
