"""``victor style PATH``: the card of a file (or folder) with its sources, without a server."""

from __future__ import annotations

import os
from pathlib import Path

from victor.workspace.rules import estimate_tokens
from victor.workspace.style import WorkspaceStyle

ROOT_MARKERS = (".git", "pyproject.toml", "package.json", "go.mod", "Cargo.toml")


def find_workspace_root(path: Path) -> Path:
    """The folder an editor would open for ``path``.

    The enclosing git repository when there is one (in a monorepo, packages/web/package.json
    must not hide the repository's root .editorconfig); otherwise the nearest folder holding
    a project marker; otherwise the file's own folder.
    """
    path = Path(os.path.realpath(path))
    start = path if path.is_dir() else path.parent
    chain = (start, *start.parents)
    for folder in chain:
        if (folder / ".git").exists():
            return folder
    for folder in chain:
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return start


def describe_style(path: Path) -> str:
    """Scan the workspace holding ``path`` (synchronously) and render its card and rules."""
    path = Path(os.path.realpath(path))
    root = find_workspace_root(path)
    style = WorkspaceStyle(root)
    style.scan_sync()
    card = style.style_card(None if path.is_dir() else path)
    lines = [f"Workspace: {root}"]
    lines.append(card.render() or "## Code style\n- nothing declared or observed")
    rules = style.rules()
    if rules:
        lines.append("## Rules files")
        lines += [f"- {r.path} (~{estimate_tokens(r.text)} tokens)" for r in rules]
    return "\n".join(lines) + "\n"
