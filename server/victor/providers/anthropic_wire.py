"""Anthropic Messages wire format: Victor's transcript -> request ``messages``, and the raw
stream events -> Victor's StreamEvents. Pure functions; the provider does the HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from victor.protocols import Message, ToolCall
from victor.providers.base import ChatResponse, StreamEvent, Usage
from victor.providers.transcript import (
    pair_tool_results,
    remap_tool_ids,
    tool_turns_as_text,
    with_editor_context,
)

EPHEMERAL = {"type": "ephemeral"}
# tool_use ids must match this (the API's schema; "String should match pattern ...")
TOOL_ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")

_STOP_REASONS = {"end_turn", "tool_use", "max_tokens", "stop_sequence"}
# the answer ran into the context window: for the caller that is a length cut like max_tokens
_STOP_ALIASES = {"model_context_window_exceeded": "max_tokens"}


def to_anthropic_messages(
    messages: Sequence[Message], *, with_tools: bool = True
) -> list[dict[str, Any]]:
    """Victor messages -> Messages API ``messages``: tool calls become tool_use blocks, tool
    results become tool_result blocks in a user message, and same-role neighbours are merged
    (the API wants strict alternation). After ``pair_tool_results`` the results directly
    follow their call, so they also lead their user message, as the API requires.

    Tool call ids are made unique and valid for this API (they may come from another
    provider); ``with_tools=False`` (the request defines no tools) writes tool turns out as
    text, since tool blocks need ``tools``."""
    paired = pair_tool_results(with_editor_context(messages))
    # tool blocks without ``tools`` are rejected: then they are written out as text
    paired = remap_tool_ids(paired, TOOL_ID_PATTERN) if with_tools else tool_turns_as_text(paired)
    out: list[dict[str, Any]] = []
    for msg in paired:
        blocks: list[dict[str, Any]] = []
        if msg.role == "tool":
            role = "user"
            blocks.append(
                {
                    "type": "tool_result",
                    "tool_use_id": msg.tool_call_id,
                    "content": msg.content or "(no output)",
                    "is_error": msg.is_error,
                }
            )
        else:
            role = "assistant" if msg.role == "assistant" else "user"
            if msg.content.strip():  # the API rejects empty text blocks
                blocks.append({"type": "text", "text": msg.content})
            for call in msg.tool_calls:
                blocks.append(
                    {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
                )
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    if out and out[0]["role"] != "user":  # e.g. compaction dropped the opening user turn
        out.insert(0, {"role": "user", "content": [{"type": "text", "text": "(continued)"}]})
    return out


def cache_prefix(messages: list[dict[str, Any]]) -> None:
    """The legacy layout's breakpoint (``SystemPrompt.legacy``): on the last block of the
    message before the newest one."""
    if len(messages) >= 2:
        messages[-2]["content"][-1]["cache_control"] = EPHEMERAL


def cache_turns(
    messages: list[dict[str, Any]],
    head_text: str | None = None,
    *,
    opening: bool = True,
    continuation: bool = False,
) -> int:
    """Breakpoints in the conversation: at its end, so this whole request is written to the
    cache, and on the message before the newest one (the previous answer, or the tool call
    whose results are newest). The API looks for cached prefixes up to 20 blocks before
    each breakpoint, so the second one finds what the previous request wrote at its end
    when the conversation was only extended, and otherwise the prefix up to the previous
    answer: when the turn layout drops the previous question's editor snapshot, only that
    question, its answer and the new question are written again.

    Up to two more end the part compaction keeps as it is (summary_compaction.py): the
    opening exchange (``opening_end``; ``opening`` says the conversation still starts with
    it) once the conversation has gone past it, and the text block ``head_text`` (the latest
    compaction's summary note, after the opening and earlier summaries). The request after a
    compaction then reads that part instead of writing it again: through the latest summary
    when the compaction kept every summary, through the opening when it summarized the
    summaries again into one (a new note, so that mark finds nothing). Marking them on every
    request keeps both entries alive at no cost.

    A ``continuation`` (a one-off request extending the last one sent: a compaction's
    summary) gets one conversation breakpoint instead of the two: at the end of that last
    request (the user message the newest answer replied to), so it reads what that request
    wrote and its own tail (the answer, tool results and the summary's question, which the
    compaction replaces) is billed once at 1x instead of written at 1.25x.

    Returns how many breakpoints it placed."""
    placed = 0
    if continuation:
        last_sent = previous_request_end(messages)
        tail = last_sent if last_sent is not None else 0  # nothing after it is written
        if last_sent is not None:
            messages[last_sent]["content"][-1]["cache_control"] = EPHEMERAL
            placed += 1
    else:
        tail = len(messages) - 2  # the marks on the last two cover what starts there
        for message in messages[-2:]:
            message["content"][-1]["cache_control"] = EPHEMERAL
            placed += 1
    heads: list[tuple[int, int]] = []
    end = opening_end(messages) if opening else None
    if end is not None:
        heads.append((end, -1))
    summary = _text_block(messages, head_text) if head_text else None
    if summary is not None:
        heads.append(summary)
    for message_index, block_index in heads:
        if message_index < tail:
            messages[message_index]["content"][block_index]["cache_control"] = EPHEMERAL
            placed += 1
    return placed


def previous_request_end(messages: Sequence[dict[str, Any]]) -> int | None:
    """The index of the user message the newest answer replied to: where the request that
    got that answer ended. None without an answer after a question."""
    for index in range(len(messages) - 1, 0, -1):
        if messages[index]["role"] == "assistant" and messages[index - 1]["role"] == "user":
            return index - 1
    return None


def _text_block(messages: Sequence[dict[str, Any]], text: str) -> tuple[int, int] | None:
    """(message, block) of the first user text block that is exactly ``text``: the summary
    notes sit at the start of the conversation, so the search ends there, and a later
    message that happens to repeat the text does not move the breakpoint."""
    for index, message in enumerate(messages):
        if message["role"] != "user":
            continue
        for block_index, block in enumerate(message["content"]):
            if block.get("type") == "text" and block.get("text") == text:
                return index, block_index
    return None


def opening_end(messages: Sequence[dict[str, Any]]) -> int | None:
    """The index of the message that ends the opening exchange: the first answer that calls
    no tool, after the first question (and its tool rounds). None before there is one."""
    for index, message in enumerate(messages):
        if message["role"] == "assistant" and not any(
            block.get("type") == "tool_use" for block in message["content"]
        ):
            return index
    return None


class StreamState:
    """Turns the raw Messages stream events into Victor's StreamEvents."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.text: list[str] = []
        self.calls: list[ToolCall] = []
        self.tools: dict[int, tuple[str, str, list[str]]] = {}
        self.usage = Usage()
        self.stop_reason: str | None = None
        self.stopped = False

    def feed(self, event: Any) -> list[StreamEvent]:
        kind = event.type
        if kind == "message_start":
            self.model = event.message.model or self.model
            self.usage = usage_from(event.message.usage, self.usage)
        elif kind == "content_block_start":
            block = event.content_block
            if block.type == "tool_use":
                self.tools[event.index] = (block.id, block.name, [])
            elif block.type == "text" and block.text:
                return self._text(block.text)
        elif kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta":
                return self._text(delta.text)
            if delta.type == "input_json_delta" and event.index in self.tools:
                self.tools[event.index][2].append(delta.partial_json)
        elif kind == "content_block_stop" and event.index in self.tools:
            tid, name, parts = self.tools.pop(event.index)
            args = json.loads("".join(parts) or "{}")  # ValueError -> "malformed" upstream
            call = ToolCall(tid, name, args if isinstance(args, dict) else {"input": args})
            self.calls.append(call)
            return [StreamEvent("tool_call", tool_call=call)]
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            self.usage = usage_from(event.usage, self.usage)
        elif kind == "message_stop":
            self.stopped = True
        return []

    def _text(self, text: str) -> list[StreamEvent]:
        self.text.append(text)
        return [StreamEvent("text", text=text)]

    def response(self) -> ChatResponse:
        stop = stop_reason(self.stop_reason)
        return ChatResponse("".join(self.text), self.usage, self.calls, stop, self.model)


def usage_from(raw: Any, previous: Usage) -> Usage:
    """Anthropic usage -> Usage. Figures in a later event replace earlier ones (they are
    cumulative); a field the event leaves out keeps its earlier value."""

    def pick(name: str, old: int) -> int:
        value = getattr(raw, name, None)
        return old if value is None else int(value)

    return Usage(
        input_tokens=pick("input_tokens", previous.input_tokens),
        output_tokens=pick("output_tokens", previous.output_tokens),
        cache_read_tokens=pick("cache_read_input_tokens", previous.cache_read_tokens),
        cache_write_tokens=pick("cache_creation_input_tokens", previous.cache_write_tokens),
    )


def stop_reason(reason: str | None) -> str:
    reason = _STOP_ALIASES.get(reason or "", reason)
    return reason if reason in _STOP_REASONS else "end_turn"
