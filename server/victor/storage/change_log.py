"""What agent mode changed in a session: one row per reviewed (or dropped) change.

Rows hold the file, the kind of change, the outcome and the SHA-256 of the text before and
after (never the texts: the transcript already has what the model wrote). ``told`` marks the
outcomes the model has been told about (at the start of its next turn).

Every turn asks whether its session has untold outcomes; almost always it has none, and
asking SQLite means a thread hop per turn. So the store remembers the sessions it knows to
have none (checked, or marked told, since this process last recorded outcomes for them) and
the question is answered without a query. Another process (a second editor window) writing
outcomes for the same session is not seen until this one loads the session again; neither
is the rest of that other window's turn (the working context is loaded from the store once
per process).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from victor.storage.session_store import SessionStore

_COLUMNS = (
    "turn_id, change_id, kind, path, new_path, status, reason, before_sha256, after_sha256, "
    "created_at"
)


def sha256_of(text: str | None) -> str | None:
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(slots=True)
class ChangeRecord:
    turn_id: str
    change_id: str
    kind: str
    path: str  # relative to the workspace folder
    new_path: str | None
    status: str
    reason: str | None
    before_sha256: str | None
    after_sha256: str | None
    created_at: float = 0.0


class ChangeLog:
    """The ``agent_changes`` table of a session store (same connection, same lock)."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def record(self, session_id: str, records: list[ChangeRecord]) -> None:
        if not records:
            return
        now = time.time()
        with self.store._write() as conn:
            self.store._require(session_id)
            self.store._all_told.discard(session_id)
            conn.executemany(
                f"INSERT INTO agent_changes (session_id, {_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        session_id,
                        r.turn_id,
                        r.change_id,
                        r.kind,
                        r.path,
                        r.new_path,
                        r.status,
                        r.reason,
                        r.before_sha256,
                        r.after_sha256,
                        r.created_at or now,
                    )
                    for r in records
                ],
            )

    def changes(self, session_id: str, *, untold: bool = False) -> list[ChangeRecord]:
        where = "session_id = ?" + (" AND told = 0" if untold else "")
        with self.store._lock:
            rows = self.store._conn.execute(
                f"SELECT {_COLUMNS} FROM agent_changes WHERE {where} ORDER BY id", (session_id,)
            ).fetchall()
            if untold and not rows:
                self.store._all_told.add(session_id)
        return [ChangeRecord(*row) for row in rows]

    def all_told(self, session_id: str) -> bool:
        """True when the session is known to have no untold outcomes without asking SQLite
        (see the module's docstring); False means: ask (``changes(untold=True)``)."""
        return session_id in self.store._all_told

    def mark_told(self, session_id: str) -> None:
        with self.store._write() as conn:
            conn.execute(
                "UPDATE agent_changes SET told = 1 WHERE session_id = ? AND told = 0",
                (session_id,),
            )
            self.store._all_told.add(session_id)
