"""InlineCompleter: cache while typing through, one request per document, superseding."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.model_server import ModelServer, Reply
from victor.agent.completions.context import CompletionInput
from victor.agent.completions.engine import InlineCompleter, Superseded
from victor.providers.completion import OpenAICompletionClient

BASE = "def add(a, b):\n    "


def make_input(text: str) -> CompletionInput:
    return CompletionInput(Path("/ws/a.py"), "a.py", "python", text, offset=len(text))


async def ask(completer: InlineCompleter, prefix: str, suffix: str = "\n") -> list[str]:
    return await completer.complete("a.py", prefix, suffix, lambda: make_input(prefix + suffix))


async def test_typing_through_is_answered_from_the_cache(model_server: ModelServer) -> None:
    model_server.enqueue(Reply(text="return a + b"), Reply(text="return b"))
    completer = InlineCompleter(OpenAICompletionClient(model_server.url + "/v1"), "m")
    try:
        assert await ask(completer, BASE) == ["return a + b"]
        assert await ask(completer, BASE + "ret") == ["urn a + b"]
        assert await ask(completer, BASE + "return a +") == [" b"]
        assert len(model_server.requests) == 1
        # An edit elsewhere (the text after the cursor changed): the suggestion is stale.
        assert await ask(completer, BASE + "ret", suffix="\nx = 1\n") == ["urn b"]
        assert len(model_server.requests) == 2
        assert completer.stats.cache_hits == 2
    finally:
        await completer.aclose()


async def test_a_newer_request_supersedes_and_aborts_the_one_in_flight(
    model_server: ModelServer,
) -> None:
    model_server.enqueue(Reply(text="slow", delay=30.0), Reply(text="fast"))
    completer = InlineCompleter(OpenAICompletionClient(model_server.url + "/v1"), "m")
    try:
        first = asyncio.create_task(ask(completer, BASE))
        while not model_server.requests:
            await asyncio.sleep(0.01)
        assert await ask(completer, BASE + "x") == ["fast"]
        with pytest.raises(Superseded):
            await first
        closed = await asyncio.to_thread(model_server.wait_for_client_close, 5.0)
        assert closed.index == 0 and not closed.completed
    finally:
        await completer.aclose()
