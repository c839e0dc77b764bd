"""search_text: find lines in workspace files.

Which files: ``git ls-files`` (tracked + untracked-not-ignored) when the folder is in a git
work tree, else a walk of the folder. Git runs with the repository's own programs turned off
(victor.workspace.safe_exec): a checkout's ``core.fsmonitor`` must not run when the model
searches. Regular expressions use RE2 (google-re2), which matches in linear time: a pattern
like ``(a+)+$`` cannot freeze the daemon, and patterns RE2 cannot run in linear time
(look-around, backreferences) get a clear error. One time budget covers everything: listing
the candidates, filtering them, and matching (checked every few hundred lines).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from victor.protocols import ToolSpec
from victor.tools.access import BINARY_SNIFF_BYTES, WorkspaceAccess, is_skipped_dir, looks_binary
from victor.tools.base import Tool, ToolError, ToolResult
from victor.tools.files import buffer_lines
from victor.workspace.guarded_read import ReadRefusedError, read_guarded
from victor.workspace.safe_exec import git_command, git_env

DEFAULT_RESULTS = 50
MAX_RESULTS = 200
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_MATCH_LINE_CHARS = 300
# A bound on one call: the model is waiting, and a partial answer that says so is better.
TIME_BUDGET_SECONDS = 15.0
LINES_PER_CLOCK_CHECK = 256
WALK_ENTRIES_PER_CLOCK_CHECK = 512

Matcher = Callable[[str], object]


class BudgetSpent(Exception):
    """The time budget ran out while the candidate files were being listed."""


def git_files(base: Path, timeout: float = 30.0) -> list[Path] | None:
    """Files under ``base`` that git tracks or would track; None if not in a git work tree
    (or git did not answer within ``timeout`` seconds)."""
    try:
        proc = subprocess.run(
            git_command(base, "ls-files", "-z", "--cached", "--others", "--exclude-standard"),
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=max(0.1, timeout),
            check=False,
            env=git_env(),
        )
    except subprocess.TimeoutExpired as exc:
        raise BudgetSpent from exc
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    names = sorted({os.fsdecode(n) for n in proc.stdout.split(b"\0") if n})
    return [base / name for name in names]


def walked_files(base: Path, deadline: float = float("inf")) -> list[Path]:
    out: list[Path] = []
    seen = 0
    for directory, dirnames, filenames in os.walk(base, followlinks=False):
        # Prune in place so os.walk never descends into dependency trees or secret folders.
        dirnames[:] = sorted(d for d in dirnames if not is_skipped_dir(d))
        out.extend(Path(directory) / name for name in sorted(filenames))
        seen += len(filenames) + 1
        if seen >= WALK_ENTRIES_PER_CLOCK_CHECK:
            seen = 0
            if time.monotonic() > deadline:
                raise BudgetSpent
    return out


class SearchTextTool(Tool):
    def __init__(self, access: WorkspaceAccess) -> None:
        self.access = access
        self.spec = ToolSpec(
            name="search_text",
            description=(
                "Search the workspace's text files for a string, or for a regular expression "
                "with regex=true (RE2 syntax: like Python's, without look-around or "
                "backreferences), and return matching lines as "
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
                        "description": "Treat query as a regular expression (RE2). Default false.",
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
        # A worker thread: the event loop (victor/status, cancellation) stays free meanwhile.
        return await asyncio.to_thread(self._search, arguments)

    def _search(self, arguments: dict[str, Any]) -> ToolResult:
        deadline = time.monotonic() + TIME_BUDGET_SECONDS
        query: str = arguments["query"]
        limit: int = arguments.get("max_results", DEFAULT_RESULTS)
        matches_line = _compile(query, bool(arguments.get("regex", False)))
        given = arguments.get("path", ".") or "."
        base = self.access.resolve(given)
        if not base.exists():
            raise ToolError(f"{given}: no such file or folder")
        try:
            files = self._candidates(base, given, deadline)
        except BudgetSpent:
            return ToolResult(
                f"[time limit of {TIME_BUDGET_SECONDS:.0f}s reached while listing the files to "
                "search; nothing was searched. Narrow the search with path]"
            )
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
            rel = self.access.shown(path)
            for number, line in enumerate(lines, start=1):
                if number % LINES_PER_CLOCK_CHECK == 0 and time.monotonic() > deadline:
                    stopped = f"time limit of {TIME_BUDGET_SECONDS:.0f}s reached in {rel}"
                    break
                if matches_line(line):
                    text = line.strip()
                    if len(text) > MAX_MATCH_LINE_CHARS:
                        text = text[:MAX_MATCH_LINE_CHARS] + " …"
                    matches.append(f"{rel}:{number}: {text}")
                    if len(matches) >= limit:
                        break
            if stopped:
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
            out.append(f"[{skipped} binary, very large or unreadable files skipped]")
        if stopped:
            out.append(f"[{stopped}; results may be incomplete]")
        return ToolResult("\n".join(out))

    def _candidates(self, base: Path, given: str, deadline: float) -> list[Path]:
        if base.is_file():
            if self.access.open_text(base, given) is None:
                self.access.refuse_if_ignored(base, given)
            return [base]
        if base != self.access.root:
            self.access.refuse_if_ignored(base, given)
        listed = git_files(base, timeout=deadline - time.monotonic())
        files = walked_files(base, deadline) if listed is None else listed
        safe = []
        for index, path in enumerate(files):
            if index % WALK_ENTRIES_PER_CLOCK_CHECK == 0 and time.monotonic() > deadline:
                raise BudgetSpent
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
            ignored = self.access.ignored(safe, timeout=deadline - time.monotonic())
            if time.monotonic() > deadline:
                raise BudgetSpent  # git may have given up: do not search what it did not judge
            safe = [p for p in safe if p not in ignored]
        return safe + [p for p in self.access.added_files(base) if p not in safe]

    def _lines(self, path: Path) -> list[str] | None:
        try:
            text = self.access.open_text(Path(os.path.realpath(path)), self.access.relative(path))
        except ToolError:
            return None  # deleted earlier in an agent turn: nothing to search
        if text is not None:
            return list(buffer_lines(text))
        try:
            data = read_guarded(self.access.root, path, max_bytes=MAX_FILE_BYTES).data
        except ReadRefusedError:
            return None  # too large, not a regular file, or a link that turned bad since
        if looks_binary(data[:BINARY_SNIFF_BYTES]):
            return None
        return list(buffer_lines(data.decode("utf-8", "replace").removeprefix("\ufeff")))


def _compile(query: str, regex: bool) -> Matcher:
    # Smart case, as in ripgrep: a query with capitals means the user cares about case.
    sensitive = any(ch.isupper() for ch in query)
    if not regex:
        # A literal cannot backtrack; Python's own search is the fastest way to find it.
        return re.compile(re.escape(query), 0 if sensitive else re.IGNORECASE).search
    import re2  # imported on first use: most searches are literal

    options = re2.Options()
    options.case_sensitive = sensitive
    options.log_errors = False
    try:
        return re2.compile(query, options).search
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ToolError(
            f"invalid regular expression {query!r}: {reason}. The search engine (RE2) runs in "
            "linear time, so it has no look-around ((?=, (?!, (?<=) and no backreferences "
            "(\\1); search for a simpler pattern and read the matches"
        ) from exc
