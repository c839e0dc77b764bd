"""WorkspaceStyle: the style cards and rules of one workspace folder, kept current.

The scan runs once, in a thread, when ``start`` is called; cards are then resolved from memory
and cached per file, so the chat path never touches the disk. The watcher re-reads changed
config and rules files and swaps in a new snapshot (with an empty card cache) atomically.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from victor.workspace.card import StyleCard
from victor.workspace.declared import CONFIG_NAMES
from victor.workspace.languages import language_of
from victor.workspace.resolve import build_card
from victor.workspace.rules import RulesFile
from victor.workspace.scan import (
    Snapshot,
    changed_since,
    is_rules_path,
    is_settings_path,
    scan,
    skip_dir,
    stamp,
    with_configs,
    with_rules,
)
from victor.workspace.watcher import watch_configs

log = logging.getLogger(__name__)

MAX_CACHED_CARDS = 20_000
CATCH_UP_DELAYS = (0.5, 2.0)
Listener = Callable[[set[Path]], None]


class WorkspaceStyle:
    """One per workspace folder. Create, ``await start()``, then ask for cards."""

    def __init__(
        self, root: Path | str, *, sample_files: int = 200, sample_bytes: int = 2_000_000
    ) -> None:
        self.root = Path(os.path.realpath(root))
        self.sample_files = sample_files
        self.sample_bytes = sample_bytes
        # (snapshot, card cache) swapped as one object so a reader never pairs a new snapshot
        # with cards resolved from the old one.
        self._state: tuple[Snapshot, dict[str, StyleCard]] | None = None
        self._listeners: list[Listener] = []
        self._ready: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.error: str | None = None
        self._apply_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    async def start(self, watch: bool = True) -> None:
        """Begin the background scan (and then the watch); returns at once."""
        if self._task is not None:
            return
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        if self._state is not None:
            self._ready.set()
        self._task = asyncio.create_task(self._run(watch), name=f"workspace-style:{self.root}")

    async def _run(self, watch: bool) -> None:
        assert self._ready is not None and self._stop is not None
        scanned = False
        try:
            if self._state is None:
                snap = await asyncio.to_thread(self._scan)
                self._state = (snap, {})
                scanned = True
        except Exception as exc:  # keep serving: an empty card beats a dead prompt
            log.exception("scanning %s failed", self.root)
            self.error = f"scan failed: {exc}"
            self._state = (Snapshot(root=str(self.root)), {})
        finally:
            self._ready.set()
        if scanned:
            # Cards went from empty to known: whoever cached a prompt built before the scan
            # (the prompt coordinator does) must rebuild it, as after any config change.
            found = {Path(p) for p in self._state[0].stamps} or {self.root}
            self._notify(found)
        if not watch:
            return
        catch_up = asyncio.create_task(self._catch_up())
        try:
            await watch_configs(str(self.root), self._watched_dirs, self._on_changes, self._stop)
        except Exception as exc:  # e.g. out of inotify watches: cards stay, updates stop
            log.exception("watching %s failed", self.root)
            self.error = f"watch failed: {exc}"
        finally:
            catch_up.cancel()

    async def _catch_up(self) -> None:
        """Edits made between the scan and the moment the watches exist leave no event: look
        for them once the watcher has had time to start (twice, for slow starts)."""
        for delay in CATCH_UP_DELAYS:
            await asyncio.sleep(delay)
            if self._state is None:
                continue
            changed = await asyncio.to_thread(changed_since, self._state[0])
            if changed:
                await self._on_changes(changed, set())

    def _scan(self) -> Snapshot:
        return scan(str(self.root), self.sample_files, self.sample_bytes)

    def scan_sync(self) -> None:
        """Scan now, in this thread (for the CLI and benchmarks; servers use ``start``)."""
        self._state = (self._scan(), {})

    async def wait_ready(self, timeout: float | None = None) -> bool:
        if self._state is not None:
            return True
        if self._ready is None:
            return False
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return self._state is not None

    @property
    def ready(self) -> bool:
        return self._state is not None

    async def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ------------------------------------------------------------------ queries

    def style_card(self, file: Path | str | None) -> StyleCard:
        """The card of ``file`` (None: the whole workspace). Cheap after the scan; before it,
        and for files outside the workspace, a card without facts."""
        state = self._state
        key = "" if file is None else os.fspath(file)
        if state is None:
            return StyleCard(None if file is None else Path(key), language_of(key), [], self.root)
        snap, cards = state
        card = cards.get(key)
        if card is not None:
            return card
        if file is None:
            card = build_card(snap, None, None)
        else:
            path = key if os.path.isabs(key) else os.path.join(snap.root, key)
            real = os.path.realpath(path)
            language = language_of(real)
            if real != snap.root and not real.startswith(snap.root + os.sep):
                card = StyleCard(Path(path), language, [], self.root)
            else:
                card = build_card(snap, real, language)
        if len(cards) >= MAX_CACHED_CARDS:
            cards.clear()
        cards[key] = card
        return card

    def rules(self) -> list[RulesFile]:
        return [] if self._state is None else list(self._state[0].rules)

    @property
    def snapshot(self) -> Snapshot | None:
        return None if self._state is None else self._state[0]

    # ------------------------------------------------------------------ changes

    def add_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def apply_changes(self, files: Iterable[str], new_dirs: Iterable[str] = ()) -> set[Path]:
        """Re-read changed config/rules files (blocking); returns the paths that mattered."""
        # The watcher and the catch-up check may both apply changes from worker threads: one
        # at a time, or one's new snapshot would overwrite the other's.
        with self._apply_lock:
            return self._apply(set(files), new_dirs)

    def _apply(self, files: set[str], new_dirs: Iterable[str]) -> set[Path]:
        if self._state is None:
            return set()
        snap = self._state[0]
        dirs = set(snap.dirs)
        for folder in new_dirs:
            found_dirs, found_files = _walk_new(folder)
            dirs |= found_dirs
            files |= found_files
        configs = {f for f in files if os.path.basename(f) in CONFIG_NAMES}
        rules = {f for f in files if is_rules_path(snap.root, f)}
        # Victor's own settings file changes no style; listeners (the daemon) re-read it.
        settings = {Path(f) for f in files if is_settings_path(snap.root, f)}
        if not configs and not rules and dirs == set(snap.dirs):
            return settings
        snap = with_rules(with_configs(snap, configs), rules)
        stamps = {k: v for k, v in snap.stamps.items() if k not in configs | rules}
        stamps.update(stamp(configs | rules))
        self._state = (replace(snap, dirs=tuple(sorted(dirs)), stamps=stamps), {})
        return {Path(f) for f in configs | rules} | settings

    def refresh(self, files: set[str]) -> set[Path]:
        """Apply changes now and tell the listeners (for callers without the watcher)."""
        changed = self.apply_changes(files)
        if changed:
            self._notify(changed)
        return changed

    async def _on_changes(self, files: set[str], new_dirs: set[str]) -> None:
        changed = await asyncio.to_thread(self.apply_changes, files, new_dirs)
        if changed:
            self._notify(changed)

    def _notify(self, changed: set[Path]) -> None:
        for callback in list(self._listeners):
            try:
                callback(changed)
            except Exception:  # one listener's bug must not hide the change from the others
                log.exception("style listener failed")

    def _watched_dirs(self) -> list[str]:
        return [] if self._state is None else list(self._state[0].dirs)


def _walk_new(folder: str) -> tuple[set[str], set[str]]:
    """Folders and config/rules files under a folder that appeared after the scan."""
    dirs: set[str] = set()
    files: set[str] = set()
    for current, subdirs, names in os.walk(folder):
        subdirs[:] = [d for d in subdirs if not skip_dir(d)]
        dirs.add(current)
        # Every config and Markdown file; the caller keeps the rules files among the latter.
        files |= {os.path.join(current, n) for n in names if n in CONFIG_NAMES or n.endswith(".md")}
        if len(dirs) > 5_000:
            break
    return dirs, files
