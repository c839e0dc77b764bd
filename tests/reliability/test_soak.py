"""Soak: many turns through one daemon; its memory must level off.

100 turns in the CI size, 1,000 with ``VICTOR_RELIABILITY_FULL=1``. The mix is what an editor
session looks like: a new chat session every 20 turns, streamed and plain turns, an open
document as context, a tool round every 10th turn, a retried 500 every 25th, a code action
every 50th. RSS is read from /proc after a warm-up (the first tenth of the turns, at least 20)
and at the end; it must grow less than 10 %. The figures are printed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.reliability.conftest import make_project
from tests.reliability.harness import Daemon, size, uri_of
from tests.support.model_server import ModelServer, Reply

TURNS = size(100, 1000)
WARM_UP = max(20, TURNS // 10)
MAX_GROWTH = 0.10

pytestmark = pytest.mark.timeout(size(180, 1200))

WHOLE = {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}}


def test_memory_levels_off_over_many_turns(tmp_path: Path, model_server: ModelServer) -> None:
    workspace = make_project(tmp_path / "proj")
    data = tmp_path / "data"
    data.mkdir()
    daemon = Daemon.start(model_server.url, data, [workspace], init_options={"requestTimeout": 10})
    try:
        daemon.wait_ready()
        app = daemon.open(workspace / "app.py", (workspace / "app.py").read_text())
        samples: list[tuple[int, int]] = []
        started = time.monotonic()
        warm_rss = 0
        session = ""
        for turn in range(TURNS):
            if turn % 20 == 0:
                session = daemon.request("victor/sessions/new", {})["sessionId"]
            words = " ".join(f"w{turn}_{i}" for i in range(60))
            if turn % 10 == 5:
                model_server.enqueue(Reply.tool_use("read_file", {"path": "app.py"}))
            if turn % 25 == 7:
                model_server.enqueue(Reply.error(500))
            model_server.enqueue(Reply(text=words, chunk_size=40))
            params = {"message": f"turn {turn}", "sessionId": session}
            if turn % 2:
                params["textDocument"] = {"uri": app}
                result, _, error = daemon.streamed("victor/chat", params, timeout=60)
                assert error is None, error
            else:
                result = daemon.request("victor/chat", params, timeout=60)
            assert result["content"].endswith(words)
            if turn % 50 == 49:
                daemon.apply_edits = False
                daemon.run_command(
                    {
                        "command": "victor.runAction",
                        "arguments": [
                            {
                                "action": "docstring",
                                "uri": uri_of(workspace / "app.py"),
                                "range": WHOLE,
                            }
                        ],
                    },
                    timeout=60,
                )
            if len(model_server.requests) > 200:
                model_server.reset()  # the test's own memory, not the daemon's
            if turn + 1 == WARM_UP:
                warm_rss = daemon.rss_kb()
            if (turn + 1) % max(1, TURNS // 10) == 0:
                samples.append((turn + 1, daemon.rss_kb()))
        elapsed = time.monotonic() - started
        end_rss = daemon.rss_kb()
        growth = (end_rss - warm_rss) / warm_rss
        print(
            f"\n{TURNS} turns in {elapsed:.1f}s ({1000 * elapsed / TURNS:.0f} ms/turn); RSS after "
            f"{WARM_UP} warm-up turns {warm_rss / 1024:.1f} MB, at the end {end_rss / 1024:.1f} "
            f"MB: {100 * growth:+.1f} % ({(end_rss - warm_rss) / max(1, TURNS - WARM_UP):.1f} "
            f"kB/turn); peak {daemon.hwm_kb() / 1024:.1f} MB"
        )
        print("RSS by turn (MB): " + ", ".join(f"{t}: {kb / 1024:.1f}" for t, kb in samples))
        assert growth < MAX_GROWTH
        assert daemon.request("victor/status", {})["ready"] is True
    finally:
        daemon.stop_cleanly()
