"""read_file and list_directory: look at the workspace, never change it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from victor.protocols import ToolSpec
from victor.tools.access import BINARY_SNIFF_BYTES, WorkspaceAccess, is_skipped_dir, looks_binary
from victor.tools.base import Tool, ToolError, ToolResult
from victor.workspace.guarded_read import ReadRefusedError, open_guarded

MAX_READ_LINES = 2000
MAX_READ_CHARS = 60_000
MAX_LINE_CHARS = 2000
# After the requested lines are collected we keep counting lines (so the header can say
# "of N"), but not through gigabytes of log file.
MAX_COUNT_BYTES = 32 * 1024 * 1024
# A line is read at most this much at a time; the rest of a longer one is counted, not kept.
MAX_LINE_BYTES = 64 * 1024
MAX_LIST_ENTRIES = 400
MAX_LIST_DEPTH = 5


def buffer_lines(text: str) -> Iterator[str]:
    """Lines of an editor buffer, numbered like the editor does (\\n, \\r\\n or \\r)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line; it does not start another
    yield from lines


class CutLine(str):
    """The head of a line too long to read whole; ``length`` says how long it really was."""

    length: str


def _disk_lines(
    access: WorkspaceAccess, real: Path, given: str, counter: list[int]
) -> Iterator[str]:
    """Lines of a file on disk, each read with a bounded buffer: a 300 MB one-line file costs
    MAX_LINE_BYTES of memory, not 300 MB. ``counter[0]`` counts the bytes read."""
    try:
        with open_guarded(access.root, real) as (_, f, size):
            if looks_binary(f.read(BINARY_SNIFF_BYTES)):
                raise ToolError(
                    f"{given} looks like a binary file ({size} bytes); only text is shown"
                )
            f.seek(0)
            number = 0
            while raw := f.readline(MAX_LINE_BYTES):
                counter[0] += len(raw)
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if number == 0:
                    line = line.removeprefix("\ufeff")
                number += 1
                if raw.endswith(b"\n") or len(raw) < MAX_LINE_BYTES:
                    yield line
                    continue
                cut = CutLine(line)
                cut.length = f"{len(raw) + _skip_rest_of_line(f, counter)} bytes"
                yield cut
    except ReadRefusedError as exc:
        raise ToolError(str(exc)) from exc


def _skip_rest_of_line(f: BinaryIO, counter: list[int]) -> int:
    """Read past the rest of a long line (piece by piece: memory stays bounded)."""
    skipped = 0
    while more := f.readline(MAX_LINE_BYTES):
        counter[0] += len(more)
        skipped += len(more)
        if more.endswith(b"\n"):
            break
    return skipped


class ReadFileTool(Tool):
    def __init__(self, access: WorkspaceAccess) -> None:
        self.access = access
        self.spec = ToolSpec(
            name="read_file",
            description=(
                "Read a text file of the workspace. Returns a header and the file's lines, each "
                "as '<line number><TAB><text>', numbered from 1. Use start_line/end_line to read "
                f"part of a long file; one call shows at most {MAX_READ_LINES} lines or "
                f"{MAX_READ_CHARS} characters and says where to continue. If the file is open "
                "in the editor, its current (possibly unsaved) text is returned. Paths are "
                "relative to the workspace root, e.g. 'src/app.py'. Binary files, secrets "
                "(.env, keys, credentials), git-ignored files that are not open, and anything "
                "outside the workspace are refused."
            ),
            input_schema={
                "type": "object",
                "properties": {
                    "path": {
                        "type": "string",
                        "minLength": 1,
                        "description": "File path relative to the workspace root.",
                    },
                    "start_line": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "First line to show (1-based, inclusive). Default 1.",
                    },
                    "end_line": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "Last line to show (inclusive). Default: as many as fit.",
                    },
                },
                "required": ["path"],
                "additionalProperties": False,
            },
        )

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        return await asyncio.to_thread(self._read, arguments)

    def _read(self, arguments: dict[str, Any]) -> ToolResult:
        given = arguments["path"]
        start = arguments.get("start_line", 1)
        end = arguments.get("end_line")
        if end is not None and end < start:
            raise ToolError(f"end_line ({end}) is before start_line ({start})")
        real = self.access.resolve(given)
        text = self.access.open_text(real, given)
        counter = [0]  # bytes read from disk
        if text is not None:
            lines, source = buffer_lines(text), " (as open in the editor)"
        else:
            if not real.exists():
                raise ToolError(f"{given}: no such file (list_directory or search_text can help)")
            if real.is_dir():
                raise ToolError(f"{given} is a directory; use list_directory")
            self.access.refuse_if_ignored(real, given)
            # Regular files only, checked on the open file (a FIFO would block forever).
            lines, source = _disk_lines(self.access, real, given, counter), ""
        return ToolResult(self._format(self.access.shown(real), source, lines, start, end, counter))

    def _format(
        self,
        rel: str,
        source: str,
        lines: Iterator[str],
        start: int,
        end: int | None,
        counter: list[int],
    ) -> str:
        most = start + MAX_READ_LINES - 1
        last_wanted = most if end is None else min(end, most)
        wants_more = end is None or end > most  # lines past last_wanted were asked for
        shown: list[str] = []
        chars = 0
        total = 0
        capped_at: int | None = None  # first wanted line left out because of a cap
        count_known = True
        for number, line in enumerate(lines, start=1):
            total = number
            if capped_at is None and start <= number <= last_wanted:
                if isinstance(line, CutLine):
                    line = f"{line[:MAX_LINE_CHARS]} … [line cut, {line.length}]"
                elif len(line) > MAX_LINE_CHARS:
                    line = f"{line[:MAX_LINE_CHARS]} … [line cut, {len(line)} characters]"
                entry = f"{number:>6}\t{line}"
                if shown and chars + len(entry) > MAX_READ_CHARS:
                    capped_at = number
                else:
                    shown.append(entry)
                    chars += len(entry) + 1
            elif capped_at is None and number > last_wanted and wants_more:
                capped_at = number
            if number >= last_wanted and counter[0] > MAX_COUNT_BYTES:
                count_known = False
                break
        if total == 0:
            return f"{rel}{source}: empty file"
        if start > total:
            raise ToolError(f"{rel} has {total} lines; start_line {start} is past the end")
        of = f"of {total}" if count_known else f"of more than {total}"
        out = [f"{rel}{source}: lines {start}-{start + len(shown) - 1} {of}", *shown]
        if capped_at is not None:
            out.append(
                f"[output limit reached; call read_file with start_line={capped_at} to continue]"
            )
        return "\n".join(out)


class ListDirectoryTool(Tool):
    def __init__(self, access: WorkspaceAccess) -> None:
        self.access = access
        self.spec = ToolSpec(
            name="list_directory",
            description=(
                "List the files and folders of a workspace directory, recursively down to "
                "depth levels (default 2). Each line is a path relative to the workspace root "
                "(folders end with '/', files show their size), ready to pass to read_file. "
                "Skips .git, node_modules, .venv, __pycache__ and similar, secret files and "
                f"git-ignored files; stops after {MAX_LIST_ENTRIES} entries."
            ),
            input_schema={
                "type": "object",
                "properties": {
                    "path": {
                        "type": "string",
                        "description": "Directory relative to the workspace root. Default '.'.",
                    },
                    "depth": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_LIST_DEPTH,
                        "description": "How many levels to descend (1 = only this folder).",
                    },
                },
                "additionalProperties": False,
            },
        )

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        return await asyncio.to_thread(self._list, arguments)

    def _list(self, arguments: dict[str, Any]) -> ToolResult:
        given = arguments.get("path", ".") or "."
        depth = arguments.get("depth", 2)
        base = self.access.resolve(given)
        if not base.exists():
            raise ToolError(f"{given}: no such directory")
        if not base.is_dir():
            raise ToolError(f"{given} is a file; use read_file")
        if base != self.access.root:
            self.access.refuse_if_ignored(base, given)
        entries: list[tuple[tuple[str, ...], str]] = []
        skipped = {"ignored": 0, "secret files or tool folders": 0, "unsafe links": 0}
        level = [base]
        full = False
        for _ in range(depth):
            next_level: list[Path] = []
            found = self._scan_level(level, skipped)
            for path, is_dir, label in found:
                if len(entries) >= MAX_LIST_ENTRIES:
                    full = True
                    break
                entries.append((tuple(p.lower() for p in self.access.relative_parts(path)), label))
                if is_dir:
                    next_level.append(path)
            if full or not next_level:
                break
            level = next_level
        rel = self.access.shown(base)
        header = f"{rel}/" if rel != "." else "Workspace root"
        lines = [f"{header} (depth {depth}):"]
        lines += [label for _, label in sorted(entries)] or ["(empty)"]
        notes = [f"{n} {what}" for what, n in skipped.items() if n]
        if notes:
            lines.append(f"[not shown: {', '.join(notes)}]")
        if full:
            lines.append(
                f"[stopped after {MAX_LIST_ENTRIES} entries; list a subfolder or use a lower depth]"
            )
        return ToolResult("\n".join(lines))

    def _scan_level(
        self, directories: list[Path], skipped: dict[str, int]
    ) -> list[tuple[Path, bool, str]]:
        """Entries of ``directories`` as (path, recurse into it?, label), ignore rules applied."""
        candidates: list[tuple[Path, os.DirEntry[str]]] = []
        for directory in directories:
            try:
                with os.scandir(directory) as it:
                    items = sorted(it, key=lambda e: e.name.lower())
            except OSError:
                continue  # unreadable folder: list what we can
            for entry in items:
                path = directory / entry.name
                if (entry.is_dir(follow_symlinks=False) and is_skipped_dir(entry.name)) or (
                    not self.access.visible(path)
                ):
                    skipped["secret files or tool folders"] += 1
                    continue
                candidates.append((path, entry))
        ignored = self.access.ignored([path for path, _ in candidates])
        out = []
        for path, entry in candidates:
            if path in ignored:
                skipped["ignored"] += 1
                continue
            rel = self.access.shown(path)
            if entry.is_symlink():
                target = os.path.realpath(path)
                try:
                    inside = self.access.resolve(self.access.relative(path))
                except ToolError:
                    skipped["unsafe links"] += 1
                    continue
                kind = "/" if os.path.isdir(target) else ""
                # Linked folders are shown, not entered: links can form cycles.
                out.append((path, False, f"{rel}{kind} -> {self.access.shown(inside)}{kind}"))
            elif entry.is_dir(follow_symlinks=False):
                out.append((path, True, f"{rel}/"))
            else:
                out.append((path, False, f"{rel}  ({_size(entry)})"))
        return out


def _size(entry: os.DirEntry[str]) -> str:
    try:
        size = float(entry.stat(follow_symlinks=False).st_size)
    except OSError:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return "?"
