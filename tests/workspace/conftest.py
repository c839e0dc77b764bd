"""Fixture workspaces (tests/fixtures/workspaces) and helpers for the workspace tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from victor.workspace.style import WorkspaceStyle

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workspaces"


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a fixture workspace into tmp_path (tests that write must work on a copy)."""

    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(FIXTURES / name, dest)
        return dest

    return copy


@pytest.fixture
def scanned() -> Callable[[Path | str], WorkspaceStyle]:
    """A WorkspaceStyle for a fixture name or a folder, scanned synchronously."""

    def make(where: Path | str) -> WorkspaceStyle:
        root = where if isinstance(where, Path) else FIXTURES / where
        style = WorkspaceStyle(root)
        style.scan_sync()
        return style

    return make


def git_init(root: Path) -> None:
    """Make ``root`` a git work tree (for git-ignore checks)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(root)], check=True)


def fact(style: WorkspaceStyle, file: str | None, key: str) -> tuple[object, str] | None:
    """(value, source) of one fact of one file's card, or None."""
    found = style.style_card(file).get(key)
    return None if found is None else (found.value, found.source)
