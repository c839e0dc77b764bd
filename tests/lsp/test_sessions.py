"""``victor/sessions/*`` and ``victor/compact``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.lsp.conftest import StartDaemon
from tests.lsp.daemon import Daemon, user_texts
from tests.support.model_server import Reply

INVALID_PARAMS = -32602


def parse_time(text: str) -> datetime:
    assert text.endswith("Z") or text.endswith("+00:00"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_new_chat_get_list_export_delete(daemon: Daemon) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    created = await daemon.request("victor/sessions/new", {"title": "Parsing questions"})
    sid = created["sessionId"]
    assert isinstance(sid, str) and sid

    listed = (await daemon.request("victor/sessions/list", {}))["sessions"]
    entry = next(s for s in listed if s["id"] == sid)
    assert entry["title"] == "Parsing questions"
    assert entry["messageCount"] == 0
    assert parse_time(entry["createdAt"]) >= before
    assert parse_time(entry["updatedAt"]) >= parse_time(entry["createdAt"])

    await daemon.chat("what does parse do?", sessionId=sid)
    await daemon.chat("and tokenize?", sessionId=sid)

    session = await daemon.request("victor/sessions/get", {"sessionId": sid})
    assert session["id"] == sid
    assert session["title"] == "Parsing questions"
    assert [(m["role"], m["content"]) for m in session["messages"]] == [
        ("user", "what does parse do?"),
        ("assistant", "Echo: what does parse do?"),
        ("user", "and tokenize?"),
        ("assistant", "Echo: and tokenize?"),
    ]
    assert all(parse_time(m["createdAt"]) >= before for m in session["messages"])
    assert not any(m.get("interrupted") for m in session["messages"])
    assert "summary" not in session

    listed = (await daemon.request("victor/sessions/list"))["sessions"]
    assert next(s for s in listed if s["id"] == sid)["messageCount"] == 4

    markdown = (await daemon.request("victor/sessions/export", {"sessionId": sid}))["markdown"]
    assert markdown.startswith("# Parsing questions")
    for text in ("what does parse do?", "Echo: and tokenize?"):
        assert text in markdown
    assert markdown.index("what does parse do?") < markdown.index("and tokenize?")

    assert await daemon.request("victor/sessions/delete", {"sessionId": sid}) == {"deleted": True}
    listed = (await daemon.request("victor/sessions/list", {}))["sessions"]
    assert sid not in [s["id"] for s in listed]
    error = await daemon.error_of("victor/sessions/get", {"sessionId": sid})
    assert error.code == INVALID_PARAMS


async def test_list_is_newest_first(daemon: Daemon) -> None:
    old = (await daemon.request("victor/sessions/new", {"title": "old"}))["sessionId"]
    new = (await daemon.request("victor/sessions/new", {"title": "new"}))["sessionId"]
    ids = [s["id"] for s in (await daemon.request("victor/sessions/list", {}))["sessions"]]
    assert ids.index(new) < ids.index(old)

    await daemon.chat("bump the old one", sessionId=old)  # activity makes it the newest
    ids = [s["id"] for s in (await daemon.request("victor/sessions/list", {}))["sessions"]]
    assert ids.index(old) < ids.index(new)


@pytest.mark.parametrize(
    "method",
    [
        "victor/sessions/get",
        "victor/sessions/delete",
        "victor/sessions/export",
        "victor/compact",
        "victor/chat",
        "victor/generate",
        "victor/systemPrompt",
    ],
)
async def test_unknown_session_id_is_invalid_params(
    daemon: Daemon, workspace: Path, method: str
) -> None:
    await daemon.chat("make sure a session exists")
    params: dict = {"sessionId": "no-such-session"}
    if method == "victor/chat":
        params["message"] = "hello"
    if method == "victor/generate":
        uri = daemon.open(workspace / "app.py")
        params.update(textDocument={"uri": uri}, instruction="x")

    error = await daemon.error_of(method, params)

    assert error.code == INVALID_PARAMS
    # the documented message, the same for every method
    assert error.message == "sessionId: no session 'no-such-session' in this workspace"
    # nothing was sent to the model, and the server still answers
    assert len(daemon.bodies()) == 1
    assert (await daemon.chat("still there?"))["content"] == "Echo: still there?"


async def test_sessions_survive_a_restart(
    start: StartDaemon, workspace: Path, data_dir: Path
) -> None:
    first = await start([workspace])
    sid = (await first.chat("remember: the password is swordfish"))["sessionId"]
    titled = (await first.request("victor/sessions/new", {"title": "kept"}))["sessionId"]
    await first.stop()
    assert first.returncode == 0

    second = await start([workspace])  # a new process, same VICTOR_DATA_DIR
    ids = [s["id"] for s in (await second.request("victor/sessions/list", {}))["sessions"]]
    assert sid in ids and titled in ids
    session = await second.request("victor/sessions/get", {"sessionId": sid})
    assert [m["content"] for m in session["messages"]] == [
        "remember: the password is swordfish",
        "Echo: remember: the password is swordfish",
    ]

    again = await second.chat("what is the password?", sessionId=sid)
    assert again["sessionId"] == sid
    history = second.last_body()["messages"]
    assert "swordfish" in user_texts(second.last_body())[0]
    assert len(history) == 3


async def test_sessions_are_not_shared_between_data_dirs(
    start: StartDaemon, workspace: Path, tmp_path: Path
) -> None:
    first = await start([workspace])
    sid = (await first.chat("hello"))["sessionId"]
    other = tmp_path / "other-data"
    other.mkdir()
    second = await start([workspace], data_dir=other)
    ids = [s["id"] for s in (await second.request("victor/sessions/list", {}))["sessions"]]
    assert sid not in ids


async def test_compact_a_long_session(daemon: Daemon) -> None:
    sid = (await daemon.request("victor/sessions/new", {}))["sessionId"]
    for i in range(10):
        await daemon.chat(f"question number {i}: " + "detail " * 30, sessionId=sid)
    daemon.model.enqueue(Reply(text="The user asked ten numbered questions with details."))

    report = await daemon.request("victor/compact", {"sessionId": sid})

    assert set(report) >= {"before", "after", "strategy", "compacted"}
    assert report["compacted"] is True
    assert report["strategy"] in ("summarize", "recent")
    assert report["before"]["messages"] == 20
    assert report["before"]["messages"] > report["after"]["messages"] >= 1
    assert report["before"]["tokens"] > report["after"]["tokens"] > 0

    # the transcript is kept for the user; the model gets the compacted context
    session = await daemon.request("victor/sessions/get", {"sessionId": sid})
    assert len(session["messages"]) == 20
    if report["strategy"] == "summarize":
        assert session.get("summary")
    after = await daemon.chat("and now?", sessionId=sid)
    assert after["sessionId"] == sid
    assert len(daemon.last_body()["messages"]) < 21


async def test_compact_with_nothing_to_compact_says_so(daemon: Daemon) -> None:
    sid = (await daemon.request("victor/sessions/new", {}))["sessionId"]
    await daemon.chat("a short question", sessionId=sid)

    report = await daemon.request("victor/compact", {"sessionId": sid})

    assert report["compacted"] is False
    assert report["strategy"] is None  # no strategy is named for what did not happen
    assert report["before"] == report["after"]
    assert report["before"]["messages"] == 2
    # the session goes on as before
    session = await daemon.request("victor/sessions/get", {"sessionId": sid})
    assert [m["content"] for m in session["messages"]] == [
        "a short question",
        "Echo: a short question",
    ]


async def test_context_usage_after_compaction_matches_the_next_turn(daemon: Daemon) -> None:
    """The editor's context meter must not drop to ~0 after a compaction and jump back."""
    sid = (await daemon.request("victor/sessions/new", {}))["sessionId"]
    for i in range(6):
        await daemon.chat(f"question {i}: " + "detail " * 30, sessionId=sid)
    daemon.model.enqueue(Reply(text="Six questions with details."))
    await daemon.request("victor/compact", {"sessionId": sid})
    after_compaction = daemon.client.notifications["victor/contextUsage"][-1]
    assert after_compaction["sessionId"] == sid

    turn = await daemon.chat("short", sessionId=sid)

    # the next turn only adds a short exchange to what was left
    assert 0 <= turn["context"]["tokens"] - after_compaction["tokens"] < 100
    assert after_compaction["window"] == turn["context"]["window"]


async def test_automatic_compaction_in_a_small_window(start: StartDaemon, workspace: Path) -> None:
    daemon = await start([workspace], init_options={"contextWindow": 2048})
    results = [await daemon.chat(f"turn {i} " + "word " * 20) for i in range(12)]

    compacted = [r for r in results if r["compacted"]]
    assert compacted, [r["context"] for r in results]
    assert all(r["context"]["window"] == 2048 for r in results)
    assert max(r["context"]["percent"] for r in results) <= 100
    sid = results[-1]["sessionId"]
    assert {r["sessionId"] for r in results} == {sid}
    # the user's transcript is complete; the model saw a shorter history
    session = await daemon.request("victor/sessions/get", {"sessionId": sid})
    assert len(session["messages"]) == 24
    assert session.get("summary")
    assert len(daemon.last_body()["messages"]) < 23
    # every context report stays consistent with the turn results: no meter near zero
    usages = [u["tokens"] for u in daemon.client.notifications["victor/contextUsage"]]
    assert min(usages) >= min(r["context"]["tokens"] for r in results) * 0.8
