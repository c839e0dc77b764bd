"""Prompt contributors: the style card, the rules files and the editor's file context."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from victor.protocols import IPromptContributor, PromptContext
from victor.workspace.file_context import FileContextInput, needs_disk, render_file_context
from victor.workspace.git_ignore import GitAnswerNeeded, GitIgnoreChecker
from victor.workspace.rules import applicable, render_rules
from victor.workspace.scan import Snapshot
from victor.workspace.style import WorkspaceStyle


def _as_path(value: Any) -> str | None:
    """A path from ctx["file"]: a path string, a Path or a file:// URI."""
    if not value:
        return None
    text = os.fspath(value)
    if text.startswith("file:"):
        return unquote(urlparse(text).path)
    return text


async def _scanned(style: WorkspaceStyle, wait: float) -> bool:
    """Whether the scan is done, waiting at most ``wait`` seconds for one in progress.

    The scan itself never runs here; a request right after start-up (a small workspace scans
    in tens of milliseconds) just gets a short grace period instead of an empty card.
    """
    if style.ready:
        return True
    return wait > 0 and await style.wait_ready(wait)


class StyleCardContributor(IPromptContributor):
    """The active file's style card (the workspace's when no file is active)."""

    def __init__(self, style: WorkspaceStyle, priority: int = 80, wait_ready: float = 0.25) -> None:
        self._style = style
        self._priority = priority
        self._wait = wait_ready

    def priority(self) -> int:
        return self._priority

    @property
    def name(self) -> str:
        return "style"

    async def get_contribution(self, context: PromptContext) -> str:
        if not await _scanned(self._style, self._wait):
            return ""
        return self._style.style_card(_as_path(context.get("file"))).render()


class RulesContributor(IPromptContributor):
    """The workspace's rules files that apply to the active file, within a token budget."""

    def __init__(
        self,
        style: WorkspaceStyle,
        priority: int = 90,
        budget_tokens: int = 4000,
        wait_ready: float = 0.25,
    ) -> None:
        self._style = style
        self._priority = priority
        self._budget = budget_tokens
        self._wait = wait_ready
        self._cache: tuple[Snapshot | None, dict[str, str]] = (None, {})

    def priority(self) -> int:
        return self._priority

    @property
    def name(self) -> str:
        return "rules"

    async def get_contribution(self, context: PromptContext) -> str:
        if not await _scanned(self._style, self._wait):
            return ""
        snap = self._style.snapshot
        if snap is None or not snap.rules:
            return ""
        file = _as_path(context.get("file")) or ""
        cached_snap, cache = self._cache
        if cached_snap is not snap:  # a rules file changed: start over
            cache = {}
            self._cache = (snap, cache)
        text = cache.get(file)
        if text is None:
            folder = _folder_in(snap.root, file)
            probe = f"{folder}/x" if folder else "x"
            text = render_rules(applicable(list(snap.rules), probe), self._budget)
            if len(cache) > 10_000:
                cache.clear()
            cache[file] = text
        return text


def _folder_in(root: str, file: str) -> str:
    """The workspace-relative folder of ``file`` ("" at the root or outside the workspace)."""
    if not file:
        return ""
    full = os.path.realpath(os.path.join(root, file))
    if not full.startswith(root + os.sep):
        return ""
    return os.path.dirname(os.path.relpath(full, root)).replace(os.sep, "/")


class FileContextContributor(IPromptContributor):
    """The editor's context (``ctx["file_context"]``: a FileContextInput or an equivalent dict)."""

    def __init__(
        self,
        root: Path,
        priority: int = 60,
        budget_tokens: int = 6000,
        git_ignore: GitIgnoreChecker | None = None,
    ) -> None:
        self._root = Path(root)
        self._priority = priority
        self._budget = budget_tokens
        # Whoever passes the checker closes it (its git process); one made here ends with
        # this process (git exits at the end of its input).
        self._ignore_cache = git_ignore if git_ignore is not None else GitIgnoreChecker()

    def priority(self) -> int:
        return self._priority

    @property
    def name(self) -> str:
        return "file_context"

    async def get_contribution(self, context: PromptContext) -> str:
        inp = context.get("file_context")
        if inp is None:
            return ""
        if isinstance(inp, dict):
            inp = FileContextInput.from_dict(inp)
        if not inp.related_paths and (inp.active_path is None or inp.active_text is not None):
            # Only editor buffers: git's answers for background ones are usually remembered
            # (asked when they were opened), which takes a few stats; else ask it in a thread.
            with contextlib.suppress(GitAnswerNeeded):
                return render_file_context(
                    inp, self._root, self._budget, self._ignore_cache.from_memory
                )
        if needs_disk(inp):  # file reads and `git check-ignore` stay off the event loop
            return await asyncio.to_thread(
                render_file_context, inp, self._root, self._budget, self._ignore_cache
            )
        return render_file_context(inp, self._root, self._budget, self._ignore_cache)
