"""SessionCoordinator: which session a turn belongs to, and its persistence."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from victor.protocols import Message

if TYPE_CHECKING:
    from victor.storage.session_store import SessionInfo, SessionStore


class SessionCoordinator:
    """Owns the session store of one workspace (or an in-memory one without a workspace).

    The orchestrator's current session is the one the last turn used; without an explicit
    id, a turn continues the most recent session, creating one when there is none.
    Blocking SQLite work runs in a thread (``a*`` methods); the synchronous methods exist
    for the seed API (``reset_session``) and are quick.
    """

    def __init__(self, store: SessionStore | None = None) -> None:
        if store is None:
            from victor.storage.session_store import SessionStore

            store = SessionStore(":memory:")
        self.store = store
        self.current_session_id: str | None = None
        self._last_row: dict[str, int] = {}
        self._reset_listeners: list[Callable[[str], None]] = []

    def on_reset(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(session_id)`` when a session is reset or deleted."""
        self._reset_listeners.append(callback)

    # ------------------------------------------------------------------ resolving

    def resolve(self, session_id: str | None = None, *, create: bool = True) -> str:
        """The id a turn should use.

        A named session that does not exist yet is created under that name (the seed's
        ``chat(text, session_id="user-42")``); callers that must refuse unknown ids (the
        LSP methods) check with ``store.get_session`` first.
        """
        if session_id:
            if session_id != self.current_session_id and not self.store.has_session(session_id):
                self.store.create_session(session_id=session_id)
            self.current_session_id = session_id
            return session_id
        if self.current_session_id:
            return self.current_session_id
        latest = self.store.latest_session()
        if latest is None:
            if not create:
                raise LookupError("no session yet")
            latest = self.store.create_session()
        self.current_session_id = latest.id
        return latest.id

    async def aresolve(self, session_id: str | None = None) -> str:
        """``resolve`` in a thread when it may touch SQLite; the current session (every turn
        after a session's first) needs neither, and a thread hop costs about as much CPU as
        the rest of a turn's bookkeeping (bench/bench_context.py)."""
        if self.current_session_id and session_id in (None, self.current_session_id):
            return self.resolve(session_id)
        return await asyncio.to_thread(self.resolve, session_id)

    def new_session(self, title: str | None = None) -> SessionInfo:
        """Create a session and make it the current one."""
        info = self.store.create_session(title=title)
        self.current_session_id = info.id
        return info

    # ------------------------------------------------------------------ persistence

    async def load_context(self, session_id: str) -> list[Message]:
        """A session's working context from the store (saved context + later messages)."""
        return await asyncio.to_thread(self.store.load_context, session_id)

    async def append(self, session_id: str, messages: list[Message]) -> None:
        """Add a turn's messages to the session's transcript (one transaction)."""
        ids = await asyncio.to_thread(self.store.append_messages, session_id, messages)
        if ids:
            self._last_row[session_id] = max(ids)

    def append_now(self, session_id: str, messages: list[Message]) -> None:
        """Synchronous append, for cancellation paths where awaiting is not safe."""
        ids = self.store.append_messages(session_id, messages)
        if ids:
            self._last_row[session_id] = max(ids)

    async def save_context(
        self, session_id: str, messages: list[Message], summary: str | None
    ) -> None:
        """Record ``messages`` as the session's working context as of its last message."""
        await asyncio.to_thread(self.save_context_now, session_id, messages, summary)

    def save_context_now(
        self, session_id: str, messages: list[Message], summary: str | None
    ) -> None:
        """``save_context``, synchronously (for the synchronous seed API, e.g. reset)."""
        upto = self._last_row.get(session_id)
        if upto is None:
            upto = self.store.last_message_id(session_id)
        self.store.save_context(session_id, messages, upto or 0, summary)

    # ------------------------------------------------------------------ management

    def reset_session(self, session_id: str) -> None:
        """Forget a session's messages, context and analytics; keep the session itself."""
        self.store.reset_session(session_id)
        self._last_row.pop(session_id, None)
        for callback in self._reset_listeners:
            callback(session_id)

    def delete_session(self, session_id: str) -> None:
        """Delete a session with its messages, context and analytics."""
        self.store.delete_session(session_id)
        self._last_row.pop(session_id, None)
        if self.current_session_id == session_id:
            self.current_session_id = None
        for callback in self._reset_listeners:
            callback(session_id)

    def close(self) -> None:
        """Close the store."""
        self.store.close()
