"""What agent mode changed, in the session store: migration 2, records, the export."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from victor.storage.change_log import ChangeLog, ChangeRecord, sha256_of
from victor.storage.schema import MIGRATIONS, SCHEMA_VERSION
from victor.storage.session_store import SessionStore


def _record(status: str, path: str = "src/app.py", reason: str | None = None) -> ChangeRecord:
    return ChangeRecord(
        turn_id="turn-1234abcd",
        change_id="c1",
        kind="edit",
        path=path,
        new_path=None,
        status=status,
        reason=reason,
        before_sha256=sha256_of("old\n"),
        after_sha256=sha256_of("new\n"),
    )


def test_a_version_1_database_is_migrated_and_keeps_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for statement in MIGRATIONS[0][1]:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute(
        "INSERT INTO sessions (id, title, created_at, updated_at) VALUES ('s1', 'old', 1, 1)"
    )
    conn.close()

    with SessionStore(path) as store:
        assert store.get_session("s1").title == "old"
        ChangeLog(store).record("s1", [_record("accepted")])
        assert [r.status for r in ChangeLog(store).changes("s1")] == ["accepted"]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_untold_outcomes_are_told_once_and_the_export_lists_every_change(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "s.sqlite3") as store:
        sid = store.create_session("agent").id
        log = ChangeLog(store)
        log.record(sid, [_record("accepted"), _record("rejected", "b|c.py", "no\nthanks")])
        assert len(log.changes(sid, untold=True)) == 2
        log.mark_told(sid)
        assert log.changes(sid, untold=True) == []
        markdown = store.export_markdown(sid)
        assert "## Changes made by the agent" in markdown
        old, new = sha256_of("old\n"), sha256_of("new\n")
        assert f"`{old}`" in markdown and f"`{new}`" in markdown
        assert "| turn-123 | src/app.py | edit | accepted |" in markdown
        assert "rejected (no thanks)" in markdown and "b\\|c.py" in markdown
        store.delete_session(sid)  # rows go with the session
        assert log.changes(sid) == []


def test_a_session_found_without_untold_outcomes_still_sees_the_next_ones(
    tmp_path: Path,
) -> None:
    """Every turn asks for untold outcomes; the store answers "none" without a query once it
    knows, and must stop doing so as soon as outcomes are recorded."""
    with SessionStore(tmp_path / "s.sqlite3") as store:
        sid = store.create_session("agent").id
        log = ChangeLog(store)
        assert not log.all_told(sid)  # not known yet: ask SQLite
        assert log.changes(sid, untold=True) == []
        assert log.all_told(sid)
        ChangeLog(store).record(sid, [_record("rejected", reason="no")])
        assert not log.all_told(sid)
        assert [r.status for r in log.changes(sid, untold=True)] == ["rejected"]
        assert not log.all_told(sid)
        log.mark_told(sid)
        assert log.all_told(sid) and log.changes(sid, untold=True) == []
        ChangeLog(store).record(sid, [_record("accepted")])
        # another process on the same file (a second editor window) knows nothing: it asks
        with SessionStore(tmp_path / "s.sqlite3") as other:
            assert not ChangeLog(other).all_told(sid)
            assert [r.status for r in ChangeLog(other).changes(sid, untold=True)] == ["accepted"]
