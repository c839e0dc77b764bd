"""Sessions of one workspace folder, kept in a SQLite database.

Durability: the database runs in WAL mode with ``synchronous=FULL``. For a daemon killed with
SIGKILL, NORMAL would already be enough (a committed transaction is in the WAL file, i.e. in the
OS page cache, before COMMIT returns, and the OS writes it out after the process dies). FULL adds
an fsync of the WAL at every commit, which also keeps completed turns across a power cut or an OS
crash. The price is one fsync per turn, negligible next to a model call that takes seconds.
Every multi-row change (a turn's messages, a compaction) is one transaction, so after a crash a
turn is either completely there or not at all.

Thread safety: one connection (``check_same_thread=False``) guarded by a lock, because the
orchestrator calls these methods through ``asyncio.to_thread`` from whichever worker it gets.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from victor.errors import InvalidArgumentError, VictorError
from victor.protocols import Message
from victor.storage import codec
from victor.storage.export import render_markdown
from victor.storage.schema import migrate

_FIELDS = ", ".join(codec.MESSAGE_FIELDS)
_PLACEHOLDERS = ", ".join("?" for _ in codec.MESSAGE_FIELDS)
_TITLE_CHARS = 60


class SessionNotFoundError(VictorError, KeyError):
    """No session with that id in this workspace's store."""

    def __init__(self, session_id: str) -> None:
        super().__init__(session_id)
        self.session_id = session_id

    def __str__(self) -> str:
        # KeyError's str() would quote the message; callers put this text in front of users.
        return f"no session '{self.session_id}' in this workspace"


@dataclass(slots=True)
class SessionInfo:
    id: str
    title: str | None
    created_at: float
    updated_at: float
    message_count: int
    summary: str | None


class SessionStore:
    """Sessions, their transcripts and their compacted contexts, in one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            _create_private(Path(self.path))
        self._lock = threading.RLock()
        self._all_told: set[str] = set()  # sessions without untold agent changes (change_log)
        # isolation_level=None: autocommit, so transactions are exactly the BEGIN/COMMIT below.
        # timeout: another daemon (a second editor window) may hold the write lock briefly.
        self._conn = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            migrate(self._conn)
        except BaseException:
            self._conn.close()
            raise
        row = self._conn.execute("SELECT max(updated_at) FROM sessions").fetchone()
        self._last_stamp = float(row[0] or 0.0)
        self._closed = False

    @classmethod
    def for_workspace(cls, workspace: Path, data_dir: Path | None = None) -> SessionStore:
        """The store of ``workspace``, under ``data_dir/workspaces`` (created if needed)."""
        if data_dir is None:
            import platformdirs

            data_dir = Path(platformdirs.user_data_dir("victor-lsp"))
        return cls(Path(data_dir) / "workspaces" / workspace_db_name(workspace))

    # ------------------------------------------------------------------ sessions

    def create_session(
        self, title: str | None = None, session_id: str | None = None
    ) -> SessionInfo:
        sid = uuid.uuid4().hex if session_id is None else session_id
        if not isinstance(sid, str) or not sid:
            raise InvalidArgumentError("session_id must be a non-empty string")
        with self._write() as conn:
            if self._exists(sid):
                raise InvalidArgumentError(f"session '{sid}' already exists in this workspace")
            now = self._stamp()
            conn.execute(
                "INSERT INTO sessions (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (sid, _clean_title(title), now, now),
            )
        return self.get_session(sid)

    def get_session(self, session_id: str) -> SessionInfo:
        with self._lock:
            rows = self._infos("WHERE s.id = ?", (session_id,))
        if not rows:
            raise SessionNotFoundError(session_id)
        return rows[0]

    def has_session(self, session_id: str) -> bool:
        """Cheaper than ``get_session`` (no message count): for checks on every turn."""
        with self._lock:
            return self._exists(session_id)

    def list_sessions(self) -> list[SessionInfo]:
        """All sessions, most recently updated first."""
        with self._lock:
            return self._infos("", ())

    def latest_session(self) -> SessionInfo | None:
        with self._lock:
            rows = self._infos("", (), limit=1)
        return rows[0] if rows else None

    def set_title(self, session_id: str, title: str | None) -> None:
        with self._write() as conn:
            self._require(session_id)
            conn.execute(
                "UPDATE sessions SET title = ? WHERE id = ?", (_clean_title(title), session_id)
            )

    def delete_session(self, session_id: str) -> None:
        with self._write() as conn:
            self._require(session_id)
            # Messages and context rows go with it: ON DELETE CASCADE.
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def reset_session(self, session_id: str) -> None:
        """Forget the messages and the compacted context; keep the session and its title."""
        with self._write() as conn:
            self._require(session_id)
            conn.execute("DELETE FROM messages WHERE session_id = ?", (session_id,))
            conn.execute("DELETE FROM context_messages WHERE session_id = ?", (session_id,))
            conn.execute(
                "UPDATE sessions SET summary = NULL, context_upto = NULL, updated_at = ? "
                "WHERE id = ?",
                (self._stamp(), session_id),
            )

    # ------------------------------------------------------------------ messages

    def append_messages(self, session_id: str, messages: list[Message]) -> list[int]:
        """Append ``messages`` in one transaction; returns their row ids in order."""
        # Encode first: a message that cannot be stored fails before anything is written.
        rows = [codec.encode(m, i) for i, m in enumerate(messages)]
        with self._write() as conn:
            title = self._require(session_id)
            ids = []
            for row in rows:
                cursor = conn.execute(
                    f"INSERT INTO messages (session_id, {_FIELDS}) VALUES (?, {_PLACEHOLDERS})",
                    (session_id, *row),
                )
                ids.append(int(cursor.lastrowid or 0))
            if title is None:
                first_user = next((m for m in messages if m.role == "user"), None)
                if first_user is not None:
                    title = _default_title(first_user.content)
            conn.execute(
                "UPDATE sessions SET updated_at = ?, title = ? WHERE id = ?",
                (self._stamp(), title, session_id),
            )
        return ids

    def transcript(self, session_id: str) -> list[Message]:
        """Every message ever appended (since the last reset), in order."""
        with self._lock:
            self._require(session_id)
            rows = self._conn.execute(
                f"SELECT {_FIELDS} FROM messages WHERE session_id = ? ORDER BY id",
                (session_id,),
            ).fetchall()
        return [codec.decode(r) for r in rows]

    def last_message_id(self, session_id: str) -> int | None:
        """Row id of the session's newest transcript message (None when it has none)."""
        with self._lock:
            self._require(session_id)
            (last,) = self._conn.execute(
                "SELECT max(id) FROM messages WHERE session_id = ?", (session_id,)
            ).fetchone()
        return None if last is None else int(last)

    def save_context(
        self, session_id: str, messages: list[Message], upto_id: int, summary: str | None
    ) -> None:
        """Record a compaction: ``messages`` replace transcript rows with id <= ``upto_id``.

        ``summary`` becomes the session's summary as given (None clears it).
        """
        rows = [codec.encode(m, i) for i, m in enumerate(messages)]
        if isinstance(upto_id, bool) or not isinstance(upto_id, int) or upto_id < 0:
            raise InvalidArgumentError(
                "upto_id must be a non-negative integer (a transcript row id)"
            )
        with self._write() as conn:
            self._require(session_id)
            conn.execute("DELETE FROM context_messages WHERE session_id = ?", (session_id,))
            conn.executemany(
                f"INSERT INTO context_messages (session_id, position, {_FIELDS}) "
                f"VALUES (?, ?, {_PLACEHOLDERS})",
                [(session_id, pos, *row) for pos, row in enumerate(rows)],
            )
            conn.execute(
                "UPDATE sessions SET context_upto = ?, summary = ?, updated_at = ? WHERE id = ?",
                (upto_id, summary and codec.storable_text(summary), self._stamp(), session_id),
            )

    def load_context(self, session_id: str) -> list[Message]:
        """The working context: last saved context + transcript rows after it."""
        with self._lock:
            self._require(session_id)
            (upto,) = self._conn.execute(
                "SELECT context_upto FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if upto is None:
                saved: list[tuple] = []
                upto = 0
            else:
                saved = self._conn.execute(
                    f"SELECT {_FIELDS} FROM context_messages WHERE session_id = ? "
                    "ORDER BY position",
                    (session_id,),
                ).fetchall()
            tail = self._conn.execute(
                f"SELECT {_FIELDS} FROM messages WHERE session_id = ? AND id > ? ORDER BY id",
                (session_id, upto),
            ).fetchall()
        return [codec.decode(r) for r in (*saved, *tail)]

    def export_markdown(self, session_id: str) -> str:
        from victor.storage.change_log import ChangeLog

        info = self.get_session(session_id)
        return render_markdown(
            session_id=info.id,
            title=info.title,
            created_at=info.created_at,
            updated_at=info.updated_at,
            summary=info.summary,
            messages=self.transcript(session_id),
            changes=ChangeLog(self).changes(session_id),
        )

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            # IMMEDIATE: take the write lock up front, so a concurrent writer in another process
            # makes us wait (busy timeout) instead of failing halfway through.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _stamp(self) -> float:
        # Strictly increasing within this store, so "most recently updated" is unambiguous even
        # when the clock's resolution is coarse (Windows) or it steps back.
        self._last_stamp = max(time.time(), self._last_stamp + 1e-6)
        return self._last_stamp

    def _exists(self, session_id: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return row is not None

    def _require(self, session_id: str) -> str | None:
        """The session's title; SessionNotFoundError if there is no such session."""
        row = self._conn.execute(
            "SELECT title FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise SessionNotFoundError(session_id)
        return row[0]

    def _infos(self, where: str, params: tuple, limit: int | None = None) -> list[SessionInfo]:
        sql = (
            "SELECT s.id, s.title, s.created_at, s.updated_at, "
            "(SELECT count(*) FROM messages m WHERE m.session_id = s.id), s.summary "
            f"FROM sessions s {where} ORDER BY s.updated_at DESC, s.rowid DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [SessionInfo(*row) for row in self._conn.execute(sql, params).fetchall()]


def workspace_db_name(workspace: Path | str) -> str:
    """File name for a workspace's database: readable slug + hash of the resolved path."""
    resolved = os.path.normcase(os.path.realpath(workspace))
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(resolved).name).strip("-.")[:40] or "root"
    return f"{slug}-{digest}.sqlite3"


def _create_private(path: Path) -> None:
    # Conversations may quote private code: keep the directory and file owner-only. SQLite
    # gives its -wal and -shm files the main file's permissions.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _clean_title(title: str | None) -> str | None:
    if title is None:
        return None
    cleaned = " ".join(codec.storable_text(str(title)).split())
    return cleaned or None


def _default_title(content: str) -> str | None:
    text = " ".join(codec.storable_text(content).split())
    if len(text) <= _TITLE_CHARS:
        return text or None
    cut = text[:_TITLE_CHARS]
    # Cut at a word boundary when there is one reasonably close to the limit.
    if " " in cut[_TITLE_CHARS // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"
