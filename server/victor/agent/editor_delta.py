"""The editor context of a new turn, without repeating what the conversation already holds.

Earlier turns are never rewritten (each request extends the previous one byte for byte, so
the prompt cache reads it), and their editor snapshots stay in the context until a
compaction. So a new turn need not send a file's text again when the model has it: each
file section of the editor context (the active file, the other open buffers) and each
other editor contribution (the active file's style card, its rules) is compared with the
latest copy the context holds. Unchanged -> a one-line reference; changed -> the new text,
or a unified diff against that copy when the diff is smaller. The small parts that change
(the active-file line with the cursor, the selection, the diagnostics) always go in full.

What the context holds is kept with the messages themselves (``EDITOR_VIEWS``: {section
key: section text} on each user message that carried an editor context, in memory only):
compaction drops it with the snapshots, a session loaded from the store has none, so a
reference never points at text the model no longer has; the next turn then sends the full
text again.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from victor.agent.coordinators.prompt_coordinator import Contribution
from victor.agent.coordinators.running_totals import held_views

_FENCE = re.compile(r"^(`{3,})[\w+-]*$")
_FILE_TITLE = "### `"
_WINDOW = "around the cursor"
_TRUNCATED = re.compile(r"\n\[\.\.\. \d+ more lines\]$")  # doc_section's cut marker
_EARLIER = "earlier in this conversation"


__all__ = ["EditorTurn", "editor_turn", "held_views"]


@dataclass(slots=True)
class EditorTurn:
    """The editor context a new question carries."""

    text: str  # what is sent: references and diffs where the context already holds the text
    views: dict[str, str]  # what the model holds after this turn ({section key: text})


def editor_turn(contributions: Sequence[Contribution], held: dict[str, str]) -> EditorTurn:
    """The editor context of a new turn, given what the conversation ``held`` so far."""
    views = dict(held)
    sent: list[str] = []
    for contribution in contributions:
        if contribution.name == "file_context":
            sent.append(_file_context(contribution.text, held, views))
        else:
            key = f"contribution {contribution.name}"
            text, views[key] = _section(contribution.text, held.get(key))
            sent.append(text)
    return EditorTurn("\n\n".join(sent), views)


def _file_context(text: str, held: dict[str, str], views: dict[str, str]) -> str:
    """The file context with each file section replaced where the context holds it."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        end = _section_end(lines, i)
        if end is None:
            # Any other fenced block (the selection) goes as it is: its text must not be
            # read as sections (it is fenced, like them, longer than any run inside).
            close = _fence_end(lines, i) if _FENCE.match(lines[i]) else None
            stop = i + 1 if close is None else close + 1
            out.extend(lines[i:stop])
            i = stop
            continue
        section = "\n".join(lines[i : end + 1])
        key = "file " + _path_of(lines[i])
        text, views[key] = _section(section, held.get(key))
        out.append(text)
        i = end + 1
    return "\n".join(out)


def _section_end(lines: list[str], i: int) -> int | None:
    """Index of the closing fence of the file section starting at ``lines[i]``, if one does:
    a "### `path` ..." title, then a fence, closed by the same fence (the renderer makes it
    longer than any backtick run in the text, so file text cannot end it early)."""
    if not lines[i].startswith(_FILE_TITLE) or i + 1 >= len(lines):
        return None
    return _fence_end(lines, i + 1) if _FENCE.match(lines[i + 1]) else None


def _fence_end(lines: list[str], i: int) -> int | None:
    """Index of the line closing the fence opened at ``lines[i]``."""
    ticks = _FENCE.match(lines[i]).group(1)  # type: ignore[union-attr]
    for j in range(i + 1, len(lines)):
        if lines[j] == ticks:
            return j
    return None


def _path_of(title: str) -> str:
    rest = title[len(_FILE_TITLE) :]
    return rest.split("` ", 1)[0].rstrip("`")


def _section(section: str, before: str | None) -> tuple[str, str]:
    """``section`` as the new turn sends it, given the copy the context holds (``before``),
    and the copy the context holds afterwards."""
    if before is None:
        return section, section
    title = section.split("\n", 1)[0]
    old, new = _body(before), _body(section)
    if old == new:  # the same text, perhaps under another title ("open in the editor")
        return f"{title}: unchanged since your last view of it, {_EARLIER}", before
    shown = _TRUNCATED.sub("", new)
    if shown.strip() and f"\n{shown}\n" in f"\n{old}\n":
        # A window or a cut of the text held in full: those lines have not changed (the
        # rest may have; the copy held stays the larger one, so a later diff shows it).
        return f"{title}: these lines are unchanged since your last view of it, {_EARLIER}", before
    if _WINDOW in title or _WINDOW in before.split("\n", 1)[0]:
        return section, section  # a window's line numbers move with it: no diff
    diff = "\n".join(
        difflib.unified_diff(
            old.split("\n"), new.split("\n"), "your last view", "now", n=2, lineterm=""
        )
    )
    ticks = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`{3,}", diff)), default=2))
    patch = (
        f"{title}: changed since your last view of it, {_EARLIER}; a unified diff of the "
        f"text against that last view:\n{ticks}diff\n{diff}\n{ticks}"
    )
    return (patch, section) if diff and len(patch) < len(section) else (section, section)


def _body(section: str) -> str:
    """The text inside a section's fence (the whole section for an unfenced one)."""
    lines = section.split("\n")
    match = _FENCE.match(lines[1]) if len(lines) >= 3 else None
    if match is not None and lines[-1] == match.group(1):
        return "\n".join(lines[2:-1])
    return section
