"""What the workspace tools may read, decided in one place.

Rules, in order: the path must resolve inside the workspace (victor.workspace.paths), must not
be a secret, must not be inside ``.git`` (its config can hold credentials in remote URLs), and
must not be git-ignored unless the user has it open in the editor (then the editor's unsaved
text is what the tools see). Blocking helpers: call them from a worker thread.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from victor.tools.base import ToolError
from victor.workspace.guarded_read import display_name
from victor.workspace.paths import (
    SECRET_DIR_NAMES,
    PathOutsideWorkspaceError,
    SecretPathError,
    is_git_ignored,
    is_secret_path,
    resolve_inside,
)

log = logging.getLogger(__name__)

OpenDocument = Callable[[Path], str | None]

# Never listed or searched: version control internals, dependency trees and caches. They are
# huge, rarely what the user means, and usually git-ignored anyway.
SKIP_DIR_NAMES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
    }
)
BINARY_SNIFF_BYTES = 8192


def is_skipped_dir(name: str) -> bool:
    lowered = name.lower()
    return lowered in SKIP_DIR_NAMES or lowered in SECRET_DIR_NAMES


def looks_binary(head: bytes) -> bool:
    """NUL bytes do not occur in text encodings the tools read (UTF-8, Latin-1)."""
    return b"\0" in head


class WorkspaceAccess:
    def __init__(self, root: Path, open_document: OpenDocument | None = None) -> None:
        self.given_root = Path(os.path.abspath(root))
        self.root = Path(os.path.realpath(root))
        self._open_document = open_document

    def resolve(self, path: str) -> Path:
        """The real path of ``path`` (relative to the root), or ToolError saying why not."""
        if "\0" in path:
            raise ToolError(f"{path!r}: a path cannot contain NUL characters")
        try:
            # Only a blank path means the root; other whitespace may be part of a file name.
            real = resolve_inside(self.root, path if path.strip() else ".")
        except PathOutsideWorkspaceError as exc:
            raise ToolError(f"{exc}; paths are relative to the workspace root") from exc
        except SecretPathError as exc:
            raise ToolError(str(exc)) from exc
        if any(part.lower() == ".git" for part in self.relative_parts(real)):
            raise ToolError(f"{path}: the .git folder is not readable by tools")
        return real

    def relative_parts(self, real: Path) -> tuple[str, ...]:
        try:
            return real.relative_to(self.root).parts
        except ValueError:  # case-insensitive file systems: resolve_inside already vouched
            return Path(os.path.relpath(real, self.root)).parts

    def relative(self, real: Path) -> str:
        """Path as the model should write it: relative to the root, forward slashes."""
        parts = self.relative_parts(real)
        return "/".join(parts) if parts else "."

    def shown(self, real: Path) -> str:
        """``relative`` made safe for a tool result: a name that is not UTF-8 shows U+FFFD."""
        return display_name(self.relative(real))

    def open_text(self, real: Path, given: str | None = None) -> str | None:
        """Unsaved editor text of the file, if it is open."""
        if self._open_document is None:
            return None
        candidates = [real]
        if given is not None:
            # The editor may know the file by its unresolved path (a symlinked root).
            lexical = Path(os.path.normpath(self.given_root / given))
            if lexical != real:
                candidates.append(lexical)
        for candidate in candidates:
            try:
                text = self._open_document(candidate)
            except Exception:  # the editor side failing must not make the file unreadable
                log.warning("open_document(%s) failed", candidate, exc_info=True)
                continue
            if text is not None:
                return text
        return None

    def added_files(self, base: Path) -> list[Path]:
        """Files that exist only in the tools' view, not on disk (agent mode: created in this
        turn), under ``base``. None here."""
        return []

    def ignored(self, paths: list[Path], timeout: float = 10.0) -> set[Path]:
        return is_git_ignored(self.root, paths, timeout)

    def refuse_if_ignored(self, real: Path, given: str) -> None:
        if self.ignored([real]):
            raise ToolError(
                f"{given}: ignored by git (.gitignore); tools read ignored files only while "
                "they are open in the editor"
            )

    def visible(self, real: Path) -> bool:
        """Whether a file found by listing/searching may be shown (ignore rules aside)."""
        parts = self.relative_parts(real)
        if any(is_skipped_dir(part) for part in parts[:-1]):
            return False
        return not is_secret_path(Path(*parts)) if parts else True
