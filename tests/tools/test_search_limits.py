"""search_text's limits: the time budget covers listing the candidates and holds inside one
file; regular expressions run on RE2; file names that are not UTF-8 come back readable."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.tools.conftest import Workspace, requires_git
from victor.tools import search
from victor.tools.access import WorkspaceAccess


def count_resolves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original = WorkspaceAccess.resolve

    def counting(self: WorkspaceAccess, path: str) -> Path:
        calls[0] += 1
        return original(self, path)

    monkeypatch.setattr(WorkspaceAccess, "resolve", counting)
    return calls


@pytest.mark.parametrize("use_git", [False, pytest.param(True, marks=requires_git)])
async def test_budget_covers_building_the_candidate_list(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch, use_git: bool
) -> None:
    """Stands in for 100,000 files: 3,000 files and no time at all. The old code listed and
    filtered every file before it looked at the clock."""
    for i in range(3000):
        ws.write(f"pkg{i % 30}/mod{i}.py", "needle = 1\n")
    if use_git:
        ws.git_init("")
        ws.git_add(".")
    monkeypatch.setattr(search, "TIME_BUDGET_SECONDS", 0.0)
    calls = count_resolves(monkeypatch)
    result = await ws.call("search_text", query="needle")
    assert not result.is_error
    assert "time limit of 0s reached while listing the files" in result.content
    assert calls[0] <= search.WALK_ENTRIES_PER_CLOCK_CHECK + 1  # the given path, not 3,000


async def test_budget_holds_inside_one_file(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.write("big.log", "line\n" * 100_000 + "needle\n")
    monkeypatch.setattr(search, "TIME_BUDGET_SECONDS", 0.05)
    real_monotonic = search.time.monotonic
    start = real_monotonic()
    ticks = [0]

    def slow_clock() -> float:  # each reading of the clock "takes" 1 ms
        ticks[0] += 1
        return start + ticks[0] * 0.001

    monkeypatch.setattr(search.time, "monotonic", slow_clock)
    result = await ws.call("search_text", query="needle", path="big.log")
    assert "time limit of 0s reached in big.log" in result.content
    assert "big.log:100001" not in result.content
    monkeypatch.setattr(search.time, "monotonic", real_monotonic)


async def test_regex_is_linear_and_refusals_are_clear(ws: Workspace) -> None:
    ws.write("a.txt", "a" * 5000 + "!\n" + "aaa\n")
    found = await ws.call("search_text", query="(a+)+$", regex=True, path="a.txt")
    assert not found.is_error and "a.txt:2: aaa" in found.content
    for pattern in (r"(\w)\1", r"foo(?=bar)", r"(?<!x)y"):
        refused = await ws.call("search_text", query=pattern, regex=True)
        assert refused.is_error
        assert "invalid regular expression" in refused.content and "RE2" in refused.content
    broken = await ws.call("search_text", query="(unclosed", regex=True)
    assert broken.is_error and "missing )" in broken.content
    smart = await ws.call("search_text", query=r"DEF\s+main", regex=True)
    assert "No matches" in smart.content  # capitals: case-sensitive
    insensitive = await ws.call("search_text", query=r"def\s+main", regex=True)
    assert "src/app.py:4: def main():" in insensitive.content


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that keeps raw bytes")
async def test_names_that_are_not_utf8_are_shown_readably(ws: Workspace) -> None:
    ws.write(os.fsdecode(b"caf\xe9.py"), b"needle = 'caf\xc3\xa9'\n")
    found = await ws.call("search_text", query="needle")
    assert "caf\ufffd.py:1: needle" in found.content
    found.content.encode("utf-8")  # would raise on a lone surrogate
    listed = await ws.call("list_directory")
    assert "caf\ufffd.py" in listed.content
    listed.content.encode("utf-8")
