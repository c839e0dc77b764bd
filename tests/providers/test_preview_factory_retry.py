"""PreviewProvider, create_provider and the retry policy."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from tests.providers.helpers import collect, texts
from tests.support.model_server import ModelServer
from victor.config.settings import Settings
from victor.protocols import Message, ToolCall, ToolSpec
from victor.providers import create_provider, default_model
from victor.providers.anthropic import AnthropicProvider
from victor.providers.errors import OverloadedError, ProviderError, RateLimitError
from victor.providers.openai_compat import OpenAICompatProvider
from victor.providers.preview import CHUNK_CHARS, PreviewProvider
from victor.providers.retry import RetryPolicy, call_with_retries, error_for_status

SYSTEM = "You are Victor, working in ```the workspace``` at /tmp/demo."


async def test_preview_says_no_model_and_shows_what_it_would_send() -> None:
    history = [
        Message("user", "explain main.py " + "x" * 1000),
        Message("assistant", "", tool_calls=[ToolCall("t1", "read_file", {"path": "main.py"})]),
        Message("tool", "print('hi')", tool_call_id="t1"),
    ]
    tool = ToolSpec("read_file", "Read a file.", {"type": "object"})
    events = await collect(PreviewProvider().stream(history, model="", system=SYSTEM, tools=[tool]))
    chunks = texts(events)
    assert len(chunks) > 1 and all(len(c) <= CHUNK_CHARS for c in chunks)
    done = events[-1].response
    assert done is not None and done.content == "".join(chunks)
    text = done.content
    assert text.startswith("**No model is configured**")
    for needle in ("ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "VICTOR_PROVIDER", "VICTOR_MODEL"):
        assert needle in text
    assert "Victor: Set API key" in text and "Ollama" in text
    assert SYSTEM in text and "````text" in text  # a fence the prompt's ``` cannot close
    assert "**user**" in text and "**assistant**" in text and "**tool**" in text
    assert "explain main.py" in text and "print('hi')" in text and "`read_file`" in text
    assert done.usage.total_tokens == 0 and done.tool_calls == []


async def test_preview_chat_matches_stream_and_window() -> None:
    provider = PreviewProvider()
    history = [Message("user", "hi")]
    response = await provider.chat(history, model="", system="S")
    streamed = await collect(provider.stream(history, model="", system="S"))
    assert streamed[-1].response is not None
    assert response.content == streamed[-1].response.content
    assert provider.context_window("anything") == 200_000


def test_factory_picks_the_provider(
    model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("VICTOR_PROVIDER", "VICTOR_MODEL", "VICTOR_MAX_RETRIES"):
        monkeypatch.delenv(name, raising=False)

    def settings(**kw: object) -> Settings:
        base: dict[str, object] = {
            "anthropic_api_key": None,
            "anthropic_base_url": None,
            "openai_api_key": None,
            "openai_base_url": None,
        }
        return Settings.model_validate({**base, **kw})

    preview = create_provider(settings())
    assert isinstance(preview, PreviewProvider)

    claude = create_provider(
        settings(anthropic_api_key=SecretStr("sk-ant-x"), max_retries=5, request_timeout=7)
    )
    assert isinstance(claude, AnthropicProvider)
    assert claude.retry.max_retries == 5 and claude.timeout == 7
    assert claude.default_model == default_model("anthropic") == "claude-sonnet-4-6"
    assert "sk-ant-x" not in repr(claude)

    local = create_provider(settings(openai_base_url=model_server.url + "/v1", model="qwen3"))
    assert isinstance(local, OpenAICompatProvider)
    assert local.base_url == model_server.url + "/v1" and local.default_model == "qwen3"
    answer = asyncio.run(local.chat([Message("user", "via factory")], model=""))
    assert answer.content == "Echo: via factory"
    assert model_server.requests[0].body["model"] == "qwen3"
    assert default_model("nope") == ""


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(max_retries=10, base_delay=1.0, max_delay=4.0)
    error = OverloadedError("busy")
    delays = [policy.delay(n, error) for n in range(5)]
    assert all(d is not None for d in delays)
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0  # type: ignore[operator]
    assert all(2.0 <= d <= 4.0 for d in delays[3:])  # type: ignore[operator]
    assert policy.delay(10, error) is None  # bounded
    assert policy.delay(0, ProviderError("not retryable")) is None
    assert policy.delay(0, RateLimitError("slow down", retry_after=2.5)) == 2.5
    assert policy.delay(0, RateLimitError("come back tomorrow", retry_after=86400)) is None


async def test_call_with_retries_stops_at_the_first_permanent_error() -> None:
    calls = []

    async def op() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise OverloadedError("busy")
        raise ProviderError("bad request")

    with pytest.raises(ProviderError, match="bad request"):
        await call_with_retries(op, RetryPolicy(base_delay=0.001))
    assert len(calls) == 2


def test_in_stream_errors_classify_by_type() -> None:
    def kind(status: int, etype: str | None, message: str = "") -> str:
        error = error_for_status(
            status,
            provider="anthropic",
            error_type=etype,
            message=message,
            retry_after=None,
            auth_hint="",
            model_hint="",
        )
        return error.kind

    assert kind(200, "overloaded_error") == "overloaded"
    assert kind(200, "api_error") == "server"
    assert kind(200, "rate_limit_error") == "rate_limit"
    assert kind(400, "invalid_request_error", "prompt is too long: 1 > 0") == "context_too_long"
    assert kind(413, "request_too_large") == "context_too_long"
    assert kind(404, "not_found_error") == "invalid_request"
    assert kind(502, None) == "server"
