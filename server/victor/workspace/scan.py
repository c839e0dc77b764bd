"""One pass over a workspace folder: configs, rules files and a sample of sources.

The result is an immutable Snapshot; the watcher builds a new one with a few files re-read and
swaps it in, so readers on the event loop never see a half-updated state and need no lock.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from victor.workspace.card import StyleFact
from victor.workspace.declared import (
    CONFIG_NAMES,
    EDITORCONFIG_NAME,
    parse_config,
    read_config_text,
)
from victor.workspace.declared_types import Declaration
from victor.workspace.editorconfig_source import EditorConfigFile, is_root_file
from victor.workspace.ignore import ALWAYS_SKIP, IgnoreFile, is_ignored, load_gitignore
from victor.workspace.languages import CODE_LANGUAGES, language_of
from victor.workspace.observed import observe
from victor.workspace.paths import is_secret_path
from victor.workspace.rules import (
    NESTED_RULE_NAMES,
    ROOT_RULES,
    RulesFile,
    load_rules_file,
    order_rules,
)

# Folders that are never the project's own code. Build output, vendored trees and the like
# are skipped when the project's .gitignore says so (see ignore.py), not by their name.
SKIP_DIRS = ALWAYS_SKIP
KEEP_DOT_DIRS = frozenset({".github", ".victor"})
MAX_ENTRIES = 300_000  # a walk stops here (then Snapshot.truncated is set)


@dataclass(frozen=True, slots=True)
class Snapshot:
    root: str
    dirs: tuple[str, ...] = ()
    declarations: dict[str, tuple[Declaration, ...]] = field(default_factory=dict)
    editorconfigs: dict[str, EditorConfigFile] = field(default_factory=dict)
    observed: dict[str, list[StyleFact]] = field(default_factory=dict)
    # top-level folder -> language -> facts observed in that folder alone
    observed_areas: dict[str, dict[str, list[StyleFact]]] = field(default_factory=dict)
    language_counts: dict[str, int] = field(default_factory=dict)
    rules: tuple[RulesFile, ...] = ()
    truncated: bool = False
    # mtime_ns of every config and rules file read, to catch edits the watcher missed
    stamps: dict[str, int] = field(default_factory=dict)

    def rel(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")


def skip_dir(name: str) -> bool:
    if name.startswith("."):
        return name not in KEEP_DOT_DIRS
    return name in SKIP_DIRS or name.endswith(".egg-info")


def scan(root: str, sample_files: int, sample_bytes: int) -> Snapshot:
    """Walk ``root`` (a real path) and build its Snapshot. Blocking: run it in a thread."""
    dirs: list[str] = []
    configs: list[str] = []
    rules: list[str] = []
    files_by_language: dict[str, list[str]] = {}
    entries = 0
    truncated = False
    stack: list[tuple[str, tuple[IgnoreFile, ...]]] = [(root, ())]
    while stack:
        folder, ignores = stack.pop()
        try:
            with os.scandir(folder) as it:
                listing = list(it)
        except OSError:
            continue
        names = {e.name for e in listing}
        if "pyvenv.cfg" in names and folder != root:
            continue  # a virtualenv, whatever it is called
        dirs.append(folder)
        own = load_gitignore(root, folder, names)
        if own is not None:
            ignores = (*ignores, own)
        for entry in listing:
            entries += 1
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                if not skip_dir(name) and not is_ignored(entry.path, True, ignores):
                    stack.append((entry.path, ignores))
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            if name in CONFIG_NAMES:
                configs.append(entry.path)
            elif name in _RULE_BASENAMES and is_rules_path(root, entry.path):
                rules.append(entry.path)
            else:
                lang = language_of(name)
                if (
                    lang in CODE_LANGUAGES
                    and not _secret_name(name)
                    and not (ignores and is_ignored(entry.path, False, ignores))
                ):
                    files_by_language.setdefault(lang, []).append(entry.path)
        if entries > MAX_ENTRIES:
            truncated = True
            break
    snap = Snapshot(
        root=root,
        dirs=tuple(sorted(dirs)),
        language_counts={k: len(v) for k, v in files_by_language.items()},
        truncated=truncated,
        stamps=stamp(configs + rules),
    )
    snap = with_configs(snap, configs)
    snap = with_rules(snap, rules)
    observed, by_area = observe(files_by_language, sample_files, sample_bytes, root)
    return replace(snap, observed=observed, observed_areas=by_area)


# Secret folders (.ssh, .aws, ...) are dot-folders, never walked, so the name decides; names
# repeat a lot (__init__.py), hence the cache.
_secret_name = functools.lru_cache(maxsize=8192)(is_secret_path)
_RULE_BASENAMES = frozenset(os.path.basename(r) for r in ROOT_RULES) | NESTED_RULE_NAMES


def _is_root_rule(root: str, path: str) -> bool:
    return os.path.relpath(path, root).replace(os.sep, "/") in ROOT_RULES


def with_configs(snap: Snapshot, paths: Iterable[str]) -> Snapshot:
    """A copy of ``snap`` with the config files at ``paths`` re-read (or dropped if gone)."""
    declarations = dict(snap.declarations)
    editorconfigs = dict(snap.editorconfigs)
    touched: dict[str, list[Declaration]] = {}
    for path in paths:
        folder, name = os.path.split(path)
        text = read_config_text(snap.root, path)
        if name == EDITORCONFIG_NAME:
            if text is None:
                editorconfigs.pop(folder, None)
            else:
                editorconfigs[folder] = EditorConfigFile(
                    path, snap.rel(path), text, is_root_file(text)
                )
            continue
        touched.setdefault(folder, [])
    # Declarations are per folder: re-read every declaring file of a touched folder, so that
    # removing one file does not leave its facts behind.
    for folder in touched:
        found: list[Declaration] = []
        for name in sorted(CONFIG_NAMES - {EDITORCONFIG_NAME}):
            path = os.path.join(folder, name)
            # Most names are absent: one lstat instead of a refused read (a full resolve).
            text = read_config_text(snap.root, path) if os.path.lexists(path) else None
            if text is not None:
                found += parse_config(name, text, snap.rel(path))
        if found:
            declarations[folder] = tuple(found)
        else:
            declarations.pop(folder, None)
    return replace(snap, declarations=declarations, editorconfigs=editorconfigs)


def with_rules(snap: Snapshot, changed: Iterable[str]) -> Snapshot:
    """A copy of ``snap`` with the rules files at ``changed`` re-read (or dropped if gone)."""
    by_path = {r.path: r for r in snap.rules}
    for path in changed:
        rel = snap.rel(path)
        loaded = load_rules_file(snap.root, rel)
        if loaded is None:
            by_path.pop(rel, None)
        else:
            by_path[rel] = loaded
    return replace(snap, rules=tuple(order_rules(list(by_path.values()))))


def stamp(paths: Iterable[str]) -> dict[str, int]:
    out = {}
    for path in paths:
        # A file that is gone gets no stamp, so a later comparison sees the removal.
        with contextlib.suppress(OSError):
            out[path] = os.stat(path).st_mtime_ns
    return out


def changed_since(snap: Snapshot) -> set[str]:
    """Config and rules files added, removed or modified since ``snap`` last read them.

    Lists the snapshot's folders again (no recursion), so it costs a fraction of a scan.
    """
    current: dict[str, int] = {}
    for folder in snap.dirs:
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.name in CONFIG_NAMES or is_rules_path(snap.root, entry.path):
                        try:
                            current[entry.path] = entry.stat().st_mtime_ns
                        except OSError:
                            continue
        except OSError:
            continue
    return {p for p in current.keys() | snap.stamps.keys() if current.get(p) != snap.stamps.get(p)}


def is_settings_path(root: str, path: str) -> bool:
    """The workspace's Victor settings file (``.victor/config.toml``): not style, but watched
    so the daemon applies an edit without a restart."""
    return os.path.normpath(path) == os.path.join(os.path.normpath(root), ".victor", "config.toml")


def is_rules_path(root: str, path: str) -> bool:
    return os.path.basename(path) in NESTED_RULE_NAMES or _is_root_rule(root, path)
