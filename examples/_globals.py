"""The globals the seed examples leave undefined: ``settings``, ``provider``, ``model``, a db.

Each example does ``from _globals import *`` before its own code, which is otherwise the
seed's text unchanged. The provider follows the environment: ANTHROPIC_API_KEY (and
ANTHROPIC_BASE_URL), or OPENAI_BASE_URL for a local server, else the preview provider.
"""

import json
import sqlite3

from victor.config.settings import Settings
from victor.providers import create_provider

settings = Settings()
provider = create_provider(settings)
model = settings.model or getattr(provider, "default_model", "") or "claude-sonnet-4-5"


class _SqliteDb:
    """A tiny async-looking database (asyncpg's ``fetchrow`` shape) on stdlib sqlite3."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:")
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("CREATE TABLE sessions (session_id TEXT PRIMARY KEY, config TEXT)")
        self._conn.execute(
            "INSERT INTO sessions VALUES (?, ?)",
            ("user-session-123", json.dumps({"model": model, "max_tokens": 1024})),
        )

    async def fetchrow(self, query: str, *args: object) -> dict | None:
        row = self._conn.execute(query.replace("$1", "?"), args).fetchone()
        return {"config": json.loads(row["config"])} if row else None


your_db = _SqliteDb()
