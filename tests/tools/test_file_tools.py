from __future__ import annotations

import os

import pytest

from tests.tools.conftest import Workspace, requires_git
from victor.tools import files, search


async def test_read_file_numbers_lines(ws: Workspace) -> None:
    result = await ws.call("read_file", path="src/app.py")
    assert not result.is_error
    lines = result.content.splitlines()
    assert lines[0] == "src/app.py: lines 1-5 of 5"
    assert lines[1] == "     1\timport os"
    assert lines[4] == "     4\tdef main():"


async def test_read_file_range(ws: Workspace) -> None:
    ws.write("big.txt", "".join(f"line {n}\n" for n in range(1, 101)))
    result = await ws.call("read_file", path="big.txt", start_line=10, end_line=12)
    assert result.content.splitlines() == [
        "big.txt: lines 10-12 of 100",
        "    10\tline 10",
        "    11\tline 11",
        "    12\tline 12",
    ]
    past = await ws.call("read_file", path="big.txt", start_line=99, end_line=500)
    assert past.content.splitlines()[0] == "big.txt: lines 99-100 of 100"
    bad = await ws.call("read_file", path="big.txt", start_line=12, end_line=10)
    assert bad.is_error and "end_line (10) is before start_line (12)" in bad.content
    beyond = await ws.call("read_file", path="big.txt", start_line=101)
    assert beyond.is_error and "has 100 lines" in beyond.content


async def test_read_file_caps_and_says_where_to_continue(ws: Workspace) -> None:
    ws.write("huge.txt", "".join(f"{n}\n" for n in range(5000)))
    result = await ws.call("read_file", path="huge.txt")
    lines = result.content.splitlines()
    assert lines[0] == f"huge.txt: lines 1-{files.MAX_READ_LINES} of 5000"
    assert lines[-1].endswith(f"start_line={files.MAX_READ_LINES + 1} to continue]")
    wide = "y" * 500
    ws.write("wide.txt", "".join(f"{wide}\n" for _ in range(500)))
    result = await ws.call("read_file", path="wide.txt")
    assert len(result.content) < files.MAX_READ_CHARS + 200
    assert "to continue]" in result.content
    ws.write("minified.js", "z" * 50_000)
    result = await ws.call("read_file", path="minified.js")
    assert "[line cut, 50000 characters]" in result.content


async def test_read_file_text_edge_cases(ws: Workspace) -> None:
    ws.write("empty.txt", "")
    assert (await ws.call("read_file", path="empty.txt")).content == "empty.txt: empty file"
    ws.write("crlf.txt", b"\xef\xbb\xbfa\r\nb\r\n")
    assert (await ws.call("read_file", path="crlf.txt")).content.splitlines()[1:] == [
        "     1\ta",
        "     2\tb",
    ]
    ws.write("latin.txt", b"caf\xe9\n")
    assert "caf\ufffd" in (await ws.call("read_file", path="latin.txt")).content


async def test_read_file_refuses_binaries_dirs_missing(ws: Workspace) -> None:
    ws.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = await ws.call("read_file", path="logo.png")
    assert result.is_error and "looks like a binary file" in result.content
    result = await ws.call("read_file", path="src")
    assert result.is_error and "is a directory; use list_directory" in result.content
    result = await ws.call("read_file", path="nope.py")
    assert result.is_error and "no such file" in result.content


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
async def test_read_file_refuses_fifo(ws: Workspace) -> None:
    os.mkfifo(ws.root / "pipe")
    result = await ws.call("read_file", path="pipe")
    assert result.is_error and "not a regular file" in result.content


async def test_unsaved_buffer_wins_over_disk(ws: Workspace) -> None:
    ws.open_in_editor("src/app.py", "def main():\n    print('edited, not saved')\n")
    result = await ws.call("read_file", path="src/app.py")
    assert "edited, not saved" in result.content and "import os" not in result.content
    assert result.content.startswith("src/app.py (as open in the editor): lines 1-2 of 2")
    found = await ws.call("search_text", query="edited")
    assert "src/app.py:2:" in found.content
    assert "No matches" in (await ws.call("search_text", query="import os")).content


async def test_open_document_failure_falls_back_to_disk(ws: Workspace) -> None:
    from victor.protocols import ToolCall
    from victor.tools import workspace_tools

    def broken(_path):
        raise RuntimeError("editor gone")

    registry = workspace_tools(ws.root, broken)
    result = await registry.execute(ToolCall("t", "read_file", {"path": "src/app.py"}))
    assert not result.is_error and "import os" in result.content


async def test_list_directory(ws: Workspace) -> None:
    ws.write("node_modules/left-pad/index.js", "x")
    ws.write(".venv/bin/python", "x")
    ws.write("src/__pycache__/app.cpython-311.pyc", b"\0")
    ws.write("src/pkg/deep/deeper/x.py", "x")
    result = await ws.call("list_directory")
    lines = result.content.splitlines()
    assert lines[0] == "Workspace root (depth 2):"
    assert "README.md  (" in result.content
    assert "src/" in lines and "src/app.py  (43 B)" in lines and "src/pkg/" in lines
    assert "src/pkg/deep/" not in lines  # depth 2
    for hidden in ("node_modules", ".venv", "__pycache__"):
        assert hidden not in result.content
    deep = await ws.call("list_directory", path="src/pkg", depth=5)
    assert "src/pkg/deep/deeper/x.py  (1 B)" in deep.content
    assert (await ws.call("list_directory", path="README.md")).is_error
    assert (await ws.call("list_directory", depth=9)).is_error


async def test_list_directory_entry_cap(ws: Workspace) -> None:
    for n in range(files.MAX_LIST_ENTRIES + 20):
        ws.write(f"many/f{n:04}.txt", "")
    result = await ws.call("list_directory", path="many")
    assert f"stopped after {files.MAX_LIST_ENTRIES} entries" in result.content
    assert len(result.content.splitlines()) == files.MAX_LIST_ENTRIES + 2


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
async def test_list_directory_shows_inner_links_without_following(ws: Workspace) -> None:
    (ws.root / "src" / "loop").symlink_to(ws.root, target_is_directory=True)
    result = await ws.call("list_directory", depth=5)
    assert "src/loop/ -> ./" in result.content
    assert "src/loop/src" not in result.content


async def test_search_literal_regex_and_case(ws: Workspace) -> None:
    ws.write("src/util.py", "def helper(x):\n    return x * 2  # (double)\n")
    literal = await ws.call("search_text", query="(double)")
    assert "src/util.py:2: return x * 2  # (double)" in literal.content
    regex = await ws.call("search_text", query=r"def \w+\(", regex=True)
    assert "src/app.py:4: def main():" in regex.content
    assert "src/util.py:1: def helper(x):" in regex.content
    insensitive = await ws.call("search_text", query="hello")
    assert "README.md:2:" in insensitive.content and "src/app.py:5:" in insensitive.content
    sensitive = await ws.call("search_text", query="Hello")
    assert "README.md:2:" in sensitive.content and "src/app.py" not in sensitive.content


async def test_search_scope_limits_and_binaries(ws: Workspace) -> None:
    ws.write("lots.txt", "".join("needle\n" for _ in range(300)))
    ws.write("bin.dat", b"needle\0\0")
    capped = await ws.call("search_text", query="needle", max_results=5)
    assert capped.content.count("lots.txt:") == 5
    assert "stopped at max_results=5" in capped.content
    assert "bin.dat" not in capped.content
    default = await ws.call("search_text", query="needle")
    assert default.content.count("lots.txt:") == search.DEFAULT_RESULTS
    scoped = await ws.call("search_text", query="main", path="src")
    assert "README" not in scoped.content and "src/app.py:4:" in scoped.content
    one = await ws.call("search_text", query="main", path="README.md")
    assert one.content.startswith("README.md:2:")
    assert (await ws.call("search_text", query="x", path="missing")).is_error
    assert (await ws.call("search_text", query="x", max_results=1000)).is_error


@requires_git
async def test_search_in_git_repo_sees_untracked_and_skips_ignored(ws: Workspace) -> None:
    ws.git_init("out/\n")
    ws.write("new_untracked.py", "needle = 1\n")
    ws.write("out/gen.py", "needle = 2\n")
    ws.write("node_modules/x.js", "needle\n")
    result = await ws.call("search_text", query="needle")
    assert "new_untracked.py:1: needle = 1" in result.content
    assert "out/gen.py" not in result.content and "node_modules" not in result.content
