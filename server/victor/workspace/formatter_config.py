"""The declared style of one file, read straight from disk (for the formatter, off the chat
path: it runs once per generated snippet, not per prompt, and needs no scan)."""

from __future__ import annotations

import os
from pathlib import Path

from victor.workspace.declared import (
    CONFIG_NAMES,
    EDITORCONFIG_NAME,
    parse_config,
    read_config_text,
)
from victor.workspace.editorconfig_source import EditorConfigFile, is_root_file
from victor.workspace.languages import language_of
from victor.workspace.resolve import folder_chain, resolve_card
from victor.workspace.scan import Snapshot

_DEFAULT_WIDTH = {"ruff format": 88, "black": 88, "prettier": 80, "rustfmt": 100}


def line_length_default(tool: str) -> int:
    return _DEFAULT_WIDTH.get(tool, 88)


def declared_for(path: Path, root: Path) -> tuple[str | None, dict[str, str | int | bool]]:
    """(language, fact key -> value) for ``path`` from the configs between it and ``root``.

    Blocking (reads a handful of small files): call from a thread.
    """
    root_s = str(root)
    folder = str(path.parent)
    if folder != root_s and not folder.startswith(root_s + os.sep):
        folder = root_s
    declarations = {}
    editorconfigs = {}
    for d in folder_chain(root_s, folder):
        found = []
        for name in sorted(CONFIG_NAMES):
            full = os.path.join(d, name)
            text = read_config_text(root_s, full)
            if text is None:
                continue
            rel = os.path.relpath(full, root_s).replace(os.sep, "/")
            if name == EDITORCONFIG_NAME:
                editorconfigs[d] = EditorConfigFile(full, rel, text, is_root_file(text))
            else:
                found += parse_config(name, text, rel)
        if found:
            declarations[d] = tuple(found)
    snap = Snapshot(root=root_s, declarations=declarations, editorconfigs=editorconfigs)
    language = language_of(path)
    facts = resolve_card(snap, os.path.join(folder, path.name), language)
    return language, {f.key: f.value for f in facts if f.key != "note"}
