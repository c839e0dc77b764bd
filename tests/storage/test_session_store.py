from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from victor.protocols import Message, ToolCall
from victor.storage import SessionNotFoundError, SessionStore, workspace_db_name
from victor.storage.schema import SCHEMA_VERSION, SchemaTooNewError


@pytest.fixture
def store(tmp_path: Path):
    s = SessionStore(tmp_path / "s.sqlite3")
    yield s
    s.close()


def full_turn(n: int = 0) -> list[Message]:
    return [
        Message(role="user", content=f"question {n}", created_at=1000.0 + n),
        Message(
            role="assistant",
            content="let me look",
            tool_calls=[ToolCall(id=f"t{n}", name="read_file", arguments={"path": "a.py"})],
            metadata={"usage": {"input": 10}},
        ),
        Message(role="tool", content="1\tx = 1", tool_call_id=f"t{n}", is_error=True),
        Message(role="assistant", content="partial", interrupted=True, pinned=True),
    ]


def test_round_trip_every_field(store: SessionStore) -> None:
    sid = store.create_session().id
    messages = full_turn()
    ids = store.append_messages(sid, messages)
    assert len(ids) == 4 and ids == sorted(ids)
    assert store.transcript(sid) == messages


def test_last_message_id(store: SessionStore) -> None:
    sid = store.create_session().id
    assert store.last_message_id(sid) is None
    ids = store.append_messages(sid, full_turn())
    store.append_messages(store.create_session().id, full_turn())
    assert store.last_message_id(sid) == ids[-1]


def test_order_and_counts(store: SessionStore) -> None:
    sid = store.create_session("t").id
    for n in range(5):
        store.append_messages(sid, [Message(role="user", content=str(n))])
    assert [m.content for m in store.transcript(sid)] == ["0", "1", "2", "3", "4"]
    assert store.get_session(sid).message_count == 5


def test_list_order_most_recent_first(store: SessionStore) -> None:
    a = store.create_session("a").id
    b = store.create_session("b").id
    c = store.create_session("c").id
    assert [s.id for s in store.list_sessions()] == [c, b, a]
    store.append_messages(a, [Message(role="user", content="hi")])
    assert [s.id for s in store.list_sessions()] == [a, c, b]
    assert store.latest_session().id == a


def test_latest_session_none_when_empty(store: SessionStore) -> None:
    assert store.latest_session() is None
    assert store.list_sessions() == []


def test_default_title_from_first_user_message(store: SessionStore) -> None:
    sid = store.create_session().id
    assert store.get_session(sid).title is None
    long = "Explain   how the parser\nhandles nested brackets in " + "very " * 30 + "long input"
    store.append_messages(sid, [Message(role="system", content="sys"), Message("user", long)])
    title = store.get_session(sid).title
    assert title.startswith("Explain how the parser handles nested brackets")
    assert len(title) <= 61 and title.endswith("…")
    store.append_messages(sid, [Message(role="user", content="second")])
    assert store.get_session(sid).title == title  # only the first sets it


def test_explicit_title_is_kept_and_settable(store: SessionStore) -> None:
    sid = store.create_session("Mine").id
    store.append_messages(sid, [Message(role="user", content="hello")])
    assert store.get_session(sid).title == "Mine"
    store.set_title(sid, "Renamed")
    assert store.get_session(sid).title == "Renamed"


def test_create_with_given_id_and_duplicate(store: SessionStore) -> None:
    assert store.create_session(session_id="abc").id == "abc"
    with pytest.raises(ValueError, match="already exists"):
        store.create_session(session_id="abc")


UNKNOWN_CALLS = [
    ("get_session", ()),
    ("set_title", ("x",)),
    ("delete_session", ()),
    ("append_messages", ([Message(role="user", content="x")],)),
    ("append_messages", ([],)),
    ("transcript", ()),
    ("last_message_id", ()),
    ("save_context", ([], 0, None)),
    ("load_context", ()),
    ("reset_session", ()),
    ("export_markdown", ()),
]


@pytest.mark.parametrize(("method", "args"), UNKNOWN_CALLS)
def test_unknown_session_errors(store: SessionStore, method: str, args: tuple) -> None:
    with pytest.raises(SessionNotFoundError) as info:
        getattr(store, method)("nope", *args)
    assert str(info.value) == "no session 'nope' in this workspace"
    assert isinstance(info.value, KeyError)


def test_unknown_session_append_writes_nothing(store: SessionStore) -> None:
    with pytest.raises(SessionNotFoundError):
        store.append_messages("nope", [Message(role="user", content="x")])
    assert store._conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_invalid_message_writes_nothing(store: SessionStore) -> None:
    sid = store.create_session().id
    bad = Message(role="user", content="x", metadata={"obj": object()})
    with pytest.raises(ValueError, match="message 1: metadata"):
        store.append_messages(sid, [Message(role="user", content="ok"), bad])
    with pytest.raises(ValueError, match="role"):
        store.append_messages(sid, [Message(role="robot", content="x")])  # type: ignore[arg-type]
    assert store.transcript(sid) == []


def test_reset_keeps_session(store: SessionStore) -> None:
    sid = store.create_session("keep").id
    store.append_messages(sid, full_turn())
    store.save_context(sid, [Message(role="system", content="sum")], 1, "summary")
    store.reset_session(sid)
    info = store.get_session(sid)
    assert (info.title, info.message_count, info.summary) == ("keep", 0, None)
    assert store.transcript(sid) == [] and store.load_context(sid) == []


def test_delete_cascades(store: SessionStore) -> None:
    sid = store.create_session().id
    other = store.create_session().id
    store.append_messages(sid, full_turn())
    store.append_messages(other, full_turn())
    ids = store.append_messages(sid, full_turn(1))
    store.save_context(sid, [Message(role="system", content="sum")], ids[-1], "s")
    store.delete_session(sid)
    with pytest.raises(SessionNotFoundError):
        store.get_session(sid)
    conn = store._conn
    assert (
        conn.execute("SELECT count(*) FROM messages WHERE session_id=?", (sid,)).fetchone()[0] == 0
    )
    assert conn.execute("SELECT count(*) FROM context_messages").fetchone()[0] == 0
    assert len(store.transcript(other)) == 4
    with pytest.raises(SessionNotFoundError):
        store.delete_session(sid)


def test_load_context_without_and_after_compaction(store: SessionStore) -> None:
    sid = store.create_session().id
    first = store.append_messages(sid, full_turn(0))
    assert store.load_context(sid) == store.transcript(sid)
    summary = Message(role="system", content="Summary: asked q0", pinned=True)
    store.save_context(sid, [summary], first[-1], "asked q0")
    after = full_turn(1)
    store.append_messages(sid, after)
    assert store.load_context(sid) == [summary, *after]
    assert len(store.transcript(sid)) == 8  # the transcript keeps everything
    assert store.get_session(sid).summary == "asked q0"
    # A second compaction replaces the first.
    store.save_context(sid, [Message(role="system", content="s2")], 10**9, None)
    assert [m.content for m in store.load_context(sid)] == ["s2"]
    assert store.get_session(sid).summary is None
    with pytest.raises(ValueError, match="upto_id"):
        store.save_context(sid, [], -1, None)


def test_survives_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    turn = full_turn()
    with SessionStore(path) as s:
        sid = s.create_session("persist").id
        s.append_messages(sid, turn)
        s.save_context(sid, [Message(role="system", content="ctx")], 0, "sum")
    with SessionStore(path) as s:
        assert s.get_session(sid).title == "persist"
        assert s.transcript(sid) == turn
        assert s.load_context(sid)[0].content == "ctx"
        assert s.latest_session().id == sid


def test_pragmas_and_schema_version(store: SessionStore) -> None:
    conn = store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    SessionStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError, match="schema version"):
        SessionStore(path)


def test_memory_store() -> None:
    with SessionStore(":memory:") as s:
        sid = s.create_session().id
        s.append_messages(sid, [Message(role="user", content="x")])
        assert s.get_session(sid).message_count == 1


def test_for_workspace_file_name(tmp_path: Path) -> None:
    ws = tmp_path / "My Project!"
    ws.mkdir()
    data = tmp_path / "data"
    with SessionStore.for_workspace(ws, data_dir=data) as s:
        sid = s.create_session().id
    files = list((data / "workspaces").glob("*.sqlite3"))
    assert len(files) == 1 and files[0].name.startswith("My-Project-")
    assert files[0].name == workspace_db_name(ws)
    assert workspace_db_name(ws) != workspace_db_name(tmp_path / "other" / "My Project!")
    with SessionStore.for_workspace(ws, data_dir=data) as s:
        assert s.get_session(sid).id == sid


def test_lone_surrogates_do_not_lose_the_turn(store: SessionStore) -> None:
    sid = store.create_session().id
    msg = Message(role="user", content="bad \ud800 text", metadata={"k": "\udfff"})
    store.append_messages(sid, [msg])
    (back,) = store.transcript(sid)
    assert back.content == "bad \ufffd text"
    assert back.metadata == {"k": "\udfff"}  # JSON fields escape them losslessly


def test_concurrent_appends_from_threads(store: SessionStore) -> None:
    sessions = [store.create_session().id for _ in range(3)]
    errors: list[BaseException] = []
    returned: list[int] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        try:
            for n in range(40):
                sid = sessions[(w + n) % 3]
                pair = [
                    Message(role="user", content=f"{w}:{n}:q"),
                    Message(role="assistant", content=f"{w}:{n}:a"),
                ]
                ids = store.append_messages(sid, pair)
                with lock:
                    returned.extend(ids)
                store.list_sessions()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(returned) == len(set(returned)) == 8 * 40 * 2
    total = 0
    for sid in sessions:
        transcript = store.transcript(sid)
        total += len(transcript)
        # Each pair was one transaction under the lock: question and answer stay adjacent.
        for q, a in zip(transcript[::2], transcript[1::2], strict=True):
            assert q.content[:-1] == a.content[:-1]
    assert total == 8 * 40 * 2
