"""Subprocesses get no secrets, and git runs nothing a repository's config names."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from victor.workspace.safe_exec import git_command, git_env, scrubbed_env


def test_scrubbed_env_drops_keys_and_keeps_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-canary")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_canary")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    env = scrubbed_env({"EXTRA": "1"})
    assert "ANTHROPIC_API_KEY" not in env and "GITHUB_TOKEN" not in env
    assert env["PATH"] and env["LC_ALL"] == "C.UTF-8" and env["EXTRA"] == "1"


def test_git_ignores_a_repository_fsmonitor_and_hooks(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.py").write_text("x = 1\n")
    subprocess.run(
        ["git", "-C", str(repo), "config", "core.fsmonitor", f"touch {canary}; echo"], check=True
    )
    proc = subprocess.run(
        git_command(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard"),
        env=git_env(),
        capture_output=True,
        check=True,
    )
    assert proc.stdout == b"a.py\0"
    assert not canary.exists()
    # The same command without the guard runs the repository's program: the guard matters.
    subprocess.run(["git", "-C", str(repo), "ls-files", "--others"], capture_output=True)
    assert canary.exists()
