"""The `victor` command line, run as a user would (a subprocess), against the local server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.model_server import ModelServer

FIXTURE = Path(__file__).parent / "fixtures" / "workspaces" / "python_project"


def _victor(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "victor", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    out["VICTOR_DATA_DIR"] = str(tmp_path / "data")
    return out


def test_style_prints_the_card_with_sources(workspace: Path, env):
    target = next(workspace.rglob("*.py"))
    proc = _victor("style", str(target), env=env, cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert "Line length: 100" in proc.stdout and "pyproject.toml [tool.ruff]" in proc.stdout
    assert "single" in proc.stdout.lower()


def test_prompt_prints_the_whole_system_prompt(workspace: Path, env):
    target = next(workspace.rglob("*.py"))
    proc = _victor("prompt", str(target), env=env, cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("You are Victor")
    assert "Line length: 100" in proc.stdout
    assert "AGENTS.md" in proc.stdout  # the workspace's rules file, with its path


def test_chat_streams_and_sessions_continue(workspace: Path, env):
    with ModelServer() as llm:
        env = {**env, "ANTHROPIC_API_KEY": "sk-ant-cli-canary", "ANTHROPIC_BASE_URL": llm.url}
        first = _victor("chat", "remember 7", "--workspace", str(workspace), env=env, cwd=workspace)
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip() == "Echo: remember 7"
        assert "[session " in first.stderr and "anthropic" in first.stderr
        second = _victor(
            "chat", "what number?", "--workspace", str(workspace), env=env, cwd=workspace
        )
        assert second.returncode == 0, second.stderr
        texts = [m["content"][0]["text"] for m in llm.requests[-1].body["messages"]]
        assert texts[0] == "remember 7"  # the latest session was continued
        assert "Line length: 100" in "".join(b["text"] for b in llm.requests[-1].body["system"])
    listing = _victor("sessions", "--workspace", str(workspace), env=env, cwd=workspace)
    assert listing.returncode == 0 and "4 msgs" in listing.stdout
    session_id = listing.stdout.split()[0]
    exported = _victor(
        "sessions", "export", session_id, "--workspace", str(workspace), env=env, cwd=workspace
    )
    assert "remember 7" in exported.stdout and "sk-ant-cli-canary" not in exported.stdout


def test_chat_without_a_model_previews_instead_of_pretending(workspace: Path, env):
    proc = _victor("chat", "hello", "--workspace", str(workspace), env=env, cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert "No model is configured" in proc.stdout
    assert "ANTHROPIC_API_KEY" in proc.stdout
    assert "You are Victor" in proc.stdout  # the prompt it would have sent


def test_errors_are_one_clear_line(workspace: Path, env):
    missing = _victor("style", str(workspace / "nope.py"), env=env, cwd=workspace)
    assert missing.returncode != 0 and "nope.py: no such file" in missing.stderr
    unknown = _victor(
        "sessions", "show", "no-such-id", "--workspace", str(workspace), env=env, cwd=workspace
    )
    assert unknown.returncode == 1
    assert "no session 'no-such-id'" in unknown.stderr and "Traceback" not in unknown.stderr
    bad_key = {**env, "ANTHROPIC_API_KEY": "sk-ant-bad"}
    with ModelServer(api_key="sk-ant-good") as llm:
        bad_key["ANTHROPIC_BASE_URL"] = llm.url
        denied = _victor("chat", "hi", "--workspace", str(workspace), env=bad_key, cwd=workspace)
    assert denied.returncode == 1
    assert "ANTHROPIC_API_KEY" in denied.stderr and "Traceback" not in denied.stderr
    assert "sk-ant-bad" not in denied.stderr


def test_commands_allow_list_deny_in_a_private_file(workspace: Path, env, tmp_path: Path):
    env = {**env, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    allowed = _victor(
        "commands", "allow", str(workspace), "--", "pytest", "-q", env=env, cwd=tmp_path
    )
    assert allowed.returncode == 0, allowed.stderr
    assert "allowed in" in allowed.stdout and "pytest -q" in allowed.stdout
    store = tmp_path / "config" / "victor" / "allowed-commands.json"
    assert store.stat().st_mode & 0o777 == 0o600
    # without a folder: the current directory
    listed = _victor("commands", "list", env=env, cwd=workspace)
    assert listed.stdout.splitlines() == ["pytest -q"]
    assert _victor("commands", "list", env=env, cwd=tmp_path).stdout == ""
    # a list another user could have written is not the user's word
    store.chmod(0o666)
    assert _victor("commands", "list", str(workspace), env=env, cwd=tmp_path).stdout == ""
    store.chmod(0o600)
    denied = _victor("commands", "deny", "pytest", "-q", env=env, cwd=workspace)
    assert denied.returncode == 0 and "removed" in denied.stdout
    again = _victor("commands", "deny", "pytest", "-q", env=env, cwd=workspace)
    assert again.returncode == 1 and "was not allowed" in again.stderr
