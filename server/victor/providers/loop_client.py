"""HTTP clients bound to the event loop they were made on.

An async HTTP client's pooled connections belong to the loop that opened them. A library
user calling ``asyncio.run(orchestrator.chat(...))`` twice runs each turn on a new loop;
reusing the first loop's client there makes the first read on a pooled connection fail, and
the retry sends the request a second time (billed twice). So each loop gets its own client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
C = TypeVar("C")


class LoopBoundClient(Generic[C]):
    """``get()`` returns the client made for the running loop, making one if needed."""

    def __init__(self, make: Callable[[], C], close: Callable[[C], Awaitable[object]]) -> None:
        self._make = make
        self._close = close
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: C | None = None

    def get(self) -> C:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            old_loop, old = self._loop, self._client
            self._loop, self._client = loop, self._make()
            if old is not None and old_loop is not None and old_loop.is_running():
                # Still running elsewhere (another thread's loop): close it there.
                with contextlib.suppress(RuntimeError):
                    asyncio.run_coroutine_threadsafe(self._aclose(old), old_loop)
            # A finished loop (asyncio.run closes it) took its sockets with it.
        return self._client

    @property
    def current(self) -> C | None:
        """The client of the running loop, if one was made (never makes one)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return self._client if self._loop is loop else None

    async def aclose(self) -> None:
        client = self.current
        self._client, self._loop = None, None
        if client is not None:
            await self._aclose(client)

    async def _aclose(self, client: C) -> None:
        try:
            await self._close(client)
        except Exception:  # closing is best effort
            log.debug("closing an HTTP client failed", exc_info=True)
