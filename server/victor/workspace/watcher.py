"""Watching config and rules files with watchfiles.

Only the folders the scan walked are watched, each non-recursively: a recursive watch of the
root would also cover node_modules, .git and virtualenvs (tens of thousands of folders, and
inotify watches are a limited resource). A new folder restarts the watch with it included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable

from watchfiles import Change, awatch

from victor.workspace.declared import CONFIG_NAMES
from victor.workspace.scan import is_rules_path, is_settings_path, skip_dir

log = logging.getLogger(__name__)

MAX_WATCHED_DIRS = 20_000
DEBOUNCE_MS = 300  # upper bound on grouping a burst of changes (an editor's save dance)
STEP_MS = 50  # quiet time that ends a burst


def make_filter(root: str) -> Callable[[Change, str], bool]:
    def keep(change: Change, path: str) -> bool:
        name = os.path.basename(path)
        if name in CONFIG_NAMES or is_rules_path(root, path) or is_settings_path(root, path):
            return True
        return change == Change.added and not skip_dir(name) and os.path.isdir(path)

    return keep


def _existing(dirs: list[str]) -> list[str]:
    # watchfiles takes UTF-8 paths only: a folder whose name is other bytes is not watched
    # (its files were still scanned; the catch-up check and the next scan see their edits).
    return [d for d in dirs if _utf8(d) and os.path.isdir(d)]


def _utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def watch_configs(
    root: str,
    get_dirs: Callable[[], list[str]],
    on_changes: Callable[[set[str], set[str]], Awaitable[None]],
    stop_event: asyncio.Event,
) -> None:
    """Call ``on_changes(changed_files, new_dirs)`` after each burst of relevant changes."""
    keep = make_filter(root)
    while not stop_event.is_set():
        dirs = (await asyncio.to_thread(_existing, get_dirs()))[:MAX_WATCHED_DIRS]
        if not dirs:
            return
        restart = False
        watcher = awatch(
            *dirs,
            watch_filter=keep,
            recursive=False,
            stop_event=stop_event,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            ignore_permission_denied=True,
        )
        async with contextlib.aclosing(watcher) as changes_iter:
            async for changes in changes_iter:
                files: set[str] = set()
                new_dirs: set[str] = set()
                for change, path in changes:
                    if (
                        os.path.basename(path) in CONFIG_NAMES
                        or is_rules_path(root, path)
                        or is_settings_path(root, path)
                    ):
                        files.add(path)
                    elif change == Change.added:
                        new_dirs.add(path)
                try:
                    await on_changes(files, new_dirs)
                except Exception:  # a bad callback must not end the watch
                    log.exception("applying workspace changes failed")
                if new_dirs:
                    restart = True  # watch the new folders too
                    break
        if not restart:
            return
