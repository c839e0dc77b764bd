"""AnthropicProvider through the real SDK, over HTTP, against the local model server."""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from typing import Any

import pytest

from tests.providers.helpers import ANTHROPIC_KEY, collect, texts
from tests.support.model_script import count_prompt_tokens
from tests.support.model_server import ModelServer, Reply
from victor.protocols import SUMMARY_KIND, Message, ToolCall, ToolSpec
from victor.providers.anthropic import AnthropicProvider
from victor.providers.base import SystemPrompt
from victor.providers.errors import (
    AuthenticationError,
    ContextTooLongError,
    InvalidRequestError,
    OverloadedError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)

MODEL = "claude-sonnet-4-6"  # 4-5 works too, but the SDK warns it is deprecated
READ_FILE = ToolSpec(
    "read_file",
    "Read a file of the workspace.",
    {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)


async def test_chat_returns_the_answer_and_sends_cached_system(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    response = await claude.chat([Message("user", "hello there")], model=MODEL, system="Be brief")
    assert response.content == "Echo: hello there"
    assert response.stop_reason == "end_turn"
    assert response.model == MODEL
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    (req,) = model_server.requests
    assert req.path == "/v1/messages"
    assert not req.body.get("stream")
    assert req.body["system"] == [
        {"type": "text", "text": "Be brief", "cache_control": {"type": "ephemeral"}}
    ]
    assert "temperature" not in req.body
    assert req.headers["authorization"] == f"Bearer {ANTHROPIC_KEY}"


async def test_stream_yields_each_delta_then_done(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(deltas=["Hel", "lo, ", "wor", "ld"]))
    events = await collect(claude.stream([Message("user", "hi")], model=MODEL))
    assert texts(events) == ["Hel", "lo, ", "wor", "ld"]
    assert [e.type for e in events][-1] == "done"
    done = events[-1].response
    assert done is not None and done.content == "Hello, world"
    assert done.usage.output_tokens > 0
    assert model_server.requests[0].body["stream"] is True


async def test_stream_tool_use_arrives_as_a_complete_call(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply.tool_use("read_file", {"path": "src/a.py"}, text="Let me look."))
    events = await collect(claude.stream([Message("user", "?")], model=MODEL, tools=[READ_FILE]))
    calls = [e.tool_call for e in events if e.type == "tool_call"]
    assert len(calls) == 1 and calls[0] is not None
    assert (calls[0].name, calls[0].arguments) == ("read_file", {"path": "src/a.py"})
    assert calls[0].id.startswith("toolu_")
    done = events[-1].response
    assert done is not None
    assert done.stop_reason == "tool_use" and done.tool_calls == calls
    assert done.content == "Let me look."


async def test_chat_tool_use(claude: AnthropicProvider, model_server: ModelServer) -> None:
    model_server.enqueue(Reply.tool_use("read_file", {"path": "b.py"}, id="toolu_x"))
    response = await claude.chat([Message("user", "?")], model=MODEL, tools=[READ_FILE])
    assert response.tool_calls == [ToolCall("toolu_x", "read_file", {"path": "b.py"})]
    assert response.stop_reason == "tool_use"


async def test_tool_round_trip_request_shape(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    history = [
        Message("user", "read both"),
        Message(
            "assistant",
            "Reading.",
            tool_calls=[ToolCall("t1", "read_file", {"path": "a"}), ToolCall("t2", "read_file")],
        ),
        Message("tool", "content of a", tool_call_id="t1"),
        Message("tool", "no such file", tool_call_id="t2", is_error=True),
    ]
    await claude.chat(history, model=MODEL, system="sys", tools=[READ_FILE])
    body = model_server.requests[0].body
    assert body["tools"] == [
        {
            "name": "read_file",
            "description": "Read a file of the workspace.",
            "input_schema": READ_FILE.input_schema,
            "cache_control": {"type": "ephemeral"},
        }
    ]
    user, assistant, results = body["messages"]
    assert user["content"][0]["text"] == "read both"
    assert [b["type"] for b in assistant["content"]] == ["text", "tool_use", "tool_use"]
    assert assistant["content"][1] == {
        "type": "tool_use",
        "id": "t1",
        "name": "read_file",
        "input": {"path": "a"},
    }
    # both results in ONE user message, in call order
    assert results["role"] == "user"
    assert [(b["tool_use_id"], b["is_error"]) for b in results["content"]] == [
        ("t1", False),
        ("t2", True),
    ]
    # breakpoints on the message before the newest one and at the end of this request, so
    # the next request reads all of this one; none elsewhere
    assert assistant["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert results["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in user["content"][-1]
    assert "cache_control" not in results["content"][0]


async def test_prompt_caching_reads_the_prefix_on_the_next_turn(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    system = "You are Victor. " * 800  # above claude-sonnet-4-6's 2048-token minimum
    first = await claude.chat(
        [Message("user", "one"), Message("assistant", "Echo: one"), Message("user", "two")],
        model=MODEL,
        system=system,
    )
    assert first.usage.cache_write_tokens > 0
    assert first.usage.cache_read_tokens == 0
    second = await claude.chat(
        [
            Message("user", "one"),
            Message("assistant", "Echo: one"),
            Message("user", "two"),
            Message("assistant", first.content),
            Message("user", "three"),
        ],
        model=MODEL,
        system=system,
    )
    # everything the first turn wrote (all of it) is read back; only the new turn is written
    assert first.usage.input_tokens == 0
    assert second.usage.cache_read_tokens == first.usage.cache_write_tokens
    assert 0 < second.usage.cache_write_tokens < first.usage.cache_write_tokens
    assert second.usage.input_tokens == 0


async def test_the_opening_exchange_keeps_its_own_breakpoint_for_after_a_compaction(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    opening = [
        Message("user", "The task: " + "port the loader to asyncio " * 400),
        Message("assistant", "Understood: asyncio, same retries."),
    ]
    turns = [Message("user", "one"), Message("assistant", "Echo: one"), Message("user", "two")]
    await claude.chat([*opening, *turns], model=MODEL, system="sys", tools=[READ_FILE])
    body = model_server.requests[0].body
    marked = [i for i, m in enumerate(body["messages"]) if "cache_control" in m["content"][-1]]
    # the opening's end, the previous answer, this request's end, and the system prompt
    # (which covers the tools too): the API's maximum of four
    assert marked == [1, 3, 4]
    assert "cache_control" in body["system"][0] and "cache_control" not in body["tools"][0]
    # a compaction replaced what came between with a summary: the opening is read back
    compacted = [*opening, Message("user", "[Summary] one"), Message("assistant", "ok")]
    second = await claude.chat(
        [*compacted, Message("user", "three")], model=MODEL, system="sys", tools=[READ_FILE]
    )
    sent = model_server.requests[1].body
    through_opening = count_prompt_tokens({**sent, "messages": sent["messages"][:2]})
    assert through_opening >= 2048  # claude-sonnet-4-6's minimum: cacheable on its own
    assert second.usage.cache_read_tokens == through_opening
    # before the conversation is past its opening, the tools keep their breakpoint
    await claude.chat(opening, model=MODEL, system="sys", tools=[READ_FILE])
    assert "cache_control" in model_server.requests[2].body["tools"][0]


def _marks(body: dict[str, Any]) -> list[str]:
    """Where a request's cache breakpoints sit: "tools", "system", or "message i block j"."""
    marks = ["tools" for t in body.get("tools", []) if "cache_control" in t]
    marks += ["system" for b in body.get("system", []) if "cache_control" in b]
    for i, message in enumerate(body["messages"]):
        marks += [
            f"message {i} block {j}"
            for j, b in enumerate(message["content"])
            if "cache_control" in b
        ]
    return marks


async def test_after_a_compaction_the_opening_and_the_latest_summary_keep_breakpoints(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    """The opening and each compaction's summary stay as they are (summary_compaction.py):
    both ends keep a breakpoint (the latest summary's even inside a merged user message), so
    the next compaction reads everything up to the latest summary when it keeps them all,
    and up to the opening when it summarizes the summaries again into one."""
    opening = [
        Message("user", "The task: " + "port the loader to asyncio " * 400),
        Message("assistant", "Understood."),
    ]
    first = Message("user", "[Summary]\n- asyncio chosen", metadata={"kind": SUMMARY_KIND})
    after_first = [*opening, first, Message("user", "one"), Message("assistant", "Echo: one")]
    await claude.chat(
        [*after_first, Message("user", "two")], model=MODEL, system="sys", tools=[READ_FILE]
    )
    body = model_server.requests[0].body
    merged = body["messages"][2]  # the summary and the question after it: one user message
    assert [b["text"] for b in merged["content"]] == [first.content, "one"]
    # the opening's end, the summary, the previous answer, this request's end: the API's
    # maximum of four; the opening's covers the system prompt and the tools
    assert _marks(body) == [
        "message 1 block 0",
        "message 2 block 0",
        "message 3 block 0",
        "message 4 block 0",
    ]
    # the next compaction keeps the first summary and adds its own after it
    second = Message("user", "[Summary]\n- retries moved", metadata={"kind": SUMMARY_KIND})
    answer = await claude.chat(
        [*opening, first, second, Message("assistant", "ok"), Message("user", "three")],
        model=MODEL,
        system="sys",
        tools=[READ_FILE],
    )
    sent = model_server.requests[1].body
    through_first = count_prompt_tokens(
        {
            **sent,
            "messages": [
                *sent["messages"][:2],
                {"role": "user", "content": [merged["content"][0]]},
            ],
        }
    )
    assert answer.usage.cache_read_tokens == through_first
    # a later one summarizes both summaries again into one: the opening is still read
    again = Message("user", "[Summary]\n- asyncio, retries", metadata={"kind": SUMMARY_KIND})
    answer = await claude.chat(
        [*opening, again, Message("assistant", "ok"), Message("user", "four")],
        model=MODEL,
        system="sys",
        tools=[READ_FILE],
    )
    sent = model_server.requests[2].body
    through_opening = count_prompt_tokens({**sent, "messages": sent["messages"][:2]})
    assert answer.usage.cache_read_tokens == through_opening > 2048


async def test_a_continuation_reads_the_last_request_and_writes_nothing(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    """A compaction's summary continues the last request sent (summary_compaction.py): its
    only conversation breakpoint is where that request ended, so it reads all of it and
    its own tail (replaced by the compaction) is not written to the cache."""
    sent = [
        Message("user", "The task: " + "port the loader to asyncio " * 400),
        Message("assistant", "Understood."),
        Message("user", "two"),
    ]
    first = await claude.chat(sent, model=MODEL, system="sys", tools=[READ_FILE])
    asked = [*sent, Message("assistant", "Echo: two"), Message("user", "Summarize, please.")]
    system = SystemPrompt.continuing(SystemPrompt("sys"))
    summary = await claude.chat(asked, model=MODEL, system=system, tools=[READ_FILE])
    body = model_server.requests[1].body
    # the opening's end and the last request's end; the system prompt and the tools get
    # theirs as ever (reading them costs nothing extra)
    assert _marks(body) == ["tools", "system", "message 1 block 0", "message 2 block 0"]
    assert summary.usage.cache_read_tokens == first.usage.cache_write_tokens > 0
    assert summary.usage.cache_write_tokens == 0 and summary.usage.input_tokens > 0


def test_a_continuation_keeps_what_the_system_prompt_said() -> None:
    system = SystemPrompt("rules, then the open buffer", stable_length=5, cacheable=False)
    continued = SystemPrompt.continuing(system)
    assert continued == system and continued.continuation
    assert (continued.stable_length, continued.cacheable) == (5, False)
    assert SystemPrompt.continuing("plain").stable_length == len("plain")


async def test_overloaded_then_success_is_retried_transparently(
    claude: AnthropicProvider, model_server: ModelServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    model_server.enqueue(Reply.error(529), Reply(text="fine now"))
    events = await collect(claude.stream([Message("user", "x")], model=MODEL))
    assert texts(events) == ["fine ", "now"]  # one answer, not a duplicate
    assert len(model_server.requests) == 2
    assert [r.status for r in model_server.requests] == [529, 200]
    assert "overloaded" in caplog.text and "retry 1/3" in caplog.text
    assert ANTHROPIC_KEY not in caplog.text


async def test_rate_limit_waits_for_retry_after(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply.error(429, retry_after=0.3), Reply(text="ok"))
    started = time.monotonic()
    response = await claude.chat([Message("user", "x")], model=MODEL)
    elapsed = time.monotonic() - started
    assert response.content == "ok"
    assert elapsed >= 0.3  # backoff alone would be ~1 ms here
    assert len(model_server.requests) == 2


async def test_rate_limit_with_a_long_retry_after_fails_at_once(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply.error(429, retry_after=3600))
    with pytest.raises(RateLimitError) as info:
        await claude.chat([Message("user", "x")], model=MODEL)
    assert info.value.retry_after == 3600
    assert "3600" in str(info.value)
    assert len(model_server.requests) == 1


async def test_retries_are_bounded(model_server: ModelServer) -> None:
    provider = AnthropicProvider(
        api_key=ANTHROPIC_KEY, base_url=model_server.url, max_retries=2, backoff_base=0.001
    )
    model_server.enqueue(*[Reply.error(500) for _ in range(5)])
    with pytest.raises(ServerError):
        await provider.chat([Message("user", "x")], model=MODEL)
    assert len(model_server.requests) == 3
    await provider.aclose()


async def test_unauthorized_is_not_retried_and_never_shows_the_key(
    claude: AnthropicProvider, model_server: ModelServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    model_server.enqueue(Reply.error(401))
    with pytest.raises(AuthenticationError) as info:
        await collect(claude.stream([Message("user", "x")], model=MODEL))
    assert len(model_server.requests) == 1
    message = str(info.value)
    assert "ANTHROPIC_API_KEY" in message and "Victor: Set API key" in message
    everything = "".join(traceback.format_exception(info.value)) + repr(claude) + caplog.text
    assert ANTHROPIC_KEY not in everything
    assert info.value.kind == "auth" and info.value.status == 401


async def test_permission_denied_is_an_auth_error(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply.error(403))
    with pytest.raises(AuthenticationError, match="403"):
        await claude.chat([Message("user", "x")], model=MODEL)
    assert len(model_server.requests) == 1


async def test_prompt_too_long(claude: AnthropicProvider, model_server: ModelServer) -> None:
    model_server.enqueue(Reply.prompt_too_long())
    with pytest.raises(ContextTooLongError, match="(?i)compact"):
        await claude.chat([Message("user", "x")], model=MODEL)
    assert len(model_server.requests) == 1


async def test_other_bad_request_is_not_retried(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply.error(400, "messages: roles must alternate"))
    with pytest.raises(InvalidRequestError, match="roles must alternate"):
        await claude.chat([Message("user", "x")], model=MODEL)
    assert len(model_server.requests) == 1


async def test_reset_after_text_is_interrupted_not_retried(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(text="one two three four five", fault="reset", fault_after=2))
    seen: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        async for event in claude.stream([Message("user", "x")], model=MODEL):
            seen.append(event.text)
    assert info.value.partial == "one two " == "".join(seen)
    assert len(model_server.requests) == 1
    assert model_server.requests[0].fault == "reset"


async def test_reset_before_any_text_is_retried(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(text="lost", fault="reset", fault_after=0))
    events = await collect(claude.stream([Message("user", "again")], model=MODEL))
    assert "".join(texts(events)) == "Echo: again"
    assert len(model_server.requests) == 2


async def test_stall_times_out(model_server: ModelServer) -> None:
    provider = AnthropicProvider(
        api_key=ANTHROPIC_KEY, base_url=model_server.url, timeout=0.3, max_retries=0
    )
    model_server.enqueue(Reply(text="late", fault="stall", stall_seconds=10))
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError, match="VICTOR_REQUEST_TIMEOUT"):
        await collect(provider.stream([Message("user", "x")], model=MODEL))
    assert time.monotonic() - started < 5
    await provider.aclose()


async def test_stall_after_text_is_an_interruption(model_server: ModelServer) -> None:
    provider = AnthropicProvider(api_key=ANTHROPIC_KEY, base_url=model_server.url, timeout=0.3)
    model_server.enqueue(Reply(text="a b c", fault="stall", fault_after=1, stall_seconds=10))
    with pytest.raises(StreamInterruptedError) as info:
        await collect(provider.stream([Message("user", "x")], model=MODEL))
    assert info.value.partial == "a "
    assert isinstance(info.value.__cause__, ProviderTimeoutError)
    assert len(model_server.requests) == 1
    await provider.aclose()


async def test_malformed_sse_is_a_provider_error(model_server: ModelServer) -> None:
    provider = AnthropicProvider(api_key=ANTHROPIC_KEY, base_url=model_server.url, max_retries=0)
    model_server.enqueue(Reply(text="a b", fault="malformed"))
    with pytest.raises(ProviderError, match="malformed"):
        await collect(provider.stream([Message("user", "x")], model=MODEL))
    await provider.aclose()


async def test_error_event_before_text_is_retried(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(fault="error_event", error_type="overloaded_error"))
    events = await collect(claude.stream([Message("user", "hey")], model=MODEL))
    assert "".join(texts(events)) == "Echo: hey"
    assert len(model_server.requests) == 2


async def test_error_event_after_text_keeps_the_partial(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(text="a b c", fault="error_event", fault_after=2))
    with pytest.raises(StreamInterruptedError) as info:
        await collect(claude.stream([Message("user", "x")], model=MODEL))
    assert info.value.partial == "a b "
    assert isinstance(info.value.__cause__, OverloadedError)


async def test_closing_the_stream_closes_the_connection(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(text="word " * 100, delay=0.05))
    events = claude.stream([Message("user", "x")], model=MODEL)
    first = await anext(events)
    assert first.type == "text"
    await events.aclose()
    record = await asyncio.to_thread(model_server.wait_for_client_close, 2.0)
    assert record.client_closed and not record.completed


async def test_cancelling_the_task_closes_the_connection(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply(text="word " * 100, delay=0.05))
    got_text = asyncio.Event()

    async def consume() -> None:
        async for event in claude.stream([Message("user", "x")], model=MODEL):
            if event.type == "text":
                got_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_text.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    record = await asyncio.to_thread(model_server.wait_for_client_close, 2.0)
    assert not record.completed


async def test_count_tokens(claude: AnthropicProvider, model_server: ModelServer) -> None:
    count = await claude.count_tokens([Message("user", "count me")], model=MODEL, system="s")
    (req,) = model_server.requests
    assert req.path == "/v1/messages/count_tokens"
    assert count == count_prompt_tokens(req.body) > 0


async def test_count_tokens_failure_is_none(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    model_server.enqueue(Reply.error(500, endpoint="count_tokens"))
    assert await claude.count_tokens([Message("user", "x")], model=MODEL) is None


async def test_missing_key_fails_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    provider = AnthropicProvider()
    with pytest.raises(AuthenticationError, match="ANTHROPIC_API_KEY"):
        await collect(provider.stream([Message("user", "x")], model=MODEL))
    await provider.aclose()


async def test_keyless_custom_base_url_still_works(
    model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    provider = AnthropicProvider(base_url=model_server.url)
    assert (await provider.chat([Message("user", "proxy")], model=MODEL)).content == "Echo: proxy"
    await provider.aclose()


async def test_environment_supplies_key_and_base_url(
    model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", model_server.url)
    provider = AnthropicProvider()
    response = await provider.chat([Message("user", "env")], model="")
    assert response.content == "Echo: env"
    assert model_server.requests[0].headers["authorization"] == "Bearer sk-ant-from-env"
    assert model_server.requests[0].body["model"] == "claude-sonnet-4-6"  # the default
    await provider.aclose()


def test_context_window() -> None:
    provider = AnthropicProvider(api_key="k", base_url="http://127.0.0.1:9")
    assert provider.context_window("claude-sonnet-4-5-20250929") == 200_000
    assert provider.context_window("claude-3-5-haiku-latest") == 200_000
    assert provider.context_window("some-future-model") == 200_000
