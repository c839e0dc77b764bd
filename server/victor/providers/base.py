"""The one interface every model provider implements, and the values it returns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from victor.protocols import Message, ToolCall, ToolSpec
from victor.providers.limits import TokenCap

__all__ = [
    "ChatResponse",
    "SystemPrompt",
    "is_legacy_layout",
    "split_system",
    "Message",
    "Provider",
    "StreamEvent",
    "TokenCap",
    "ToolCall",
    "ToolSpec",
    "Usage",
]


class SystemPrompt(str):
    """A system prompt whose first ``stable_length`` characters rarely change.

    Providers with prompt caching put a cache breakpoint after the stable part (base prompt,
    rules, style card). A plain ``str`` counts as entirely stable. ``legacy`` marks the
    layout Victor used before the editor context moved into the user turn (the volatile
    file context at the end of the system prompt, the breakpoint on the message before the
    newest one); it is kept only to measure against (``prompt_layout = "legacy"``).
    ``cacheable=False`` marks a one-off request (a compaction's summary): nothing of it is
    read again, so writing it to the cache would only cost (1.25x instead of 1x).
    ``continuation=True`` marks a one-off request that continues the conversation of an
    earlier one (a summary that continues it): it reads what that request wrote and writes
    nothing new, since the compaction it is for replaces its tail.
    """

    stable_length: int
    legacy: bool
    cacheable: bool
    continuation: bool

    def __new__(
        cls,
        text: str,
        stable_length: int | None = None,
        *,
        legacy: bool = False,
        cacheable: bool = True,
        continuation: bool = False,
    ) -> SystemPrompt:
        obj = super().__new__(cls, text)
        obj.stable_length = len(text) if stable_length is None else max(0, stable_length)
        obj.legacy = legacy
        obj.cacheable = cacheable
        obj.continuation = continuation
        return obj

    @classmethod
    def continuing(cls, system: str) -> SystemPrompt:
        """``system`` (its stable part and other marks kept) for a one-off request
        continuing the earlier request that had it."""
        return cls(
            str(system),
            getattr(system, "stable_length", None),
            legacy=is_legacy_layout(system),
            cacheable=is_cacheable(system),
            continuation=True,
        )


def is_legacy_layout(system: str) -> bool:
    """Whether ``system`` asks for the legacy cache breakpoints (see ``SystemPrompt``)."""
    return bool(getattr(system, "legacy", False))


def is_continuation(system: str) -> bool:
    """Whether a request with ``system`` only continues an earlier one (``SystemPrompt``)."""
    return bool(getattr(system, "continuation", False))


def is_cacheable(system: str) -> bool:
    """Whether a request with ``system`` is worth writing to a prompt cache (``SystemPrompt``)."""
    return bool(getattr(system, "cacheable", True))


def split_system(system: str) -> tuple[str, str]:
    """(stable, volatile) parts of a system prompt."""
    cut = getattr(system, "stable_length", len(system))
    return str(system)[:cut], str(system)[cut:]


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass(slots=True)
class ChatResponse:
    """A finished model answer. ``stop_reason`` is the provider's, normalised to
    "end_turn" | "tool_use" | "max_tokens" | "stop_sequence" | "interrupted"."""

    content: str
    usage: Usage = field(default_factory=Usage)
    tool_calls: list[ToolCall] = field(default_factory=list)
    stop_reason: str = "end_turn"
    model: str = ""


@dataclass(slots=True)
class StreamEvent:
    """One event of a streamed answer.

    - ``text``: ``text`` holds the next piece of the answer;
    - ``tool_call``: ``tool_call`` is complete (arguments parsed);
    - ``done``: ``response`` is the whole answer with final usage. Always the last event.
    """

    type: Literal["text", "tool_call", "done"]
    text: str = ""
    tool_call: ToolCall | None = None
    response: ChatResponse | None = None


class Provider(ABC):
    """A model API. ``system`` is sent as the system prompt; ``messages`` never hold one."""

    #: short name shown to users ("anthropic", "openai", "preview")
    name: str = "provider"
    #: seconds a prompt prefix the API cached stays cached after its last use (Anthropic: 5
    #: minutes), for keeping an idle session's cache warm; None: the API bills no cache that
    #: expires (a local server's KV cache is evicted, not timed out)
    prompt_cache_lifetime: float | None = None

    @abstractmethod
    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str = "",
        tools: Sequence[ToolSpec] = (),
        max_tokens: int = 4096,
    ) -> ChatResponse: ...

    @abstractmethod
    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str = "",
        tools: Sequence[ToolSpec] = (),
        max_tokens: int = 4096,
    ) -> AsyncIterator[StreamEvent]:
        """Stream an answer. Closing the iterator (``aclose``) aborts the upstream request."""

    async def count_tokens(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str = "",
        tools: Sequence[ToolSpec] = (),
    ) -> int | None:
        """Exact input token count from the API, or ``None`` when it has no such endpoint."""
        return None

    @abstractmethod
    def context_window(self, model: str) -> int:
        """The model's context window in tokens (a safe default for unknown models)."""

    def max_tokens_for(self, model: str, requested: int) -> TokenCap:
        """What a ``max_tokens`` request becomes: capped to the model's output limit when it
        is known (``limits.py``), else sent as is."""
        return TokenCap(requested, requested, None)

    async def aclose(self) -> None:
        """Release HTTP connections."""
        return None
