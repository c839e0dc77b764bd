"""Persistent sessions: one SQLite database per workspace folder."""

from victor.storage.schema import SCHEMA_VERSION, SchemaTooNewError
from victor.storage.session_store import (
    SessionInfo,
    SessionNotFoundError,
    SessionStore,
    workspace_db_name,
)

__all__ = [
    "SCHEMA_VERSION",
    "SchemaTooNewError",
    "SessionInfo",
    "SessionNotFoundError",
    "SessionStore",
    "workspace_db_name",
]
