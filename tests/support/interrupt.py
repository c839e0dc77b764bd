"""Interrupting a streamed turn the way an editor's Stop button does."""

from __future__ import annotations

import asyncio
from typing import Any

from victor.agent.events import TextDelta


async def interrupted_turn(orchestrator: Any, text: str, after_deltas: int) -> list[str]:
    """Stream ``text`` (a ``[[slow]]`` question for the local model server), cancel the
    consumer after ``after_deltas`` text deltas, and return the deltas seen. The cancelled
    task is awaited; its CancelledError is returned, not raised."""
    seen: list[str] = []

    async def consume() -> None:
        async for event in orchestrator.stream_chat(text):
            if isinstance(event, TextDelta):
                seen.append(event.text)

    task = asyncio.create_task(consume())
    while len(seen) < after_deltas:
        await asyncio.sleep(0.02)
    task.cancel()
    (outcome,) = await asyncio.gather(task, return_exceptions=True)
    assert isinstance(outcome, asyncio.CancelledError), outcome
    return seen
