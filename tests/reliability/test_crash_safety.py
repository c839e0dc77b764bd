"""SIGKILL the daemon at random points of its turns; the session database must stay sound.

Each round starts the daemon on the same data directory, checks that ``victor/sessions/list``
agrees with the database, runs chat turns from two client threads (new sessions now and then,
answers of random length and speed, some with a tool round, some streamed) and kills the
process with SIGKILL after a random delay; one round in five kills it during start-up. After
every kill the database is opened with the stdlib ``sqlite3``:

- ``PRAGMA integrity_check`` is ``ok`` and no foreign key is dangling;
- every turn whose ``victor/chat`` response the client received is there, intact: its user
  message, then the assistant's final message with exactly the content of the response;
- nothing is half-written: every turn in the database ends with a complete assistant answer,
  and every tool call has its result.

Kills: 10 in the CI size, 50 with ``VICTOR_RELIABILITY_FULL=1``. The seed is printed; set
``VICTOR_RELIABILITY_SEED`` to replay a run.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import make_project
from tests.reliability.harness import Daemon, DaemonDied, RpcError, size
from tests.support.model_server import ModelServer, Reply

KILLS = size(10, 50)

pytestmark = [
    pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL and /proc"),
    pytest.mark.timeout(size(150, 900)),
]

WORDS = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
]


@dataclass(frozen=True)
class Answered:
    """A turn whose response the client received."""

    session_id: str
    message: str
    content: str


def random_reply(rng: random.Random) -> Reply:
    n = rng.choice([1, 5, 40, 300, 1500])
    text = " ".join(rng.choice(WORDS) for _ in range(n))
    if rng.random() < 0.2:
        return Reply.tool_use("read_file", {"path": "app.py"}, text=text[:200])
    chunk = rng.choice([None, 7, 200])
    deltas = n if chunk is None else len(text) // chunk + 1
    # streams of up to about half a second, so kills land before, in and after them
    delay = min(rng.choice([0.0, 0.0, 0.001, 0.004]), 0.5 / deltas)
    return Reply(text=text, delay=delay, chunk_size=chunk)


class Client(threading.Thread):
    """Sends turns one after another until the daemon dies."""

    def __init__(self, daemon: Daemon, model: ModelServer, rng: random.Random, name: str) -> None:
        super().__init__(daemon=True)
        self.daemon_, self.model, self.rng, self.tag = daemon, model, rng, name
        self.answered: list[Answered] = []
        self.errors: list[str] = []

    def run(self) -> None:
        session_id: str | None = None
        try:
            while True:
                if session_id is None or self.rng.random() < 0.25:
                    session_id = self.daemon_.request("victor/sessions/new", {})["sessionId"]
                self.model.enqueue(random_reply(self.rng))
                message = f"{self.tag} {uuid.uuid4().hex}"
                params: dict[str, Any] = {"message": message, "sessionId": session_id}
                if self.rng.random() < 0.5:
                    params["partialResultToken"] = uuid.uuid4().hex
                result = self.daemon_.request("victor/chat", params, timeout=30)
                self.answered.append(Answered(result["sessionId"], message, result["content"]))
        except (DaemonDied, TimeoutError):
            return  # killed
        except RpcError as exc:
            self.errors.append(f"{exc} {exc.data}")


def check_database(path: Path, answered: list[Answered]) -> dict[str, int]:
    """The checks after a kill; returns message counts per session."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = conn.execute(
            "SELECT session_id, role, content, tool_calls, tool_call_id, interrupted "
            "FROM messages ORDER BY id"
        ).fetchall()
        sessions = [r[0] for r in conn.execute("SELECT id FROM sessions")]
    finally:
        conn.close()
    by_session: dict[str, list[tuple[Any, ...]]] = {sid: [] for sid in sessions}
    for row in rows:
        assert row[0] in by_session, f"message of an unknown session {row[0]}"
        by_session[row[0]].append(row[1:])
    for sid, messages in by_session.items():
        for turn in split_turns(messages):
            check_turn(sid, turn)
    for turn in answered:
        messages = by_session.get(turn.session_id)
        assert messages is not None, f"session {turn.session_id} of an answered turn is gone"
        found = [i for i, m in enumerate(messages) if m[0] == "user" and m[1] == turn.message]
        assert len(found) == 1, f"answered turn {turn.message!r} is not stored exactly once"
        rest = messages[found[0] + 1 :]
        end = next((i for i, m in enumerate(rest) if m[0] == "user"), len(rest))
        # a turn with tool rounds answers with every round's text, "\n\n" between them
        stored = "\n\n".join(m[1] for m in rest[:end] if m[0] == "assistant" and m[1])
        assert stored == turn.content, (
            f"answered turn {turn.message!r}: stored answer differs from the response"
        )
    return {sid: len(messages) for sid, messages in by_session.items()}


def split_turns(messages: list[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
    turns: list[list[tuple[Any, ...]]] = []
    for message in messages:
        if message[0] == "user" or not turns:
            turns.append([])
        turns[-1].append(message)
    return turns


def check_turn(sid: str, turn: list[tuple[Any, ...]]) -> None:
    roles = [m[0] for m in turn]
    assert roles[0] == "user", f"session {sid}: a turn starts with {roles[0]}"
    assert len(turn) >= 2, f"session {sid}: a user message without its answer (half-written)"
    last = turn[-1]
    assert last[0] == "assistant" and json.loads(last[2]) == [], (
        f"session {sid}: turn ends with {last[0]} (half-written): {roles}"
    )
    assert not any(m[4] for m in turn), f"session {sid}: interrupted message without a cause"
    open_calls: set[str] = set()
    for role, _content, calls, call_id, _interrupted in turn:
        if role == "assistant":
            assert not open_calls, f"session {sid}: tool calls without results: {open_calls}"
            open_calls = {c["id"] for c in json.loads(calls)}
        elif role == "tool":
            assert call_id in open_calls, f"session {sid}: tool result for unknown call"
            open_calls.discard(call_id)


def sessions_listed(daemon: Daemon) -> dict[str, int]:
    listed = daemon.request("victor/sessions/list", {}, timeout=30)["sessions"]
    return {s["id"]: s["messageCount"] for s in listed}


def database_of(data_dir: Path) -> Path | None:
    found = sorted((data_dir / "workspaces").glob("*.sqlite3"))
    assert len(found) <= 1, found
    return found[0] if found else None


def test_sigkill_at_random_points_never_corrupts_or_loses_answered_turns(
    tmp_path: Path, model_server: ModelServer
) -> None:
    seed = int(os.environ.get("VICTOR_RELIABILITY_SEED") or time.time_ns() % 2**32)
    print(f"seed {seed} (VICTOR_RELIABILITY_SEED), {KILLS} kills")
    rng = random.Random(seed)
    workspace = make_project(tmp_path / "proj")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    answered: list[Answered] = []
    counts: dict[str, int] = {}
    startup_kills = 0
    for round_no in range(KILLS):
        model_server.reset()
        if round_no % 5 == 4:
            # killed during start-up: initializing, opening the store, migrating, scanning
            startup_kills += 1
            daemon = Daemon.start(model_server.url, data_dir, [workspace], initialize=False)
            daemon.send("initialize", daemon.initialize_params({"requestTimeout": 10}))
            daemon.notify("initialized", {})
            time.sleep(rng.uniform(0.0, 0.8))
            daemon.kill()
        else:
            daemon = Daemon.start(
                model_server.url, data_dir, [workspace], init_options={"requestTimeout": 10}
            )
            clients = [
                Client(daemon, model_server, random.Random(rng.random()), f"r{round_no}c{i}")
                for i in range(2)
            ]
            try:
                # restarted on the same data directory: the sessions are all there
                assert sessions_listed(daemon) == counts
                # one turn first (the first loads the provider), then kills at random points
                warm = f"r{round_no} warm-up {uuid.uuid4().hex}"
                result = daemon.request("victor/chat", {"message": warm}, timeout=30)
                answered.append(Answered(result["sessionId"], warm, result["content"]))
                for client in clients:
                    client.start()
                time.sleep(rng.uniform(0.05, 1.2))
            finally:
                daemon.kill()
            for client in clients:
                client.join(30)
                assert not client.is_alive()
                assert client.errors == [], client.errors
                answered += client.answered
        path = database_of(data_dir)
        if path is None:
            assert not answered
            continue
        counts = check_database(path, answered)
    # the last restart: everything answered is listed, and the daemon exits cleanly
    daemon = Daemon.start(model_server.url, data_dir, [workspace])
    try:
        assert sessions_listed(daemon) == counts
        for turn in rng.sample(answered, min(5, len(answered))):
            got = daemon.request("victor/sessions/get", {"sessionId": turn.session_id})
            contents = [m["content"] for m in got["messages"]]
            assert turn.message in contents
            assert any(
                c and turn.content.endswith(c) for c in contents[contents.index(turn.message) + 1 :]
            )
    finally:
        daemon.stop_cleanly()
    print(
        f"{KILLS} kills ({startup_kills} during start-up), {len(answered)} answered turns "
        f"checked, {len(counts)} sessions, {sum(counts.values())} messages"
    )
    assert len(answered) >= KILLS  # the kills did land between and inside real turns
