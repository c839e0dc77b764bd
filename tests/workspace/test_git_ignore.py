"""Which open files git ignores: git's own answers from one running process per folder,
right after .gitignore files change, and never killed by a path git refuses."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from victor.protocols import PromptContext
from victor.workspace.contributors import FileContextContributor
from victor.workspace.file_context import FileContextInput, render_file_context
from victor.workspace.git_ignore import GitAnswerNeeded, GitIgnoreChecker


@pytest.fixture
def checker() -> Iterator[GitIgnoreChecker]:
    made = GitIgnoreChecker()
    yield made
    made.close()


def _repo(root: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("*.log\n!keep.log\nbuild/\n")
    (root / "sub").mkdir()
    (root / "sub" / ".gitignore").write_text("local.cfg\n")
    (root / "build").mkdir()
    for name in ("a.log", "keep.log", "app.py", "sub/local.cfg", "sub/ok.py", "build/out.py"):
        (root / name).write_text("x = 1\n")
    return root


def _edit(path: Path, text: str) -> None:
    """Write ``text`` so that the change shows in the file's stamp even on coarse clocks."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_git_s_rules_nested_files_negation_and_folders(tmp_path, checker) -> None:
    root = _repo(tmp_path)
    asked = [root / n for n in ("a.log", "keep.log", "app.py", "sub/local.cfg", "sub/ok.py")]
    asked.append(root / "build" / "out.py")
    expected = {root / "a.log", root / "sub" / "local.cfg", root / "build" / "out.py"}
    assert checker.ignored(root, asked) == expected
    pid = checker.pid(root)
    assert pid is not None
    assert checker.ignored(root, asked) == expected
    assert checker.pid(root) == pid  # the same git answered again (or nobody had to)


def test_a_file_becomes_ignored_when_gitignore_changes(tmp_path, checker) -> None:
    root = _repo(tmp_path)
    app, ok = root / "app.py", root / "sub" / "ok.py"
    assert checker.ignored(root, [app, ok]) == set()
    # The top-level file: a running `git check-ignore` keeps the rules it read first.
    _edit(root / ".gitignore", "*.log\napp.py\n")
    assert checker.ignored(root, [app, ok]) == {app}
    _edit(root / "sub" / ".gitignore", "local.cfg\nok.py\n")
    assert checker.ignored(root, [app, ok]) == {app, ok}
    _edit(root / ".gitignore", "*.log\n")
    assert checker.ignored(root, [app, ok]) == {ok}


def test_a_new_nested_gitignore_and_info_exclude_count(tmp_path, checker) -> None:
    root = _repo(tmp_path)
    deep = root / "pkg" / "inner"
    deep.mkdir(parents=True)
    (deep / "notes.txt").write_text("password: x\n")
    (root / "draft.md").write_text("draft\n")
    assert checker.ignored(root, [deep / "notes.txt", root / "draft.md"]) == set()
    (root / "pkg" / ".gitignore").write_text("notes.txt\n")
    _edit(root / ".git" / "info" / "exclude", "draft.md\n")
    assert checker.ignored(root, [deep / "notes.txt", root / "draft.md"]) == {
        deep / "notes.txt",
        root / "draft.md",
    }


def test_paths_git_refuses_do_not_end_the_process(tmp_path, checker) -> None:
    root = _repo(tmp_path / "ws")
    (root / "linked").symlink_to(root / "sub", target_is_directory=True)
    outside = tmp_path / "outside.log"
    outside.write_text("x\n")
    asked = [root / "linked" / "local.cfg", outside, root / "a.log", root / "linked" / "ok.py"]
    assert checker.ignored(root, asked) == {root / "linked" / "local.cfg", root / "a.log"}
    pid = checker.pid(root)
    assert pid is not None
    assert checker.ignored(root, [root / "keep.log", root / "sub" / "local.cfg"]) == {
        root / "sub" / "local.cfg"
    }
    assert checker.pid(root) == pid


def test_a_workspace_inside_a_repository_uses_its_rules(tmp_path, checker) -> None:
    outer = _repo(tmp_path)
    root = outer / "sub"
    assert checker.ignored(root, [root / "local.cfg", root / "ok.py", root / "x.log"]) == {
        root / "local.cfg",
        root / "x.log",
    }


def test_outside_a_repository_nothing_is_ignored_until_it_becomes_one(tmp_path, checker) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "local.cfg").write_text("x\n")
    (root / ".gitignore").write_text("local.cfg\n")
    assert checker.ignored(root, [root / "local.cfg"]) == set()  # git: no repository, no rules
    assert checker.pid(root) is None
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert checker.ignored(root, [root / "local.cfg"]) == {root / "local.cfg"}


def test_a_dead_git_is_started_again(tmp_path, checker) -> None:
    root = _repo(tmp_path)
    assert checker.ignored(root, [root / "a.log"]) == {root / "a.log"}
    pid = checker.pid(root)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while checker.pid(root) == pid and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checker.ignored(root, [root / "sub" / "local.cfg", root / "app.py"]) == {
        root / "sub" / "local.cfg"
    }
    assert checker.pid(root) not in (None, pid)


def test_close_ends_git(tmp_path) -> None:
    root = _repo(tmp_path)
    checker = GitIgnoreChecker()
    checker.ignored(root, [root / "a.log"])
    pid = checker.pid(root)
    assert pid is not None
    checker.close()
    assert checker.pid(root) is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped, not a zombie left behind


def test_file_context_drops_a_buffer_ignored_after_the_first_build(tmp_path, checker) -> None:
    root = _repo(tmp_path)
    settings = root / "settings_local.py"
    settings.write_text("")
    inp = FileContextInput(
        active_path=root / "app.py",
        active_text="import settings_local\n",
        open_documents={settings: "DB_PASSWORD = 'canary-7f3a'\n"},
    )
    assert "canary-7f3a" in render_file_context(inp, root, ignore_cache=checker)
    _edit(root / ".gitignore", "settings_local.py\n")
    out = render_file_context(inp, root, ignore_cache=checker)
    assert "canary-7f3a" not in out
    assert "settings_local.py (git-ignored)" in out


def test_from_memory_answers_only_what_git_said_under_the_same_rules(tmp_path, checker) -> None:
    root = _repo(tmp_path)
    asked = [root / "a.log", root / "app.py"]
    with pytest.raises(GitAnswerNeeded):
        checker.from_memory.ignored(root, asked)  # never asked: git must be
    assert checker.ignored(root, asked) == {root / "a.log"}
    assert checker.from_memory.ignored(root, asked) == {root / "a.log"}
    _edit(root / ".gitignore", "app.py\n")
    with pytest.raises(GitAnswerNeeded):
        checker.from_memory.ignored(root, asked)  # the rules changed: old answers are void
    assert checker.ignored(root, asked) == {root / "app.py"}


async def test_contributor_sees_gitignore_edits_between_builds(tmp_path) -> None:
    root = _repo(tmp_path)
    checker = GitIgnoreChecker()
    contrib = FileContextContributor(root, git_ignore=checker)
    notes = root / "notes.txt"
    notes.write_text("")
    ctx = PromptContext(
        file_context=FileContextInput(
            active_path=root / "app.py",
            active_text="x = 1\n",
            open_documents={notes: "token: canary-51c2\n"},
        )
    )
    try:
        assert "canary-51c2" in await contrib.get_contribution(ctx)  # asked in a thread
        assert "canary-51c2" in await contrib.get_contribution(ctx)  # from memory
        _edit(root / ".gitignore", "notes.txt\n")
        out = await contrib.get_contribution(ctx)
        assert "canary-51c2" not in out and "notes.txt (git-ignored)" in out
    finally:
        checker.close()


def test_from_memory_never_waits_for_a_thread_talking_to_git(tmp_path, checker) -> None:
    root = _repo(tmp_path)
    asked = [root / "a.log"]
    assert checker.ignored(root, asked) == {root / "a.log"}
    # As while another build's thread waits for git: the event loop goes to a thread instead.
    with checker._lock, pytest.raises(GitAnswerNeeded):
        checker.from_memory.ignored(root, asked)
    assert checker.from_memory.ignored(root, asked) == {root / "a.log"}


def test_core_excludes_file_counts_and_its_edits_too(tmp_path, checker) -> None:
    root = _repo(tmp_path / "ws")
    excludes = tmp_path / "my-excludes"
    excludes.write_text("")
    draft = root / "draft.txt"
    draft.write_text("x\n")
    assert checker.ignored(root, [draft]) == set()
    setting = ["git", "-C", str(root), "config", "core.excludesFile", str(excludes)]
    subprocess.run(setting, check=True)
    _edit(excludes, "draft.txt\n")
    assert checker.ignored(root, [draft]) == {draft}
    _edit(excludes, "other.txt\n")
    assert checker.ignored(root, [draft]) == set()
