"""The guarded reader every workspace reader goes through (victor.workspace.guarded_read)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from victor.workspace.guarded_read import (
    FileTooLargeError,
    NotRegularFileError,
    OutsideWorkspaceError,
    SecretFileError,
    UnreadableFileError,
    display_name,
    read_guarded,
    secret_refusal,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, /dev and symlinks")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "app.py").write_text("print('hi')\n")
    (tmp_path / "outside.txt").write_text("OUTSIDE\n")
    return ws


def test_reads_a_regular_file_inside(root: Path) -> None:
    got = read_guarded(root, "app.py", max_bytes=100)
    assert got.data == b"print('hi')\n" and not got.truncated
    assert got.real == (root / "app.py").resolve()
    (root / "link.py").symlink_to(root / "app.py")  # a link that stays inside is fine
    assert read_guarded(root, root / "link.py", max_bytes=100).text() == "print('hi')\n"


@posix_only
def test_links_out_of_the_workspace_are_refused(root: Path, tmp_path: Path) -> None:
    (root / "AGENTS.md").symlink_to(tmp_path / "outside.txt")
    (root / "environ").symlink_to("/proc/self/environ")
    for name in ("AGENTS.md", "environ", "../outside.txt", str(tmp_path / "outside.txt")):
        with pytest.raises(OutsideWorkspaceError) as info:
            read_guarded(root, name, max_bytes=1000)
        assert "outside the workspace folder" in str(info.value)
        assert info.value.path == name


@posix_only
def test_devices_fifos_and_directories_are_refused_without_blocking(root: Path) -> None:
    os.mkfifo(root / "pipe")
    (root / "folder").mkdir()
    outcome: list[BaseException] = []

    def attempt() -> None:
        for name in ("pipe", "folder"):
            try:
                read_guarded(root, name, max_bytes=1000)
            except NotRegularFileError as exc:
                outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(20)  # a blocking open of the FIFO would never return
    assert not worker.is_alive(), "reading a FIFO blocked"
    assert [str(e) for e in outcome] == [
        "pipe: not a regular file (a FIFO); not read",
        "folder: not a regular file (a directory); not read",
    ]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_inside_a_workspace_is_refused(tmp_path: Path) -> None:
    # A workspace *at* /dev would contain it; the check is on the open file, not the name.
    with pytest.raises(NotRegularFileError, match="a device"):
        read_guarded("/dev", "zero", max_bytes=1000)


def test_size_cap_is_checked_on_the_open_file(root: Path) -> None:
    (root / "big.txt").write_bytes(b"x" * 5000)
    with pytest.raises(FileTooLargeError, match="5000 bytes, more than the 1000"):
        read_guarded(root, "big.txt", max_bytes=1000)
    head = read_guarded(root, "big.txt", max_bytes=1000, truncate=True)
    assert head.truncated and len(head.data) == 1000 and head.size == 5000


def test_secret_files_are_refused_by_name_and_by_target(root: Path) -> None:
    (root / ".env").write_text("KEY=1\n")
    (root / "notes.md").symlink_to(root / ".env")
    for name in (".env", "notes.md", "kubeconfig"):
        with pytest.raises(SecretFileError, match="never reads it"):
            read_guarded(root, name, max_bytes=100)
    assert secret_refusal(root, root / ".env")
    assert (
        secret_refusal(root, root / "notes.md")
        == "notes.md links to a secret file; its text is never sent"
    )
    assert secret_refusal(root, root / "app.py") is None


@posix_only
def test_a_folder_swapped_for_a_link_after_the_walk_is_refused(tmp_path: Path) -> None:
    """The style scan reads paths its walk found (no link on the way at that moment); a folder
    replaced by a link before the read must not lead the read out, nor to a secret."""
    ws = tmp_path / "ws"
    for name in ("pkg", "keys"):
        (ws / name).mkdir(parents=True)
        (ws / name / "mod.py").write_text("x = 1\n")
    (ws / "other").mkdir()
    (ws / "other" / "mod.py").write_text("y = 2\n")
    (ws / ".ssh").mkdir()
    (ws / ".ssh" / "mod.py").write_text("SECRET_IN_SSH = 1\n")
    (tmp_path / "away").mkdir()
    (tmp_path / "away" / "mod.py").write_text("CANARY_OUTSIDE = 1\n")
    (tmp_path / "away" / "sub").mkdir()
    walked = [str(ws / "pkg" / "mod.py"), str(ws / "keys" / "mod.py"), str(ws / "mod.py")]
    assert read_guarded(ws, walked[0], max_bytes=100).text() == "x = 1\n"

    (ws / "pkg").rename(tmp_path / "pkg-moved")
    (ws / "pkg").symlink_to(tmp_path / "away")  # out of the workspace
    (ws / "keys").rename(tmp_path / "keys-moved")
    (ws / "keys").symlink_to(ws / ".ssh")  # to a secret folder inside it
    with pytest.raises(OutsideWorkspaceError):
        read_guarded(ws, walked[0], max_bytes=100)
    with pytest.raises(OutsideWorkspaceError):  # not "no such file": it is not looked up there
        read_guarded(ws, ws / "pkg" / "sub" / "absent.toml", max_bytes=100)
    with pytest.raises(SecretFileError):
        read_guarded(ws, walked[1], max_bytes=100)
    # A link that stays inside the workspace is followed, as before, and named by its target.
    (ws / "inner").symlink_to(ws / "other")
    got = read_guarded(ws, ws / "inner" / "mod.py", max_bytes=100)
    assert got.text() == "y = 2\n" and got.real == (ws / "other" / "mod.py").resolve()


def test_missing_files_say_so(root: Path) -> None:
    with pytest.raises(UnreadableFileError) as info:
        read_guarded(root, "nope.txt", max_bytes=10)
    assert info.value.missing and str(info.value) == "nope.txt: no such file"


def test_display_name_replaces_undecodable_bytes() -> None:
    assert display_name(os.fsdecode(b"caf\xe9.py")) == "caf\ufffd.py"
    assert display_name("café.py") == "café.py"
