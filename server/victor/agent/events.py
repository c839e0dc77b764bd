"""Typed events of one agent turn, as ``AgentOrchestrator.stream_chat`` yields them.

The daemon forwards them to the editor (partial results); the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from victor.protocols import ToolCall
from victor.providers.base import ChatResponse


@dataclass(slots=True)
class ContextUsage:
    """How full the session's context is, after the turn."""

    tokens: int
    window: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.tokens / self.window, 2) if self.window else 0.0


@dataclass(slots=True)
class CompactionReport:
    before_messages: int
    before_tokens: int
    after_messages: int
    after_tokens: int
    strategy: str
    summary: str | None = None


@dataclass(slots=True)
class TurnStarted:
    session_id: str
    turn_id: str


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ToolCallStarted:
    call: ToolCall


@dataclass(slots=True)
class ToolResultReady:
    call_id: str
    name: str
    content: str
    is_error: bool = False


@dataclass(slots=True)
class Compacted:
    report: CompactionReport


@dataclass(slots=True)
class TurnDone:
    session_id: str
    turn_id: str
    response: ChatResponse
    context: ContextUsage
    compacted: bool = False
    tool_rounds: int = 0
    extra: dict[str, object] = field(default_factory=dict)


AgentEvent = TurnStarted | TextDelta | ToolCallStarted | ToolResultReady | Compacted | TurnDone
