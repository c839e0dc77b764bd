"""SIGKILL a writer at random moments; every turn it reported as committed must survive."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from victor.storage import SessionStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")

TURN_SIZE = 4

CHILD = r"""
import sys
from victor.protocols import Message, ToolCall
from victor.storage import SessionStore

path, sid, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = SessionStore(path)
print("ready", flush=True)
turn = start
while True:
    big = "x" * (turn % 7) * 3000  # vary sizes so kills land in different page writes
    store.append_messages(sid, [
        Message(role="user", content=f"q{turn}", metadata={"turn": turn, "part": 0}),
        Message(role="assistant", content=f"a{turn}" + big, metadata={"turn": turn, "part": 1},
                tool_calls=[ToolCall(id=f"c{turn}", name="read_file", arguments={"n": turn})]),
        Message(role="tool", content=f"r{turn}", tool_call_id=f"c{turn}",
                metadata={"turn": turn, "part": 2}),
        Message(role="assistant", content=f"done{turn}", metadata={"turn": turn, "part": 3}),
    ])
    print(f"committed {turn}", flush=True)
    turn += 1
"""


def _run_and_kill(path: Path, sid: str, start: int, rng: random.Random, wait_ready: bool) -> set:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), sid, str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        if wait_ready:
            assert proc.stdout.readline() == b"ready\n", proc.stderr.read().decode()
            time.sleep(rng.uniform(0.0, 0.25))
        else:
            # Sometimes kill during start-up: while opening, setting pragmas or migrating.
            time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    committed = set()
    for line in out.decode().splitlines(keepends=True):
        if line.startswith("committed ") and line.endswith("\n"):
            committed.add(int(line.split()[1]))
    return committed


def test_sigkill_never_loses_committed_turns(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite3"
    with SessionStore(path) as store:
        sid = store.create_session("crash").id
    rng = random.Random(0xC0FFEE)
    reported: set[int] = set()
    for run in range(20):
        reported |= _run_and_kill(path, sid, run * 1_000_000, rng, wait_ready=run % 5 != 4)

    # Plain sqlite3 first: the file must open and be consistent after twenty crashes.
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()

    with SessionStore(path) as store:
        transcript = store.transcript(sid)
    turns: dict[int, list] = defaultdict(list)
    for message in transcript:
        turns[message.metadata["turn"]].append(message)
    assert reported, "the child never committed a turn; the test proved nothing"
    assert reported <= set(turns)
    for turn, messages in turns.items():
        # Complete and in order: a turn is one transaction, so never half there.
        assert [m.metadata["part"] for m in messages] == list(range(TURN_SIZE)), turn
        assert messages[0].content == f"q{turn}"
        assert messages[1].content.startswith(f"a{turn}")
        assert messages[1].tool_calls[0].arguments == {"n": turn}
        assert messages[2].tool_call_id == f"c{turn}"
        assert messages[3].content == f"done{turn}"
