"""OpenAICompatProvider over httpx against the local model server's chat completions API."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from tests.providers.helpers import OPENAI_KEY, collect, texts
from tests.support.model_server import ModelServer, Reply
from victor.protocols import Message, ToolCall, ToolSpec
from victor.providers.errors import (
    AuthenticationError,
    ContextTooLongError,
    InvalidRequestError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    StreamInterruptedError,
)
from victor.providers.openai_compat import OpenAICompatProvider

GREP = ToolSpec(
    "grep", "Search files.", {"type": "object", "properties": {"q": {"type": "string"}}}
)


async def test_stream_with_usage_and_system_first(
    local: OpenAICompatProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(deltas=["Hi", " there", "!"]))
    events = await collect(local.stream([Message("user", "hello")], model="", system="Be kind"))
    assert texts(events) == ["Hi", " there", "!"]
    done = events[-1].response
    assert done is not None and done.content == "Hi there!"
    assert done.usage.input_tokens > 0 and done.usage.output_tokens > 0
    assert done.stop_reason == "end_turn"
    (req,) = model_server.requests
    assert req.path == "/v1/chat/completions"
    assert req.body["stream"] is True
    assert req.body["stream_options"] == {"include_usage": True}
    assert req.body["model"] == "qwen2.5-coder:7b"
    assert req.body["messages"] == [
        {"role": "system", "content": "Be kind"},
        {"role": "user", "content": "hello"},
    ]
    assert req.headers["authorization"] == f"Bearer {OPENAI_KEY}"


async def test_chat_non_streaming(local: OpenAICompatProvider, model_server: ModelServer) -> None:
    response = await local.chat([Message("user", "ping")], model="llama3.1:8b")
    assert response.content == "Echo: ping"
    assert response.usage.output_tokens > 0
    assert response.model == "llama3.1:8b"
    assert model_server.requests[0].body["stream"] is False


async def test_stream_tool_call(local: OpenAICompatProvider, model_server: ModelServer) -> None:
    model_server.enqueue(Reply.tool_use("grep", {"q": "TODO"}, id="call_1"))
    events = await collect(local.stream([Message("user", "find")], model="m", tools=[GREP]))
    calls = [e.tool_call for e in events if e.type == "tool_call"]
    assert calls == [ToolCall("call_1", "grep", {"q": "TODO"})]
    done = events[-1].response
    assert done is not None and done.stop_reason == "tool_use" and done.tool_calls == calls


async def test_chat_tool_call(local: OpenAICompatProvider, model_server: ModelServer) -> None:
    model_server.enqueue(Reply.tool_use("grep", {"q": "x"}, id="call_9"))
    response = await local.chat([Message("user", "find")], model="m", tools=[GREP])
    assert response.tool_calls == [ToolCall("call_9", "grep", {"q": "x"})]
    assert response.stop_reason == "tool_use"


async def test_tool_round_trip_request_shape(
    local: OpenAICompatProvider, model_server: ModelServer
) -> None:
    history = [
        Message("user", "find"),
        Message("assistant", "", tool_calls=[ToolCall("c1", "grep", {"q": "x"})]),
        Message("tool", "3 matches", tool_call_id="c1"),
    ]
    await local.chat(history, model="m", tools=[GREP])
    body = model_server.requests[0].body
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "grep",
                "description": "Search files.",
                "parameters": GREP.input_schema,
            },
        }
    ]
    assert body["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "grep", "arguments": '{"q": "x"}'},
            }
        ],
    }
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "c1", "content": "3 matches"}


async def test_unauthorized(local: OpenAICompatProvider, model_server: ModelServer) -> None:
    model_server.enqueue(Reply.error(401))
    with pytest.raises(AuthenticationError) as info:
        await collect(local.stream([Message("user", "x")], model="m"))
    assert "OPENAI_API_KEY" in str(info.value) and OPENAI_KEY not in str(info.value)
    assert len(model_server.requests) == 1


async def test_server_error_then_success(
    local: OpenAICompatProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply.error(503), Reply(text="back"))
    events = await collect(local.stream([Message("user", "x")], model="m"))
    assert "".join(texts(events)) == "back"
    assert [r.status for r in model_server.requests] == [503, 200]


async def test_context_length_exceeded(
    local: OpenAICompatProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply.prompt_too_long())
    with pytest.raises(ContextTooLongError):
        await local.chat([Message("user", "x")], model="m")
    assert len(model_server.requests) == 1


async def test_reset_after_text_is_interrupted(
    local: OpenAICompatProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(text="alpha beta gamma", fault="reset", fault_after=1))
    with pytest.raises(StreamInterruptedError) as info:
        await collect(local.stream([Message("user", "x")], model="m"))
    assert info.value.partial == "alpha "
    assert len(model_server.requests) == 1


async def test_stall_times_out(model_server: ModelServer) -> None:
    provider = OpenAICompatProvider(model_server.url + "/v1", timeout=0.3, max_retries=0)
    model_server.enqueue(Reply(text="late", fault="stall", stall_seconds=10))
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError):
        await collect(provider.stream([Message("user", "x")], model="m"))
    assert time.monotonic() - started < 5
    await provider.aclose()


async def test_malformed_chunk(model_server: ModelServer) -> None:
    provider = OpenAICompatProvider(model_server.url + "/v1", max_retries=0)
    model_server.enqueue(Reply(text="a b", fault="malformed"))
    with pytest.raises(ProviderError, match="malformed"):
        await collect(provider.stream([Message("user", "x")], model="m"))
    await provider.aclose()


async def test_error_chunk_after_text(
    local: OpenAICompatProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(text="a b c", fault="error_event", fault_after=1))
    with pytest.raises(StreamInterruptedError) as info:
        await collect(local.stream([Message("user", "x")], model="m"))
    assert info.value.partial == "a "


async def test_unreachable_server_names_the_url() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    provider = OpenAICompatProvider(url, max_retries=1, backoff_base=0.001)
    with pytest.raises(ProviderConnectionError, match="OPENAI_BASE_URL") as info:
        await provider.chat([Message("user", "x")], model="m")
    assert url in str(info.value)
    await provider.aclose()


async def test_closing_the_stream_closes_the_connection(
    local: OpenAICompatProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(text="tok " * 100, delay=0.05))
    events = local.stream([Message("user", "x")], model="m")
    assert (await anext(events)).type == "text"
    await events.aclose()
    record = await asyncio.to_thread(model_server.wait_for_client_close, 2.0)
    assert not record.completed


def test_ollama_style_error_body() -> None:
    provider = OpenAICompatProvider()
    error = provider._classify(404, "model 'llama9' not found, try pulling it first", None)
    assert isinstance(error, InvalidRequestError)
    assert "ollama pull" in str(error) and "llama9" in str(error)


def test_context_window_table() -> None:
    provider = OpenAICompatProvider()
    assert provider.context_window("llama3.1:8b") == 131_072
    assert provider.context_window("meta-llama/Llama-3.3-70B-Instruct") == 131_072
    assert provider.context_window("qwen2.5-coder:32b") == 32_768
    assert provider.context_window("llama3:8b") == 8192
    assert provider.context_window("totally-unknown") == 8192
