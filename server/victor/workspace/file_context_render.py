"""Rendering pieces of the file context: fenced code, windows, selections, diagnostics."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from victor.workspace.paths import is_secret_path

SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}
_FENCE_RUN = re.compile(r"`{3,}")


@dataclass(slots=True)
class Doc:
    shown: str  # path as displayed (workspace-relative when inside)
    text: str
    language: str | None
    source: str  # "editor buffer", "open in the editor", "as saved on disk", "from disk"

    def size_hint(self) -> int:
        """Characters of this document's section when nothing is cut."""
        return len(self.text) + len(self.shown) + len(self.source) + FENCE_OVERHEAD + 12


def fence(text: str, language: str | None) -> str:
    """``text`` in a code fence longer than any backtick run inside it."""
    longest = max((len(m) for m in _FENCE_RUN.findall(text)), default=2)
    ticks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{ticks}{language or ''}\n{body}{ticks}"


FENCE_OVERHEAD = 24  # fence lines plus a language tag


def selection_text(doc: Doc, selection: tuple[tuple[int, int], tuple[int, int]], cap: int) -> str:
    (l1, c1), (l2, c2) = sorted(selection)
    lines = doc.text.split("\n")
    if not lines or l1 >= len(lines):
        return ""
    l2 = min(l2, len(lines) - 1)
    if l1 == l2:
        chosen = lines[l1][c1:c2]
    else:
        chosen = "\n".join([lines[l1][c1:], *lines[l1 + 1 : l2], lines[l2][:c2]])
    if not chosen.strip():
        return ""
    title = (
        f"### Selection (line {l1 + 1})" if l1 == l2 else f"### Selection (lines {l1 + 1}-{l2 + 1})"
    )
    room = cap - len(title) - FENCE_OVERHEAD
    if room < 40:
        return ""
    if len(chosen) > room:
        keep = max(0, room - 60)  # the note below is shorter than 60 characters
        chosen = (
            chosen[:keep] + f"\n[... selection continues: {len(chosen) - keep} more characters]"
        )
    return f"{title}\n{fence(chosen, doc.language)}"


def window_section(
    doc: Doc,
    selection: tuple[tuple[int, int], tuple[int, int]] | None,
    position: tuple[int, int] | None,
    allowance: int,
) -> str:
    """The active file around the selection or cursor, as many lines as ``allowance`` allows."""
    lines = doc.text.split("\n")
    n = len(lines)
    if selection is not None:
        (first, _), (last, _) = sorted(selection)
    elif position is not None:
        first = last = position[0]
    else:
        first = last = 0
    first = max(0, min(first, n - 1))
    last = max(first, min(last, n - 1))
    title_room = 90 + len(doc.shown)
    room = allowance - title_room - FENCE_OVERHEAD
    if room < 80:
        return ""
    if len(doc.text) <= room:
        return f"### `{doc.shown}` (whole file, {n} lines)\n{fence(doc.text, doc.language)}"
    # Grow outwards from the focus, a line above then a line below, until the room is used.
    start, end = first, first
    used = len(lines[first]) + 1
    while end < last and used + len(lines[end + 1]) + 1 <= room:
        end += 1
        used += len(lines[end]) + 1
    grew = True
    while grew:
        grew = False
        if start > 0 and used + len(lines[start - 1]) + 1 <= room:
            start -= 1
            used += len(lines[start]) + 1
            grew = True
        if end < n - 1 and used + len(lines[end + 1]) + 1 <= room:
            end += 1
            used += len(lines[end]) + 1
            grew = True
    body = "\n".join(lines[start : end + 1])
    if len(body) > room:  # a single enormous line
        body = body[:room]
    title = f"### `{doc.shown}` around the cursor (lines {start + 1}-{end + 1} of {n})"
    return f"{title}\n{fence(body, doc.language)}"


def doc_section(doc: Doc, share: int) -> str:
    title = f"### `{doc.shown}` ({doc.source})"
    room = share - len(title) - FENCE_OVERHEAD - 1
    text = doc.text
    if len(text) > room:
        cut = text[: max(0, room - 50)]
        if "\n" in cut:
            cut = cut[: cut.rfind("\n")]
        rest = text.count("\n", len(cut)) + (0 if text.endswith("\n") else 1)
        text = f"{cut}\n[... {rest} more lines]"
    return f"{title}\n{fence(text, doc.language)}"


def _diag_path(d: dict[str, Any], active: Doc | None, root_real: str) -> str | None:
    ref = d.get("path") or d.get("uri")
    if not ref:
        return active.shown if active is not None else None
    ref = str(ref)
    if ref.startswith("file:"):
        ref = unquote(urlparse(ref).path)
    real = os.path.realpath(os.path.join(root_real, ref))
    if real.startswith(root_real + os.sep):
        return os.path.relpath(real, root_real).replace(os.sep, "/")
    return ref


def diagnostics_section(
    diagnostics: list[dict[str, Any]],
    active: Doc | None,
    root_real: str,
    cap: int,
    omitted: list[str],
) -> str:
    """LSP diagnostics, errors and the active file first, one line each, within ``cap``."""
    rows: list[tuple[tuple[int, int, int], str]] = []
    for d in diagnostics:
        path = _diag_path(d, active, root_real)
        if path is not None and is_secret_path(path):
            continue  # a message about a secret file may quote the secret
        start = (d.get("range") or {}).get("start") or {}
        line, char = int(start.get("line", 0)), int(start.get("character", 0))
        severity = int(d.get("severity") or 1)
        origin = " ".join(str(x) for x in (d.get("source"), d.get("code")) if x not in (None, ""))
        message = str(d.get("message", "")).strip().splitlines()
        text = message[0][:300] if message else ""
        where = f"{path}:{line + 1}:{char + 1}" if path else f"{line + 1}:{char + 1}"
        label = SEVERITY.get(severity, "info")
        row = f"- `{where}` {label}" + (f" [{origin}]" if origin else "") + f": {text}"
        other_file = active is None or path != active.shown
        rows.append(((other_file, severity, line), row))
    if not rows:
        return ""
    rows.sort(key=lambda r: r[0])
    out = ["### Diagnostics"]
    size = len(out[0])
    for i, (_, row) in enumerate(rows):
        if size + len(row) + 1 > cap - 40:
            omitted.append(f"{len(rows) - i} more diagnostics")
            break
        out.append(row)
        size += len(row) + 1
    return "\n".join(out) if len(out) > 1 else ""
