"""Attack 4: rules files (AGENTS.md, sub/AGENTS.md, .github/copilot-instructions.md) that are
symlinks to a private key outside the workspace, or to /proc/self/environ (the daemon's own
environment, API key included), must never reach the system prompt, the model, the logs or the
store: not from the first scan, not from the catch-up check that re-reads rules files after
start-up (the first scan skips links, the catch-up did not), not from the watcher."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import make_project
from tests.reliability.harness import Daemon, uri_of, write
from tests.security.reading.conftest import assert_nowhere, canary, leak_places
from tests.support.model_server import ModelServer

pytestmark = pytest.mark.timeout(120)

CATCH_UP_SECONDS = 2.5  # WorkspaceStyle re-checks rules files 0.5 s and 2 s after the scan


def test_symlinked_rules_files_never_reach_the_prompt(
    tmp_path: Path, start: Any, model_server: ModelServer, data_dir: Path
) -> None:
    key = canary("api-key")
    private_key = canary("id-rsa")
    outside = tmp_path / "home" / ".ssh"
    outside.mkdir(parents=True)
    (outside / "id_rsa").write_text(
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{private_key}\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    workspace = make_project(tmp_path / "proj", {"sub/mod.py": "x = 1\n"})
    (workspace / "AGENTS.md").symlink_to(outside / "id_rsa")
    (workspace / "sub" / "AGENTS.md").symlink_to(outside / "id_rsa")
    (workspace / ".github").mkdir()
    (workspace / ".github" / "copilot-instructions.md").symlink_to("/proc/self/environ")
    # a rules file that is a link to a secret *inside* the workspace is refused too
    write(workspace / ".env", f"TOKEN={canary('dotenv')}\n")
    (workspace / "CLAUDE.md").symlink_to(workspace / ".env")
    dotenv = (workspace / ".env").read_text().split("=", 1)[1].strip()

    daemon: Daemon = start([workspace], api_key=key)
    daemon.wait_ready()
    time.sleep(CATCH_UP_SECONDS)  # let the catch-up re-check run (it read the links before)
    # and the watcher: a link that appears now is re-read through it; a plain rules file written
    # after it shows the burst was handled
    write(workspace / ".victor" / "rules.md", "Use tabs. RULES-SENTINEL\n")
    doc = {"textDocument": {"uri": uri_of(workspace / "sub" / "mod.py")}}

    def prompt_with_sentinel() -> str | None:
        prompt = daemon.request("victor/systemPrompt", doc)["prompt"]
        return prompt if "RULES-SENTINEL" in prompt else None

    prompt = daemon.wait_for(prompt_with_sentinel, timeout=20)
    daemon.request("victor/chat", {"message": "what are the rules?", **doc})
    daemon.stop_cleanly()

    for secret in (private_key, key, dotenv):
        assert secret not in prompt
    assert model_server.requests, "the chat reached the model"
    assert_nowhere([private_key, key, dotenv], leak_places(daemon, model_server, data_dir))
    logs = daemon.stderr_text()
    assert "rules file skipped: AGENTS.md: outside the workspace folder" in logs
    assert "rules file skipped: .github/copilot-instructions.md: outside the workspace" in logs
    assert "rules file skipped: CLAUDE.md: a secret file" in logs
