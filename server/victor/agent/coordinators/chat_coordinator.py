"""ChatCoordinator: one turn against the model, including the tool-use loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from victor.agent.coordinators.tool_coordinator import ToolCoordinator
from victor.agent.events import AgentEvent, TextDelta, ToolCallStarted, ToolResultReady
from victor.protocols import Message, ToolSpec
from victor.providers.base import ChatResponse, Provider, Usage

# Called before every model request with the turn so far; returns the messages to send and
# their token count (the orchestrator compacts there when tool output piles up).
PrepareRequest = Callable[["TurnState"], Awaitable[tuple[list[Message], int]]]


@dataclass(slots=True)
class TurnState:
    """What a turn produced so far; read by the orchestrator when the turn is interrupted."""

    history: list[Message]
    new_messages: list[Message] = field(default_factory=list)
    partial_text: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    rounds: int = 0
    stop_reason: str = "end_turn"
    model: str = ""

    @property
    def content(self) -> str:
        return "".join(self.text)

    def interrupted_messages(self) -> list[Message]:
        """The turn's messages with the unfinished answer appended, marked interrupted."""
        messages = list(self.new_messages)
        partial = "".join(self.partial_text)
        messages.append(Message(role="assistant", content=partial, interrupted=True))
        return messages


class ChatCoordinator:
    """Runs a turn against the model: streams the answer, runs the tools it asks for and asks
    again, up to the tool coordinator's round limit. ``model`` and ``max_tokens`` are the
    defaults; a turn may override them (a config provider's answer for its session)."""

    def __init__(self, provider: Provider, model: str, *, max_tokens: int = 4096) -> None:
        self.provider = provider
        self.model = model
        self.max_tokens = max_tokens

    async def run_turn(
        self,
        state: TurnState,
        *,
        system: str,
        tools: list[ToolSpec],
        tool_coordinator: ToolCoordinator,
        window: int,
        overhead: int,
        prepare: PrepareRequest,
        model: str | None = None,
        max_tokens: int | None = None,
        max_rounds: int | None = None,
    ) -> AsyncIterator[AgentEvent]:
        """Stream the model's answer; run requested tools and ask again, up to the round limit.

        ``state.new_messages`` must already hold the user's message; the assistant and tool
        messages are appended as they complete. ``model``, ``max_tokens`` and ``max_rounds``
        apply to this turn only (defaults: the coordinators' own).
        """
        model = model or self.model
        answer_limit = max_tokens or self.max_tokens
        rounds_limit = tool_coordinator.max_rounds if max_rounds is None else max_rounds
        state.model = model
        while True:
            messages, tokens = await prepare(state)
            # Never ask for more answer than the window leaves room for.
            room = window - overhead - tokens
            request_max_tokens = max(16, min(answer_limit, room))
            if state.text and state.text[-1].strip():
                state.text.append("\n\n")
                yield TextDelta("\n\n")
            response: ChatResponse | None = None
            state.partial_text = []
            stream = self.provider.stream(
                messages, model=model, system=system, tools=tools, max_tokens=request_max_tokens
            )
            try:
                async for event in stream:
                    if event.type == "text" and event.text:
                        state.partial_text.append(event.text)
                        state.text.append(event.text)
                        yield TextDelta(event.text)
                    elif event.type == "tool_call" and event.tool_call is not None:
                        yield ToolCallStarted(event.tool_call)
                    elif event.type == "done":
                        response = event.response
            finally:
                await stream.aclose()
            if response is None:
                response = ChatResponse(content="".join(state.partial_text), stop_reason="end_turn")
            state.partial_text = []
            state.usage = state.usage + response.usage
            state.stop_reason = response.stop_reason
            state.new_messages.append(
                Message(
                    role="assistant", content=response.content, tool_calls=list(response.tool_calls)
                )
            )
            if response.stop_reason != "tool_use" or not response.tool_calls:
                return
            if state.rounds >= rounds_limit:
                # Leave the calls unanswered in the record? No: answer them so the session
                # stays valid, and tell the model why nothing ran.
                for call in response.tool_calls:
                    state.new_messages.append(
                        Message(
                            role="tool",
                            tool_call_id=call.id,
                            is_error=True,
                            content="Tool round limit reached; answer with what you have.",
                        )
                    )
                return
            state.rounds += 1
            results = await tool_coordinator.execute(list(response.tool_calls))
            for call, result in zip(response.tool_calls, results, strict=True):
                state.new_messages.append(
                    Message(
                        role="tool",
                        content=result.content,
                        tool_call_id=call.id,
                        is_error=result.is_error,
                        metadata={"tool": call.name},
                    )
                )
                yield ToolResultReady(call.id, call.name, result.content, result.is_error)
