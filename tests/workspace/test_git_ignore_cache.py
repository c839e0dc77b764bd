"""The file context asks git once per open file, not once per prompt build."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from victor.workspace import paths
from victor.workspace.paths import GitIgnoreCache


def test_answers_are_git_s_and_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("local.cfg\n")
    ignored, kept = tmp_path / "local.cfg", tmp_path / "app.py"
    ignored.write_text("password = x\n")
    kept.write_text("x = 1\n")
    calls: list[list[Path]] = []
    real = paths.is_git_ignored

    def counting(root: Path, asked: list[Path]) -> set[Path]:
        calls.append(list(asked))
        return real(root, asked)

    monkeypatch.setattr(paths, "is_git_ignored", counting)
    cache = GitIgnoreCache(max_age=60)
    assert cache.ignored(tmp_path, [ignored, kept]) == {ignored}
    assert cache.ignored(tmp_path, [ignored, kept]) == {ignored}
    assert len(calls) == 1  # the second build asked nobody
    other = tmp_path / "other.py"
    assert cache.ignored(tmp_path, [kept, other]) == set()
    assert calls[-1] == [other]  # only what it had not seen


def test_old_answers_are_asked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(paths, "is_git_ignored", lambda root, asked: calls.append(asked) or set())
    cache = GitIgnoreCache(max_age=0.0)
    cache.ignored(tmp_path, [tmp_path / "a.py"])
    cache.ignored(tmp_path, [tmp_path / "a.py"])
    assert len(calls) == 2
