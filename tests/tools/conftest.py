from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from victor.protocols import ToolCall
from victor.tools import ToolRegistry, ToolResult, workspace_tools

requires_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


class Workspace:
    """A temporary workspace with an outside neighbour, and a registry over it."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "ws"
        self.outside = tmp_path / "outside"
        self.root.mkdir()
        self.outside.mkdir()
        (self.outside / "x").write_text("outside secret\n")
        (tmp_path / "x").write_text("neighbour\n")
        self.open_buffers: dict[Path, str] = {}
        self.write("src/app.py", "import os\n\n\ndef main():\n    print('hello')\n")
        self.write("README.md", "# Demo\nRun main() to say Hello.\n")

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return path

    def git_init(self, ignore: str) -> None:
        subprocess.run(["git", "init", "-q", str(self.root)], check=True)
        (self.root / ".gitignore").write_text(ignore)

    def git_add(self, rel: str) -> None:
        subprocess.run(["git", "-C", str(self.root), "add", rel], check=True)

    def open_in_editor(self, rel: str, text: str) -> None:
        self.open_buffers[(self.root / rel).resolve()] = text

    def registry(self) -> ToolRegistry:
        opener: Callable[[Path], str | None] = self.open_buffers.get
        return workspace_tools(self.root, opener)

    async def call(self, name: str, **arguments: Any) -> ToolResult:
        return await self.registry().execute(ToolCall(id="t", name=name, arguments=arguments))


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)
