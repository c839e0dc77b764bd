"""Attack 10: huge inputs. ``read_file`` of a one-line file of hundreds of MB read the whole
line into memory (twice: bytes and text); ``search_text``'s 15 s budget started only after the
candidate list (``git ls-files`` / the walk and its filtering) was built, which took most of a
minute on 100,000 files. Now a line is read in bounded pieces and the budget covers the listing
(the listing part is tested on a small tree with a tiny budget, in tests/tools)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import make_project
from tests.reliability.harness import Daemon, uri_of
from tests.support.model_server import ModelServer, Reply

pytestmark = pytest.mark.timeout(180)

LINE_MB = 120


def test_read_file_of_a_huge_one_line_file_costs_little_memory(
    tmp_path: Path, start: Any, model_server: ModelServer
) -> None:
    workspace = make_project(tmp_path / "proj")
    with open(workspace / "dump.txt", "wb") as fh:
        block = b"x" * (1024 * 1024)
        for _ in range(LINE_MB):
            fh.write(block)
        fh.write(b"\nsecond line\n")
    daemon: Daemon = start([workspace])
    doc = {"textDocument": {"uri": uri_of(workspace / "app.py")}}
    daemon.request("victor/chat", {"message": "warm up", **doc})
    before = daemon.hwm_kb()
    model_server.enqueue(
        Reply.tool_use("read_file", {"path": "dump.txt"}),
        Reply(text="read it"),
    )
    assert daemon.request("victor/chat", {"message": "read dump.txt", **doc})["content"] == (
        "read it"
    )
    grown_mb = (daemon.hwm_kb() - before) / 1024
    result = model_server.requests_to("/v1/messages")[-1].body["messages"][-1]["content"]
    text = str([b for b in result if b.get("type") == "tool_result"][0]["content"])
    assert grown_mb < 40, f"reading a {LINE_MB} MB line grew the daemon by {grown_mb:.0f} MB"
    assert "line cut" in text and "bytes]" in text  # the cut is reported, with the size
    assert "second line" in text
    daemon.stop_cleanly()
