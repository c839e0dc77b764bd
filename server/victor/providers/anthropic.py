"""Anthropic Messages API provider, on the official ``anthropic`` SDK.

Prompt caching is on by default. The request is laid out tools -> system -> messages (the
API's cache order), every part that does not change between turns first; four
``cache_control`` breakpoints: the stable system prompt, the end of the conversation's
opening exchange (which compaction keeps), the end of the previous request's conversation and
the end of this one (``anthropic_wire.cache_turns``); the last tool instead of the opening
until the conversation is past it, and the latest compaction summary instead of the system
prompt once there is one.
Each request reads what the previous one wrote and writes only what is new.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Sequence
from types import SimpleNamespace
from typing import Any

from victor.protocols import (
    Message,
    ToolCall,
    ToolSpec,
    is_summary,
    opening_exchange,
    stable_head,
)
from victor.providers.anthropic_wire import (
    EPHEMERAL,
    StreamState,
    cache_prefix,
    cache_turns,
    stop_reason,
    to_anthropic_messages,
    usage_from,
)
from victor.providers.base import (
    ChatResponse,
    Provider,
    StreamEvent,
    Usage,
    is_cacheable,
    is_continuation,
    is_legacy_layout,
    split_system,
)
from victor.providers.errors import (
    AuthenticationError,
    InvalidRequestError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
)
from victor.providers.limits import ANTHROPIC_MAX_OUTPUT, TokenCap, TokenCapper
from victor.providers.loop_client import LoopBoundClient
from victor.providers.retry import (
    RetryPolicy,
    call_with_retries,
    error_for_status,
    parse_retry_after,
    stream_with_retries,
)
from victor.text import clean_value

__all__ = ["AnthropicProvider", "to_anthropic_messages"]

DEFAULT_MODEL = "claude-sonnet-4-6"
OFFICIAL_URL = "https://api.anthropic.com"
AUTH_HINT = 'Set ANTHROPIC_API_KEY, or run the "Victor: Set API key" command in VS Code.'
MODEL_HINT = "Check the model name in VICTOR_MODEL or the victor.model setting."
NO_KEY = "no-key-set"

# Every current Claude model has a 200k-token window. Sonnet 4 / 4.5 can use 1M tokens, but
# only with the ``context-1m`` beta header, which Victor does not send; so 200k is right here.
_CONTEXT_WINDOWS = {
    "claude-opus-4": 200_000,
    "claude-sonnet-4": 200_000,
    "claude-haiku-4": 200_000,
    "claude-3-7-sonnet": 200_000,
    "claude-3-5-sonnet": 200_000,
    "claude-3-5-haiku": 200_000,
    "claude-3-opus": 200_000,
    "claude-3-haiku": 200_000,
}


@functools.cache
def _sdk() -> SimpleNamespace:
    """The SDK and the error types it lets through, imported on first use.

    ``import anthropic`` costs about 0.7 s of CPU and 80 MB; the daemon creates a provider per
    workspace folder at start-up, and should not pay that before the first request.
    """
    import anthropic
    import httpx

    # anthropic >= 2.12 runs on its own httpx fork (httpx2), older releases on httpx; errors
    # raised while a stream is read come straight from that library, unwrapped.
    modules: list[Any] = [httpx]
    try:
        import httpx2

        modules.append(httpx2)
    except ImportError:
        pass
    return SimpleNamespace(
        anthropic=anthropic,
        http_errors=tuple(m.HTTPError for m in modules),
        timeouts=tuple(m.TimeoutException for m in modules),
        transport=tuple(m.TransportError for m in modules),
    )


class AnthropicProvider(Provider):
    name = "anthropic"
    prompt_cache_lifetime = 300.0  # "ephemeral": 5 minutes, refreshed by each read

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        max_retries: int = 3,
        timeout: float = 120.0,
        default_model: str = DEFAULT_MODEL,
        backoff_base: float = 0.5,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("ANTHROPIC_API_KEY")
        self._has_key = bool(key)
        self.default_model = default_model or DEFAULT_MODEL
        self.timeout = timeout
        self.retry = RetryPolicy(max_retries=max_retries, base_delay=backoff_base)
        # The key is always passed explicitly: with None the SDK would go looking for profile
        # files. Without a key, a placeholder lets keyless proxies and local servers work
        # ("" would make an invalid header); the official API is never called without one
        # (``_check_key``). Our retries replace the SDK's so that a half-streamed answer is
        # never silently requested again.
        self._key = key or NO_KEY
        url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or OFFICIAL_URL
        self.base_url = url.rstrip("/")
        self._clients: LoopBoundClient[Any] = LoopBoundClient(self._new_client, _close)
        self._caps = TokenCapper(ANTHROPIC_MAX_OUTPUT, self.name)

    def _new_client(self) -> Any:
        return _sdk().anthropic.AsyncAnthropic(
            api_key=self._key, base_url=self.base_url, max_retries=0, timeout=self.timeout
        )

    @property
    def _client(self) -> Any:
        """The SDK client of the running event loop, built (and the SDK imported) on the
        first request; a new loop gets a new one (see ``loop_client``)."""
        return self._clients.get()

    def max_tokens_for(self, model: str, requested: int) -> TokenCap:
        return self._caps.cap(model or self.default_model, requested)

    def __repr__(self) -> str:  # never show the key
        key = "set" if self._has_key else "unset"
        return f"AnthropicProvider(base_url={self.base_url!r}, key={key})"

    # ----------------------------------------------------------------- requests

    def _params(
        self,
        messages: Sequence[Message],
        model: str,
        system: str,
        tools: Sequence[ToolSpec],
    ) -> dict[str, Any]:
        converted = to_anthropic_messages(messages, with_tools=bool(tools))
        cacheable = is_cacheable(system)  # a one-off request gets no breakpoint at all
        # The API takes four breakpoints: the conversation's come first (cache_turns: its
        # end, the previous request's, the opening exchange's and the latest summary's),
        # then the system prompt's and the tools' while any are left. The opening's covers
        # the system prompt and the tools, the system prompt's covers the tools.
        free = 0
        if cacheable and is_legacy_layout(system):
            cache_prefix(converted)
            free = 3
        elif cacheable:
            free = 4 - cache_turns(
                converted,
                latest_summary(messages),
                opening=opening_exchange(messages) > 0,
                continuation=is_continuation(system),
            )
        params: dict[str, Any] = {"model": model or self.default_model, "messages": converted}
        if system:
            stable, volatile = split_system(system)
            blocks: list[dict[str, Any]] = []
            if stable.strip():
                blocks.append({"type": "text", "text": stable})
                if free > 0:
                    blocks[-1]["cache_control"] = EPHEMERAL
                    free -= 1
            if volatile.strip():
                blocks.append({"type": "text", "text": volatile})
            params["system"] = blocks
        if tools:
            specs = [
                {"name": t.name, "description": t.description, "input_schema": t.input_schema}
                for t in tools
            ]
            if free > 0:  # caches every tool definition
                specs[-1]["cache_control"] = EPHEMERAL
            params["tools"] = specs
        # Last line of defence: the SDK cannot encode a lone surrogate (see victor.text).
        return clean_value(params)

    def _check_key(self) -> None:
        # Without a key the official API can only say 401; say it without the round trip.
        # A custom base URL (a proxy, a local server) may not need one.
        if not self._has_key and self.base_url.startswith(OFFICIAL_URL):
            raise AuthenticationError(
                f"No Anthropic API key is set. {AUTH_HINT}", status=None, provider=self.name
            )

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str = "",
        tools: Sequence[ToolSpec] = (),
        max_tokens: int = 4096,
    ) -> ChatResponse:
        params = self._params(messages, model, system, tools)
        params["max_tokens"] = self.max_tokens_for(params["model"], max_tokens).sent

        async def once() -> ChatResponse:
            self._check_key()
            try:
                msg = await self._client.messages.create(**params)
            except Exception as exc:
                raise self._error(exc) from exc
            text = "".join(b.text for b in msg.content if b.type == "text")
            calls = [
                ToolCall(b.id, b.name, dict(b.input or {}))
                for b in msg.content
                if b.type == "tool_use"
            ]
            usage = usage_from(msg.usage, Usage())
            return ChatResponse(text, usage, calls, stop_reason(msg.stop_reason), msg.model)

        return await call_with_retries(once, self.retry)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str = "",
        tools: Sequence[ToolSpec] = (),
        max_tokens: int = 4096,
    ) -> AsyncIterator[StreamEvent]:
        params = self._params(messages, model, system, tools)
        params["max_tokens"] = self.max_tokens_for(params["model"], max_tokens).sent
        return stream_with_retries(lambda: self._stream_once(params), self.retry)

    async def _stream_once(self, params: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        self._check_key()
        try:
            stream = await self._client.messages.create(stream=True, **params)
        except Exception as exc:
            raise self._error(exc) from exc
        state = StreamState(params["model"])
        try:
            async for event in stream:
                for out in state.feed(event):
                    yield out
            if not state.stopped:
                raise ProviderConnectionError(
                    "The Anthropic stream ended before the answer was complete.",
                    provider=self.name,
                )
        except (_sdk().anthropic.AnthropicError, *_sdk().http_errors, ValueError) as exc:
            raise self._error(exc) from exc
        finally:
            await stream.close()  # at once, so the server sees the request end
        yield StreamEvent("done", response=state.response())

    async def count_tokens(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str = "",
        tools: Sequence[ToolSpec] = (),
    ) -> int | None:
        try:
            self._check_key()
            result = await self._client.messages.count_tokens(
                **self._params(messages, model, system, tools)
            )
            return int(result.input_tokens)
        except Exception:  # an estimate is only an optimisation: never fail a turn over it
            return None

    def context_window(self, model: str) -> int:
        name = (model or self.default_model).lower()
        matches = [k for k in _CONTEXT_WINDOWS if name.startswith(k)]
        return _CONTEXT_WINDOWS[max(matches, key=len)] if matches else 200_000

    async def aclose(self) -> None:
        await self._clients.aclose()

    # ----------------------------------------------------------------- errors

    def _error(self, exc: BaseException) -> ProviderError:
        if isinstance(exc, ProviderError):
            return exc
        sdk = _sdk()
        if isinstance(exc, (sdk.anthropic.APITimeoutError, *sdk.timeouts)):
            return ProviderTimeoutError(
                f"Anthropic sent nothing for {self.timeout:g}s. Try again; if it keeps "
                "happening, raise the request timeout (VICTOR_REQUEST_TIMEOUT).",
                provider=self.name,
            )
        if isinstance(exc, (sdk.anthropic.APIConnectionError, *sdk.transport)):
            return ProviderConnectionError(
                f"The connection to Anthropic ({self.base_url}) failed or broke. Check the "
                "network (and ANTHROPIC_BASE_URL if set), then try again.",
                provider=self.name,
            )
        if isinstance(exc, sdk.anthropic.APIStatusError):
            return error_for_status(
                exc.status_code,
                provider=self.name,
                error_type=exc.type,
                message=exc.api_message or "",
                retry_after=parse_retry_after(exc.response.headers),
                auth_hint=AUTH_HINT,
                model_hint=MODEL_HINT,
            )
        if isinstance(exc, UnicodeEncodeError):  # cannot happen after clean_value: say so
            return InvalidRequestError(
                "The request to Anthropic contained text that cannot be encoded as UTF-8.",
                provider=self.name,
            )
        return ProviderError(
            "Anthropic sent a response Victor could not read (malformed data). Try again.",
            provider=self.name,
        )


async def _close(client: Any) -> None:
    await client.close()


def latest_summary(messages: Sequence[Message]) -> str | None:
    """The text of the latest compaction summary note, if any: where the part of the
    conversation that compaction keeps as it is ends (``protocols.stable_head``, which looks
    at the start of the conversation only; ``cache_turns``)."""
    head = stable_head(messages)
    return messages[head - 1].content if head and is_summary(messages[head - 1]) else None
