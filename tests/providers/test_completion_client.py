"""Completion clients against the local model server, over real HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support.model_server import ModelServer, Reply
from victor.providers.completion import (
    AnthropicCompletionClient,
    CompletionPrompt,
    OpenAICompletionClient,
)
from victor.providers.errors import AuthenticationError

PROMPT = CompletionPrompt(
    fim_prefix="# file: app.py\ndef add(a, b):\n    ",
    suffix="\n\nprint(add(1, 2))\n",
    system="complete",
    user="def add(a, b):\n    <|cursor|>\n",
    chat_stop=("</completion>",),
    max_tokens=64,
)


async def test_fim_request_carries_prompt_and_suffix(model_server: ModelServer) -> None:
    model_server.enqueue(Reply(text="return a + b"))
    client = OpenAICompletionClient(model_server.url + "/v1")
    try:
        text = await client.complete(PROMPT, "qwen2.5-coder")
    finally:
        await client.aclose()
    assert text == "return a + b"
    (request,) = model_server.requests
    assert request.path == "/v1/completions"
    assert request.body["prompt"] == PROMPT.fim_prefix
    assert request.body["suffix"] == PROMPT.suffix
    assert request.body["model"] == "qwen2.5-coder"
    assert client.fim_supported is True


async def test_server_without_fim_falls_back_to_chat_once_and_remembers(
    model_server: ModelServer,
) -> None:
    model_server.enqueue(
        Reply.error(404, "no such endpoint"),
        Reply(text="<completion>return a + b</completion>"),
        Reply(text="return a - b"),
    )
    client = OpenAICompletionClient(model_server.url + "/v1")
    try:
        first = await client.complete(PROMPT, "llama3.2")
        second = await client.complete(PROMPT, "llama3.2")
    finally:
        await client.aclose()
    paths = [r.path for r in model_server.requests]
    assert paths == ["/v1/completions", "/v1/chat/completions", "/v1/chat/completions"]
    assert "return a + b" in first and second == "return a - b"
    chat = model_server.requests[1].body
    assert chat["messages"][1]["content"] == PROMPT.user
    assert chat["stop"] == ["</completion>"]


async def test_fim_off_goes_straight_to_chat(model_server: ModelServer) -> None:
    model_server.enqueue(Reply(text="x"))
    client = OpenAICompletionClient(model_server.url + "/v1", fim="off")
    try:
        await client.complete(PROMPT, "m")
    finally:
        await client.aclose()
    assert [r.path for r in model_server.requests] == ["/v1/chat/completions"]


async def test_anthropic_gets_prefix_and_suffix_in_the_prompt_with_stop_sequences(
    model_server: ModelServer,
) -> None:
    model_server.enqueue(Reply(text="<completion>return a + b"))
    client = AnthropicCompletionClient("test-key", model_server.url)
    try:
        text = await client.complete(PROMPT, "claude-haiku-4-5")
    finally:
        await client.aclose()
    assert text == "<completion>return a + b"
    body = model_server.requests_to("/v1/messages")[0].body
    assert body["messages"][0]["content"] == PROMPT.user
    assert body["stop_sequences"] == ["</completion>"]
    assert body["model"] == "claude-haiku-4-5"


@pytest.mark.parametrize(
    ("make", "model", "path"),
    [
        (lambda url: OpenAICompletionClient(url + "/v1"), "m", "/v1/completions"),
        (lambda url: AnthropicCompletionClient("k", url), "claude-haiku-4-5", "/v1/messages"),
    ],
    ids=["openai", "anthropic"],
)
async def test_cancelling_aborts_the_http_request(
    model_server: ModelServer, make: Any, model: str, path: str
) -> None:
    model_server.enqueue(Reply(text="slow", delay=5.0))
    client = make(model_server.url)
    task = asyncio.create_task(client.complete(PROMPT, model))
    while not model_server.requests:  # the request reached the server
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    closed = await asyncio.to_thread(model_server.wait_for_client_close, 3.0)
    assert closed.path == path and not closed.completed
    await client.aclose()


async def test_a_rejected_key_is_a_typed_error() -> None:
    with ModelServer(api_key="right") as server:
        client = OpenAICompletionClient(server.url + "/v1", "wrong")
        try:
            with pytest.raises(AuthenticationError):
                await client.complete(PROMPT, "m")
        finally:
            await client.aclose()


async def test_anthropic_request_carries_key_and_version_and_maps_errors() -> None:
    with ModelServer(api_key="right") as server:
        server.enqueue(Reply(text="<completion>return a + b"))
        good = AnthropicCompletionClient("right", server.url)
        bad = AnthropicCompletionClient("wrong", server.url)
        try:
            assert await good.complete(PROMPT, "claude-haiku-4-5") == "<completion>return a + b"
            with pytest.raises(AuthenticationError):
                await bad.complete(PROMPT, "claude-haiku-4-5")
        finally:
            await good.aclose()
            await bad.aclose()
        request = server.requests_to("/v1/messages")[0]
        assert request.headers["x-api-key"] == "right"
        assert request.headers["anthropic-version"]


async def test_anthropic_without_a_key_never_calls_the_official_api() -> None:
    client = AnthropicCompletionClient(None, None)
    try:
        with pytest.raises(AuthenticationError, match="No Anthropic API key"):
            await client.complete(PROMPT, "claude-haiku-4-5")
    finally:
        await client.aclose()
