"""Partial results: agent events -> ``$/progress`` on the request's partialResultToken."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from lsprotocol import types

from victor.agent.events import AgentEvent, TextDelta, ToolCallStarted, ToolResultReady

# Deltas that arrive within this many seconds of the last send are merged into one
# notification: a fast model can emit thousands of tiny deltas per second.
COALESCE_SECONDS = 0.015


class PartialResults:
    def __init__(self, ls: Any, token: int | str | None) -> None:
        self.ls = ls
        self.token = token
        self.session_id = ""
        self.turn_id = ""
        self._buffer: list[str] = []
        self._last_send = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def started(self, session_id: str, turn_id: str) -> None:
        self.session_id, self.turn_id = session_id, turn_id

    def forward(self, event: AgentEvent) -> None:
        if self.token is None:
            return
        if isinstance(event, TextDelta):
            self._buffer.append(event.text)
            now = time.monotonic()
            if now - self._last_send >= COALESCE_SECONDS:
                self.flush()
            elif self._timer is None:
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(COALESCE_SECONDS, self.flush)
        elif isinstance(event, ToolCallStarted):
            self.flush()
            call = event.call
            self._send(
                {"toolCall": {"id": call.id, "name": call.name, "arguments": call.arguments}}
            )
        elif isinstance(event, ToolResultReady):
            self.flush()
            self._send(
                {
                    "toolResult": {
                        "id": event.call_id,
                        "name": event.name,
                        "content": event.content,
                        "isError": event.is_error,
                    }
                }
            )

    def send(self, value: dict[str, Any]) -> None:
        """A partial result of its own (agent mode: ``changes``, ``review``, ``toolOutput``),
        after the text streamed so far."""
        if self.token is None:
            return
        self.flush()
        self._send(value)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._buffer:
            text = "".join(self._buffer)
            self._buffer.clear()
            self._send({"delta": text})

    def close(self) -> None:
        """Drop anything unsent (the request was cancelled or failed)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._buffer.clear()

    def _send(self, value: dict[str, Any]) -> None:
        self._last_send = time.monotonic()
        # A typed ProgressParams: pygls serializes ``$/progress`` with lsprotocol's
        # ProgressNotification, which cannot unstructure a plain dict.
        self.ls.progress(
            types.ProgressParams(
                token=self.token,
                value={"sessionId": self.session_id, "turnId": self.turn_id, **value},
            )
        )
