"""The files an agent turn changed, over the editor's view of the workspace.

Agent mode never writes a file. Its edit tools change the *view*: the editor's open buffers
(unsaved text included), else the file on disk read through the guarded reader, plus what the
turn changed so far. Every later tool call of the turn (read_file, search_text, the next edit)
sees the changed text. The pending changes go to the editor for review (``pending()``); what
the review decided is folded back in with ``settle()``: accepted changes stay in the view (the
editor now has them), the others are dropped from it.

Blocking (disk reads): call the methods from a worker thread. One lock serialises them, since a
model may ask for several edits of one file in the same round (run concurrently).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from victor.protocols import ChangeOutcome, FileChange, OpenText
from victor.tools.access import BINARY_SNIFF_BYTES, WorkspaceAccess, looks_binary
from victor.tools.base import ToolError
from victor.workspace.guarded_read import ReadRefusedError, UnreadableFileError, read_guarded

#: the largest file an edit tool works on (the same cap as a request's document)
MAX_EDIT_BYTES = 4 * 1024 * 1024

OpenBuffer = Callable[[Path], OpenText | None]


@dataclass(slots=True)
class _Entry:
    """One path the turn touched: its text before (None: it did not exist) and now."""

    base: str | None
    base_version: int | None
    current: str | None
    #: set when the path is the source or target of a rename still pending review
    renamed_to: Path | None = None
    renamed_from: Path | None = None
    change_id: str = ""


class ChangeSet:
    def __init__(self, access: WorkspaceAccess, open_buffer: OpenBuffer, max_files: int) -> None:
        self.access = access
        self._open_buffer = open_buffer
        self.max_files = max_files
        self._entries: dict[Path, _Entry] = {}
        #: every path the turn touched (reviewed or not): what agentMaxFiles counts
        self.touched: set[Path] = set()
        self.lock = threading.RLock()

    # ------------------------------------------------------------------ the view

    def text(self, real: Path, given: str) -> str | None:
        """The file's text as the turn sees it; None when it does not exist (or was deleted
        in this turn). ToolError for binary, unreadable or too large files."""
        entry = self._entries.get(real)
        if entry is not None:
            if entry.renamed_to is not None or entry.renamed_from is not None:
                raise ToolError(self._rename_pending(given))
            return entry.current
        return self._editor_text(real, given)[0]

    @staticmethod
    def _rename_pending(given: str) -> str:
        return (
            f"{given} is part of a rename that is waiting for the user's review; change it "
            "after the review (run_command reviews first, or finish the turn)"
        )

    def created_under(self, base: Path) -> list[Path]:
        """Files this turn created (not on disk yet) under ``base``."""
        with self.lock:
            return [
                real
                for real, entry in self._entries.items()
                if entry.base is None
                and entry.current is not None
                and (real == base or base in real.parents)
            ]

    def overlay(self, real: Path) -> tuple[bool, str | None]:
        """(whether the turn changed ``real``, its text now or None if deleted)."""
        entry = self._entries.get(real)
        return (entry is not None, entry.current if entry is not None else None)

    def _editor_text(self, real: Path, given: str) -> tuple[str | None, int | None]:
        """The editor's view: the open buffer, else the file on disk; (None, None) if absent."""
        buffer = self._open_buffer(real)
        if buffer is not None:
            return buffer.text, buffer.version
        if not real.exists():
            return None, None
        if real.is_dir():
            raise ToolError(f"{given} is a directory")
        self.access.refuse_if_ignored(real, given)
        try:
            content = read_guarded(self.access.root, real, max_bytes=MAX_EDIT_BYTES)
        except UnreadableFileError as exc:
            if exc.missing:
                return None, None
            raise ToolError(str(exc)) from exc
        except ReadRefusedError as exc:
            raise ToolError(str(exc)) from exc
        if looks_binary(content.data[:BINARY_SNIFF_BYTES]):
            raise ToolError(f"{given} looks like a binary file; only text files can be edited")
        return content.text(), None

    # ------------------------------------------------------------------ changes

    def set_text(self, real: Path, given: str, text: str | None) -> None:
        """Make ``real``'s text ``text`` (None: delete it) in the turn's view."""
        entry = self._entry(real, given)
        if entry.renamed_to is not None or entry.renamed_from is not None:
            raise ToolError(self._rename_pending(given))
        entry.current = text

    def rename(self, real: Path, given: str, new_real: Path, new_given: str) -> None:
        if self._entries.get(real) is not None and self._pending(self._entries[real]):
            raise ToolError(
                f"{given} has changes waiting for review in this turn; rename it before "
                "editing it, or after the review"
            )
        if self.text(new_real, new_given) is not None:
            raise ToolError(f"{new_given} already exists")
        source = self._entry(real, given)
        target = self._entry(new_real, new_given)
        source.renamed_to, target.renamed_from = new_real, real
        # The read tools see the file under its new name only.
        target.base, target.current, source.current = None, source.current, None

    def _entry(self, real: Path, given: str) -> _Entry:
        entry = self._entries.get(real)
        if entry is not None:
            return entry
        if real not in self.touched and len(self.touched) >= self.max_files:
            raise ToolError(
                f"this turn may change at most {self.max_files} files (setting agentMaxFiles); "
                f"{given} would be one more. Finish with what you have."
            )
        text, version = self._editor_text(real, given)
        entry = _Entry(base=text, base_version=version, current=text)
        self._entries[real] = entry
        self.touched.add(real)
        return entry

    @staticmethod
    def _pending(entry: _Entry) -> bool:
        return entry.renamed_to is not None or entry.current != entry.base

    # ------------------------------------------------------------------ review

    def pending(self) -> list[FileChange]:
        """The changes not yet reviewed, in the order the files were first touched."""
        out: list[FileChange] = []
        for real, entry in self._entries.items():
            if entry.renamed_from is not None:
                continue  # reported with its source
            if not self._pending(entry):
                continue
            if not entry.change_id:
                entry.change_id = uuid.uuid4().hex[:12]
            if entry.renamed_to is not None:
                change = FileChange(
                    entry.change_id, "rename", real, None, None, None, entry.renamed_to
                )
            elif entry.base is None:
                change = FileChange(entry.change_id, "create", real, None, entry.current)
            elif entry.current is None:
                change = FileChange(entry.change_id, "delete", real, entry.base, None)
            else:
                change = FileChange(
                    entry.change_id, "edit", real, entry.base, entry.current, entry.base_version
                )
            out.append(change)
        return out

    def settle(self, outcomes: list[ChangeOutcome]) -> None:
        """Fold a review back in: accepted changes become the view's new base (the editor has
        them now), the rest leave the view (it shows the editor's text again)."""
        by_id = {o.id: o for o in outcomes}
        for real, entry in list(self._entries.items()):
            outcome = by_id.get(entry.change_id)
            if outcome is None or not entry.change_id:
                continue
            entry.change_id = ""
            if entry.renamed_to is not None:
                # Accepted or not, both paths are read from the editor from now on.
                self._entries.pop(entry.renamed_to, None)
                self._entries.pop(real, None)
                continue
            if outcome.status == "accepted":
                entry.base, entry.base_version = entry.current, None
            else:
                self._entries.pop(real, None)

    def drop_pending(self) -> list[FileChange]:
        """Forget every change not yet reviewed (the turn was cancelled); returns them."""
        dropped = self.pending()
        for change in dropped:
            self._entries.pop(change.path, None)
            if change.new_path is not None:
                self._entries.pop(change.new_path, None)
        return dropped


class ChangeSetAccess(WorkspaceAccess):
    """What the read-only tools see in an agent turn: the turn's changes over the editor."""

    #: set once the turn's ChangeSet (which reads through this access) exists
    change_set: ChangeSet | None = None

    def added_files(self, base: Path) -> list[Path]:
        changes = self.change_set
        return changes.created_under(base) if changes is not None else []

    def open_text(self, real: Path, given: str | None = None) -> str | None:
        changes = self.change_set
        if changes is not None:
            changed, text = changes.overlay(real)
            if changed:
                if text is None:
                    raise ToolError(
                        f"{given or self.shown(real)} was deleted (or renamed) earlier in this turn"
                    )
                return text
        return super().open_text(real, given)
