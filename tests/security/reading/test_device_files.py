"""Attack 5: files that are not files. ``.victor/config.toml -> /dev/stdin`` made the daemon
read its own LSP input stream (on the event loop: it hung); ``pyproject.toml -> /dev/zero``
passed a size check that sees 0 for a device and grew the daemon past 1.5 GB; a FIFO rules
file blocked a worker thread for good. Each is now skipped with a log line that names it, and
the daemon keeps answering."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import make_project
from tests.reliability.harness import Daemon, uri_of

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero and FIFOs"),
]

MEMORY_CEILING = 2 * 1024**3  # so the old code fails with MemoryError, not the machine
CATCH_UP_SECONDS = 2.5


def test_config_toml_linked_to_stdin_does_not_hang(tmp_path: Path, start: Any) -> None:
    workspace = make_project(tmp_path / "proj")
    (workspace / ".victor").mkdir()
    (workspace / ".victor" / "config.toml").symlink_to("/dev/stdin")

    daemon: Daemon = start([workspace])
    status = daemon.request("victor/status", {}, timeout=20)
    assert status["workspaceFolders"] == [uri_of(workspace)]
    doc = {"textDocument": {"uri": uri_of(workspace / "app.py")}}
    reply = daemon.request("victor/chat", {"message": "still there?", **doc}, timeout=60)
    assert "still there?" in reply["content"]
    assert ".victor/config.toml skipped: outside the workspace folder" in daemon.stderr_text()


def test_config_toml_as_a_fifo_does_not_hang(tmp_path: Path, start: Any) -> None:
    workspace = make_project(tmp_path / "proj")
    (workspace / ".victor").mkdir()
    os.mkfifo(workspace / ".victor" / "config.toml")

    daemon: Daemon = start([workspace])
    doc = {"textDocument": {"uri": uri_of(workspace / "app.py")}}
    reply = daemon.request("victor/chat", {"message": "hello", **doc}, timeout=60)
    assert "hello" in reply["content"]
    assert "config.toml skipped: not a regular file (a FIFO)" in daemon.stderr_text()


def test_style_configs_linked_to_devices_are_skipped(tmp_path: Path, start: Any) -> None:
    workspace = make_project(tmp_path / "proj", {"sub/mod.py": "y = 2\n"})
    (workspace / "pyproject.toml").unlink()
    (workspace / "pyproject.toml").symlink_to("/dev/zero")
    os.mkfifo(workspace / "sub" / "AGENTS.md")  # a rules file nobody will ever write to

    daemon: Daemon = start([workspace])
    resource.prlimit(daemon.pid, resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))
    daemon.wait_ready()
    time.sleep(CATCH_UP_SECONDS)  # the catch-up re-check reads links the first scan skipped
    daemon.wait_for(
        lambda: (
            "style config skipped: pyproject.toml: outside the workspace folder"
            in daemon.stderr_text()
        ),
        timeout=20,
    )
    daemon.wait_for(lambda: "sub/AGENTS.md: not a regular file (a FIFO)" in daemon.stderr_text())
    status = daemon.request("victor/status", {}, timeout=20)
    assert status["ready"] is True
    doc = {"textDocument": {"uri": uri_of(workspace / "sub" / "mod.py")}}
    prompt = daemon.request("victor/systemPrompt", doc, timeout=20)["prompt"]
    assert "Code style" in prompt
    assert daemon.hwm_kb() < 400 * 1024, f"peak memory {daemon.hwm_kb()} kB"
    daemon.stop_cleanly()
