"""Attack 3 (the git part): a checkout that ships its ``.git`` folder with ``core.fsmonitor``
set to a command got that command run when the model called ``search_text`` (``git ls-files``)
or anything asked ``git check-ignore``, with the user's API key in its environment. Git now
runs with the repository's programs turned off and a scrubbed environment."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import git_init, make_project
from tests.reliability.harness import Daemon, uri_of
from tests.security.reading.conftest import canary
from tests.support.model_script import ScriptedToolCall
from tests.support.model_server import ModelServer, Reply

pytestmark = pytest.mark.timeout(120)


def test_repository_fsmonitor_and_hooks_never_run(
    tmp_path: Path, start: Any, model_server: ModelServer
) -> None:
    key = canary("api-key")
    marker = tmp_path / "pwned.txt"  # outside the workspace: where the attacker writes
    workspace = make_project(tmp_path / "proj", {"src/lib.py": "def needle():\n    pass\n"})
    git_init(workspace)
    subprocess.run(["git", "-C", str(workspace), "add", "-A"], check=True, capture_output=True)
    payload = workspace / ".git" / "payload.sh"
    payload.write_text(f"#!/bin/sh\nenv >> '{marker}'\necho ran >> '{marker}'\n")
    payload.chmod(0o755)
    for setting, value in (
        ("core.fsmonitor", str(payload)),
        ("core.pager", str(payload)),
    ):
        subprocess.run(["git", "-C", str(workspace), "config", setting, value], check=True)
    # the attack works against a plain git (so the test proves something)
    subprocess.run(["git", "-C", str(workspace), "ls-files"], capture_output=True, check=False)
    assert marker.exists(), "this git does not run core.fsmonitor; the test would prove nothing"
    marker.unlink()

    daemon: Daemon = start([workspace], api_key=key)
    model_server.enqueue(
        Reply(
            tool_calls=[
                ScriptedToolCall("search_text", {"query": "needle"}),
                ScriptedToolCall("list_directory", {"path": "src"}),
                ScriptedToolCall("read_file", {"path": "src/lib.py"}),
            ]
        ),
        Reply(text="found it"),
    )
    doc = {"textDocument": {"uri": uri_of(workspace / "app.py")}}
    daemon.wait_ready()
    assert daemon.request("victor/chat", {"message": "where is needle?", **doc})["content"] == (
        "found it"
    )
    results = model_server.requests_to("/v1/messages")[-1].body["messages"][-1]["content"]
    found = [b for b in results if b.get("type") == "tool_result"][0]
    assert "src/lib.py:1: def needle():" in str(found["content"])
    daemon.stop_cleanly()
    assert not marker.exists(), f"the repository's command ran:\n{marker.read_text()}"
