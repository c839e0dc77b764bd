"""search_text: find lines in workspace files.

Which files: ``git ls-files`` (tracked + untracked-not-ignored) when the folder is in a git
work tree, else a walk of the folder. Matching is always Python's ``re`` so a regex means the
same thing whichever way the files were found (``git grep -E`` would not know ``\\d``).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from victor.protocols import ToolSpec
from victor.tools.access import BINARY_SNIFF_BYTES, WorkspaceAccess, is_skipped_dir, looks_binary
from victor.tools.base import Tool, ToolError, ToolResult
from victor.tools.files import buffer_lines

DEFAULT_RESULTS = 50
MAX_RESULTS = 200
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_MATCH_LINE_CHARS = 300
# A bound on one call: the model is waiting, and a partial answer that says so is better.
TIME_BUDGET_SECONDS = 15.0


def git_files(base: Path) -> list[Path] | None:
    """Files under ``base`` that git tracks or would track; None if not in a git work tree."""
    try:
        proc = subprocess.run(
            [
                "git",
                "-C",
                str(base),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = sorted({n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n})
    return [base / name for name in names]


def walked_files(base: Path) -> list[Path]:
    out = []
    for directory, dirnames, filenames in os.walk(base, followlinks=False):
        # Prune in place so os.walk never descends into dependency trees or secret folders.
        dirnames[:] = sorted(d for d in dirnames if not is_skipped_dir(d))
        out.extend(Path(directory) / name for name in sorted(filenames))
    return out


class SearchTextTool(Tool):
    def __init__(self, access: WorkspaceAccess) -> None:
        self.access = access
        self.spec = ToolSpec(
            name="search_text",
            description=(
                "Search the workspace's text files for a string, or for a Python regular "
                "expression with regex=true, and return matching lines as "
                "'path:line: text' (paths relative to the workspace root, ready for read_file). "
                "Case-insensitive unless the query contains an uppercase letter. Searches under "
                "path (a folder or one file; default the whole workspace). Open editor buffers "
                "are searched with their unsaved text. Skips binary, secret and git-ignored "
                "files and folders like .git, node_modules and .venv. Use it to find where "
                "something is defined or used."
            ),
            input_schema={
                "type": "object",
                "properties": {
                    "query": {
                        "type": "string",
                        "minLength": 1,
                        "description": "Text to find (literal unless regex is true).",
                    },
                    "path": {
                        "type": "string",
                        "description": "Folder or file to search (relative); default '.'",
                    },
                    "regex": {
                        "type": "boolean",
                        "description": "Treat query as a Python regular expression. Default false.",
                    },
                    "max_results": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_RESULTS,
                        "description": f"Most matching lines to return. Default {DEFAULT_RESULTS}.",
                    },
                },
                "required": ["query"],
                "additionalProperties": False,
            },
        )

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        return await asyncio.to_thread(self._search, arguments)

    def _search(self, arguments: dict[str, Any]) -> ToolResult:
        query: str = arguments["query"]
        limit: int = arguments.get("max_results", DEFAULT_RESULTS)
        pattern = _compile(query, bool(arguments.get("regex", False)))
        given = arguments.get("path", ".") or "."
        base = self.access.resolve(given)
        if not base.exists():
            raise ToolError(f"{given}: no such file or folder")
        files = self._candidates(base, given)
        deadline = time.monotonic() + TIME_BUDGET_SECONDS
        matches: list[str] = []
        searched = 0
        skipped = 0
        stopped = ""
        for path in files:
            if time.monotonic() > deadline:
                stopped = f"time limit of {TIME_BUDGET_SECONDS:.0f}s reached"
                break
            lines = self._lines(path)
            if lines is None:
                skipped += 1
                continue
            searched += 1
            rel = self.access.relative(path)
            for number, line in enumerate(lines, start=1):
                if pattern.search(line):
                    text = line.strip()
                    if len(text) > MAX_MATCH_LINE_CHARS:
                        text = text[:MAX_MATCH_LINE_CHARS] + " …"
                    matches.append(f"{rel}:{number}: {text}")
                    if len(matches) >= limit:
                        break
            if len(matches) >= limit:
                stopped = f"stopped at max_results={limit}; narrow the query or path for more"
                break
        if not matches:
            out = [f"No matches for {query!r} in {searched} files searched."]
        else:
            found = f"{len(matches)} match{'es' if len(matches) != 1 else ''}"
            out = [*matches, f"[{found}; {searched} files searched]"]
        if skipped:
            out.append(f"[{skipped} binary or very large files skipped]")
        if stopped:
            out.append(f"[{stopped}; results may be incomplete]")
        return ToolResult("\n".join(out))

    def _candidates(self, base: Path, given: str) -> list[Path]:
        if base.is_file():
            if self.access.open_text(base, given) is None:
                self.access.refuse_if_ignored(base, given)
            return [base]
        if base != self.access.root:
            self.access.refuse_if_ignored(base, given)
        listed = git_files(base)
        files = walked_files(base) if listed is None else listed
        safe = []
        for path in files:
            if not self.access.visible(path):
                continue
            try:  # symlinks may point outside or at secrets: apply the full rule to each file
                real = self.access.resolve(self.access.relative(path))
            except ToolError:
                continue
            if real.is_file():
                safe.append(path)
        if listed is not None:
            # ls-files also lists tracked files that match .gitignore; read_file refuses those,
            # so search skips them too (one git call for the whole batch).
            ignored = self.access.ignored(safe)
            safe = [p for p in safe if p not in ignored]
        return safe

    def _lines(self, path: Path) -> list[str] | None:
        text = self.access.open_text(Path(os.path.realpath(path)), self.access.relative(path))
        if text is not None:
            return list(buffer_lines(text))
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                return None
            data = path.read_bytes()
        except OSError:
            return None
        if looks_binary(data[:BINARY_SNIFF_BYTES]):
            return None
        return list(buffer_lines(data.decode("utf-8", "replace").removeprefix("\ufeff")))


def _compile(query: str, regex: bool) -> re.Pattern[str]:
    # Smart case, as in ripgrep: a query with capitals means the user cares about case.
    flags = 0 if any(ch.isupper() for ch in query) else re.IGNORECASE
    if not regex:
        return re.compile(re.escape(query), flags)
    try:
        return re.compile(query, flags)
    except re.error as exc:
        raise ToolError(f"invalid regular expression {query!r}: {exc}") from exc
