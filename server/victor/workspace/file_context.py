"""File context: what the editor shows the user, fitted to a token budget for the prompt.

Order of relevance: the selection, the diagnostics, the active file around the cursor, then
other open documents (those the active file mentions and its neighbours first) and finally
files the request names that are only on disk. The editor's buffers win over the disk.
Secret files never go in; a file only on disk also stays out when git ignores it. Positions
are LSP's zero-based (line, character); characters are counted as code points.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from victor.workspace.file_context_render import (
    Doc,
    diagnostics_section,
    doc_section,
    fence,
    selection_text,
    window_section,
)
from victor.workspace.git_ignore import IgnoredPaths
from victor.workspace.guarded_read import (
    NotRegularFileError,
    OutsideWorkspaceError,
    ReadRefusedError,
    SecretFileError,
    display_name,
    read_guarded,
    secret_refusal_resolved,
)
from victor.workspace.languages import language_of
from victor.workspace.paths import is_git_ignored
from victor.workspace.rules import CHARS_PER_TOKEN

Position = tuple[int, int]
MAX_DISK_BYTES = 512_000


@dataclass(slots=True)
class FileContextInput:
    """What the editor supplied for one request."""

    active_path: Path | None = None
    active_text: str | None = None  # the buffer, saved or not; None: read the file
    selection: tuple[Position, Position] | None = None
    position: Position | None = None
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    open_documents: dict[Path, str] = field(default_factory=dict)  # other open buffers
    related_paths: list[Path] = field(default_factory=list)  # named by the request, on disk

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileContextInput:
        """From plain JSON-ish data (paths as strings, positions as lists)."""

        def pos(p: Any) -> Position | None:
            if p is None:
                return None
            if isinstance(p, dict):
                return (int(p["line"]), int(p["character"]))
            return (int(p[0]), int(p[1]))

        sel = data.get("selection")
        if isinstance(sel, dict):
            sel = (sel["start"], sel["end"])
        active = data.get("active_path")
        return cls(
            active_path=Path(active) if active else None,
            active_text=data.get("active_text"),
            selection=(pos(sel[0]), pos(sel[1])) if sel else None,  # type: ignore[arg-type]
            position=pos(data.get("position")),
            diagnostics=list(data.get("diagnostics") or []),
            open_documents={Path(k): v for k, v in (data.get("open_documents") or {}).items()},
            related_paths=[Path(p) for p in data.get("related_paths") or []],
        )


def needs_disk(inp: FileContextInput) -> bool:
    """Whether rendering will read files or ask git (so async callers should use a thread)."""
    return (
        bool(inp.related_paths)
        or bool(inp.open_documents)  # background buffers: `git check-ignore`
        or (inp.active_path is not None and inp.active_text is None)
    )


def render_file_context(
    inp: FileContextInput,
    root: Path,
    budget_tokens: int = 6000,
    ignore_cache: IgnoredPaths | None = None,
) -> str:
    """Markdown of the editor's context within ``budget_tokens`` (estimated at 4 chars each).

    ``ignore_cache`` answers which open files git ignores from a running git (one git
    process per build without)."""
    root_real = os.path.realpath(root)
    budget = budget_tokens * CHARS_PER_TOKEN
    omitted: list[str] = []
    active = _active_doc(inp, root_real, omitted)
    others = _other_docs(inp, root_real, active, omitted, ignore_cache)
    if active is None and not others and not inp.diagnostics:
        return _omitted_only(omitted, budget)
    reserve = 240 if omitted or others else 0  # for the closing "not included" line
    parts: list[str] = ["## Editor context"]
    if active is not None:
        parts.append(_header(active, inp))
    used = sum(len(p) + 1 for p in parts) + reserve
    if active is not None and inp.selection is not None:
        sel = selection_text(active, inp.selection, int(budget * 0.35))
        if sel and used + len(sel) + 1 <= budget:
            parts.append(sel)
            used += len(sel) + 1
    diag = diagnostics_section(inp.diagnostics, active, root_real, int(budget * 0.15), omitted)
    if diag and used + len(diag) + 1 <= budget:
        parts.append(diag)
        used += len(diag) + 1
    left = budget - used
    if active is not None:
        need_others = sum(d.size_hint() for d in others)
        allowance = left if not others else max(left - need_others, int(left * 0.6))
        win = window_section(active, inp.selection, inp.position, allowance)
        if win:
            parts.append(win)
            left -= len(win) + 1
    parts += _fit_docs(others, left, omitted)
    if omitted:
        note = "Not included: " + "; ".join(omitted)
        limit = budget - sum(len(p) + 1 for p in parts)
        if limit > 20:
            parts.append(note if len(note) <= limit else note[: limit - 4] + " ...")
    return "\n".join(parts)[:budget]


def _omitted_only(omitted: list[str], budget: int) -> str:
    if not omitted:
        return ""
    return ("## Editor context\nNot included: " + "; ".join(omitted))[:budget]


def _display(path: str, root_real: str) -> tuple[str, bool]:
    """(path as shown, inside the workspace?)"""
    return _shown(path, os.path.realpath(path), root_real)


def _shown(path: str, real: str, root_real: str) -> tuple[str, bool]:
    if real == root_real or real.startswith(root_real + os.sep):
        return display_name(os.path.relpath(real, root_real).replace(os.sep, "/")), True
    return display_name(str(path)), False


def _judge(path: str, root_real: str) -> tuple[str, bool, str | None]:
    """(path as shown, inside the workspace?, why its text is never sent or None) for an
    absolute ``path``, resolving it once where _display and secret_refusal took three."""
    given = os.path.normpath(path)
    try:
        real: str | None = os.path.realpath(given)
    except OSError:
        real = None
    # The shown path follows the path as given ("link/.." resolves the link first).
    shown_real = real if real is not None and given == path else os.path.realpath(path)
    shown, inside = _shown(path, shown_real, root_real)
    return shown, inside, secret_refusal_resolved(root_real, given, real)


def _active_doc(inp: FileContextInput, root_real: str, omitted: list[str]) -> Doc | None:
    if inp.active_path is None:
        return None
    path = os.path.join(root_real, inp.active_path)  # absolute paths stay as they are
    shown, _, refusal = _judge(path, root_real)
    if refusal:
        omitted.append(f"{shown} (secret file)")
        return None
    text = inp.active_text
    if text is None:
        text = _read_disk(root_real, path, omitted, shown)
        if text is None:
            return None
        return Doc(shown, text, language_of(path), "as saved on disk")
    return Doc(shown, text, language_of(path), "editor buffer")


def _other_docs(
    inp: FileContextInput,
    root_real: str,
    active: Doc | None,
    omitted: list[str],
    ignore_cache: IgnoredPaths | None = None,
) -> list[Doc]:
    docs: dict[str, Doc] = {}
    active_shown = active.shown if active is not None else None
    background: list[tuple[str, str, str]] = []  # (full path, shown, text)
    for path, text in inp.open_documents.items():
        full = os.path.join(root_real, path)
        shown, inside, refusal = _judge(full, root_real)
        if shown == active_shown or shown in docs:
            continue
        if refusal:
            omitted.append(f"{shown} (secret file)")
        elif not inside:
            omitted.append(f"{shown} (outside the workspace)")
        elif "\0" not in text:
            background.append((full, shown, text))
    disk: list[tuple[str, str]] = []
    for path in inp.related_paths:
        full = os.path.join(root_real, path)
        shown, _ = _display(full, root_real)
        if shown == active_shown or shown in docs:
            continue  # an open buffer (or the active one) already stands for it
        if not any(shown == b[1] for b in background):
            disk.append((full, shown))
    # One git call for both: a git-ignored file open in a background tab is often a local
    # secret (a config with passwords) the user did not point at; it stays out like on disk.
    asked = [Path(f) for f, _, _ in background] + [Path(f) for f, _ in disk]
    check = ignore_cache.ignored if ignore_cache is not None else is_git_ignored
    ignored = {str(p) for p in check(Path(root_real), asked)}
    for full, shown, text in background:
        if full in ignored:  # answered for the path as asked
            omitted.append(f"{shown} (git-ignored)")
        else:
            docs[shown] = Doc(shown, text, language_of(shown), "open in the editor")
    for full, shown in disk:
        if full in ignored:  # answered for the path as asked
            omitted.append(f"{shown} (git-ignored)")
            continue
        text = _read_disk(root_real, full, omitted, shown)
        if text is not None:
            docs[shown] = Doc(shown, text, language_of(shown), "from disk")
    ranked = sorted(docs.values(), key=lambda d: -_relevance(d, active))
    return ranked


def _relevance(doc: Doc, active: Doc | None) -> float:
    if active is None:
        return 0.0
    score = 0.0
    stem = os.path.splitext(os.path.basename(doc.shown))[0]
    if stem and len(stem) > 2 and stem in active.text:
        score += 3  # the active file mentions it (an import, a call)
    if os.path.dirname(doc.shown) == os.path.dirname(active.shown):
        score += 2
    if doc.language == active.language:
        score += 1
    if doc.source == "from disk":
        score -= 0.5  # named by the request, but not something the user is looking at
    return score - len(doc.text) / 1e7  # smaller first among equals


def _read_disk(root_real: str, path: str, omitted: list[str], shown: str) -> str | None:
    try:
        data = read_guarded(root_real, path, max_bytes=MAX_DISK_BYTES, truncate=True).data
    except SecretFileError:
        omitted.append(f"{shown} (secret file)")
        return None
    except OutsideWorkspaceError:
        omitted.append(f"{shown} (outside the workspace)")
        return None
    except NotRegularFileError:
        omitted.append(f"{shown} (not a regular file)")
        return None
    except ReadRefusedError:
        omitted.append(f"{shown} (unreadable)")
        return None
    if b"\0" in data:
        omitted.append(f"{shown} (binary)")
        return None
    return data.decode("utf-8", errors="replace")


def _header(active: Doc, inp: FileContextInput) -> str:
    n = active.text.count("\n") + 1
    line = (
        f"Active file: `{active.shown}` ({active.language or 'text'}, {n} lines, {active.source})"
    )
    if inp.position is not None:
        line += f"; cursor at line {inp.position[0] + 1}, column {inp.position[1] + 1}"
    return line


def _fit_docs(docs: list[Doc], avail: int, omitted: list[str]) -> list[str]:
    """Fair shares of ``avail`` for ``docs`` in relevance order; those that cannot get a useful
    share are named as omitted."""
    out: list[str] = []
    for i, doc in enumerate(docs):
        remaining = len(docs) - i
        # The more relevant go first and may take up to half of what is left, never less than
        # an equal split of it, so one huge buffer cannot crowd out the rest.
        cap = avail if remaining == 1 else max(avail // remaining, avail // 2)
        share = min(cap, doc.size_hint())
        if share < min(300, doc.size_hint()):
            omitted.append(f"{doc.shown} (over the budget)")
            continue
        section = doc_section(doc, share)
        out.append(section)
        avail -= len(section) + 1
    return out


__all__ = ["FileContextInput", "fence", "needs_disk", "render_file_context"]
