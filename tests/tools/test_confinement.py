"""Attacks on the workspace boundary, secrets and ignore rules, through every tool."""

from __future__ import annotations

import os

import pytest

from tests.tools.conftest import Workspace, requires_git

READERS = [
    ("read_file", "path"),
    ("list_directory", "path"),
    ("search_text", "path"),
]


def _args(name: str, path: str) -> dict:
    return {"path": path, "query": "x"} if name == "search_text" else {"path": path}


@pytest.mark.parametrize(("name", "_field"), READERS)
@pytest.mark.parametrize("path", ["../x", "../outside", "src/../../x", "/etc/passwd", "/"])
async def test_paths_outside_are_refused(ws: Workspace, name: str, _field: str, path: str) -> None:
    result = await ws.call(name, **_args(name, path))
    assert result.is_error
    assert "outside the workspace" in result.content
    assert "neighbour" not in result.content and "root:" not in result.content


async def test_absolute_path_inside_is_fine(ws: Workspace) -> None:
    result = await ws.call("read_file", path=str(ws.root / "src" / "app.py"))
    assert not result.is_error and "def main" in result.content


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
async def test_symlinks_out_are_refused_and_hidden(ws: Workspace) -> None:
    (ws.root / "link.txt").symlink_to(ws.outside / "x")
    (ws.root / "linkdir").symlink_to(ws.outside, target_is_directory=True)
    for path in ("link.txt", "linkdir/x"):
        result = await ws.call("read_file", path=path)
        assert result.is_error and "outside the workspace" in result.content
    listing = await ws.call("list_directory")
    assert "link.txt" not in listing.content and "linkdir" not in listing.content
    assert "2 unsafe links" in listing.content
    found = await ws.call("search_text", query="outside secret")
    assert "No matches" in found.content


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
async def test_innocent_link_to_a_secret_is_refused(ws: Workspace) -> None:
    ws.write(".env", "API_KEY=sk-123\n")
    (ws.root / "notes.txt").symlink_to(ws.root / ".env")
    result = await ws.call("read_file", path="notes.txt")
    assert result.is_error and "secret" in result.content
    found = await ws.call("search_text", query="sk-123")
    assert "API_KEY" not in found.content


@pytest.mark.parametrize(
    "rel",
    [
        ".env",
        ".ENV",
        ".Env.local",
        "config/prod.env",
        "id_rsa",
        "ID_RSA.pub",
        "certs/server.PEM",
        ".ssh/config",
        ".AWS/credentials",
        "credentials.json",
        "secrets.yaml",
    ],
)
async def test_secrets_are_refused_everywhere(ws: Workspace, rel: str) -> None:
    ws.write(rel, "TOKEN=hunter2\n")
    ws.open_in_editor(rel, "TOKEN=hunter2 (open)\n")  # even open buffers are not read
    result = await ws.call("read_file", path=rel)
    assert result.is_error and "secret" in result.content
    found = await ws.call("search_text", query="hunter2")
    assert "TOKEN" not in found.content
    listing = await ws.call("list_directory", depth=3)
    assert rel.split("/")[-1] not in listing.content


async def test_git_internals_are_refused(ws: Workspace) -> None:
    ws.write(".git/config", "[remote]\n url = https://user:token@host/repo\n")
    result = await ws.call("read_file", path=".git/config")
    assert result.is_error and ".git" in result.content
    result = await ws.call("read_file", path=".GIT/config")
    assert result.is_error


async def test_nul_in_path(ws: Workspace) -> None:
    result = await ws.call("read_file", path="src/app.py\0.txt")
    assert result.is_error and "NUL" in result.content


@requires_git
async def test_ignored_files_refused_unless_open(ws: Workspace) -> None:
    ws.git_init("*.log\nbuild/\n")
    ws.write("debug.log", "password attempt from 10.0.0.1\n")
    ws.write("build/out.txt", "built artefact\n")
    result = await ws.call("read_file", path="debug.log")
    assert result.is_error and "ignored by git" in result.content
    result = await ws.call("read_file", path="build/out.txt")
    assert result.is_error and "ignored by git" in result.content
    result = await ws.call("list_directory", path="build")
    assert result.is_error and "ignored by git" in result.content
    listing = await ws.call("list_directory")
    assert "debug.log" not in listing.content and "build" not in listing.content
    assert "2 ignored" in listing.content
    found = await ws.call("search_text", query="attempt")
    assert "No matches" in found.content

    ws.open_in_editor("debug.log", "unsaved log text\n")
    result = await ws.call("read_file", path="debug.log")
    assert not result.is_error
    assert "unsaved log text" in result.content and "as open in the editor" in result.content
    found = await ws.call("search_text", query="unsaved", path="debug.log")
    assert "debug.log:1: unsaved log text" in found.content


@requires_git
async def test_tracked_file_matching_ignore_rules_is_skipped_like_read_file(
    ws: Workspace,
) -> None:
    ws.git_init("")
    ws.write("vendor.lock", "needle\n")
    ws.git_add("vendor.lock")
    (ws.root / ".gitignore").write_text("*.lock\n")
    assert (await ws.call("read_file", path="vendor.lock")).is_error
    found = await ws.call("search_text", query="needle")
    assert "vendor.lock" not in found.content
