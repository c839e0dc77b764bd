"""Schema of the session database and the migrations that build it.

Each migration runs in its own transaction together with the bump of ``schema_version``, so a
crash during an upgrade leaves the database at the previous version, never half migrated.
"""

from __future__ import annotations

import sqlite3

# The same message columns serve the transcript (``messages``) and the compacted working
# context (``context_messages``), so one encoder/decoder handles both.
_MESSAGE_COLUMNS = """
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content TEXT NOT NULL,
    tool_calls TEXT NOT NULL DEFAULT '[]',
    tool_call_id TEXT,
    is_error INTEGER NOT NULL DEFAULT 0,
    pinned INTEGER NOT NULL DEFAULT 0,
    interrupted INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}'
"""

MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                title TEXT,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                summary TEXT,
                -- transcript rows <= context_upto are covered by context_messages;
                -- NULL means the session was never compacted.
                context_upto INTEGER
            )
            """,
            # AUTOINCREMENT: row ids are never reused, so an upto_id saved before a reset or a
            # delete can never accidentally cover messages appended later.
            f"""
            CREATE TABLE messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                {_MESSAGE_COLUMNS}
            )
            """,
            "CREATE INDEX messages_by_session ON messages(session_id, id)",
            f"""
            CREATE TABLE context_messages (
                session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                {_MESSAGE_COLUMNS},
                PRIMARY KEY (session_id, position)
            )
            """,
            "CREATE INDEX sessions_by_update ON sessions(updated_at)",
        ],
    ),
    (
        2,
        [
            # What agent mode changed: one row per reviewed (or dropped) change. Hashes, not
            # texts: the export says what changed without copying code into the store twice.
            """
            CREATE TABLE agent_changes (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                turn_id TEXT NOT NULL,
                change_id TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('edit', 'create', 'delete', 'rename')),
                path TEXT NOT NULL,
                new_path TEXT,
                status TEXT NOT NULL
                    CHECK (status IN ('accepted', 'rejected', 'conflict', 'failed', 'dropped')),
                reason TEXT,
                before_sha256 TEXT,
                after_sha256 TEXT,
                created_at REAL NOT NULL,
                -- 0 until the model was told the outcome (at the start of its next turn)
                told INTEGER NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX agent_changes_by_session ON agent_changes(session_id, id)",
        ],
    ),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer Victor; refusing to touch it protects its data."""


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database up to SCHEMA_VERSION; returns the version it ended at.

    ``conn`` must be in autocommit mode (isolation_level=None): transactions are explicit here.
    """
    # BEGIN IMMEDIATE takes the write lock first, so two daemons opening the same new file
    # cannot both run migration 1.
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"session database has schema version {version}; this Victor knows up to "
            f"{SCHEMA_VERSION}. Upgrade Victor or use another data directory."
        )
    for target, statements in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated meanwhile.
            if current_version(conn) >= target:
                conn.execute("COMMIT")
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = target
    return version
