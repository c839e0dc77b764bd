"""A background buffer that becomes git-ignored leaves the prompt at once, through the real
daemon: git's answers are asked when a file is opened and remembered only while the
.gitignore files they came from are unchanged. The daemon's git process ends with it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import git_init, make_project
from tests.reliability.harness import Daemon, uri_of
from tests.security.reading.conftest import canary

pytestmark = pytest.mark.timeout(120)


def _check_ignore_processes(workspace: Path) -> list[int]:
    """git check-ignore processes working in ``workspace`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"check-ignore" in argv and os.fsencode(workspace) in argv:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_buffer_ignored_after_a_gitignore_edit_leaves_the_prompt(
    tmp_path: Path, start: Any
) -> None:
    secret = canary("notes")
    workspace = make_project(tmp_path / "proj", {"notes.txt": "", ".gitignore": "*.log\n"})
    git_init(workspace)
    daemon: Daemon = start([workspace])
    app = daemon.open(workspace / "app.py", (workspace / "app.py").read_text())
    daemon.open(workspace / "notes.txt", f"db password: {secret}\n", "plaintext")

    def prompt() -> str:
        return daemon.request("victor/systemPrompt", {"textDocument": {"uri": app}})["prompt"]

    assert secret in prompt()  # not ignored (yet): an open buffer is editor context
    assert _check_ignore_processes(workspace)  # one git kept running for the folder
    (workspace / ".gitignore").write_text("*.log\nnotes.txt\n")
    shown = prompt()
    assert secret not in shown
    assert "notes.txt (git-ignored)" in shown
    daemon.stop_cleanly()
    assert _check_ignore_processes(workspace) == []
    assert uri_of(workspace / "notes.txt")  # (the buffer was a real file of the folder)
