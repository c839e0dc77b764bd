"""Message conversion: the shapes each API demands, for any history Victor may hold."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.model_server import ModelServer, Reply
from victor.protocols import Message, ToolCall
from victor.providers.anthropic import AnthropicProvider, to_anthropic_messages
from victor.providers.openai_compat import to_openai_messages
from victor.providers.transcript import INTERRUPTED_RESULT, pair_tool_results

IDS = st.sampled_from(["t1", "t2", "t3", "t4"])
TEXT = st.text(alphabet="ab \n", max_size=6)


@st.composite
def histories(draw: st.DrawFn) -> list[Message]:
    """Arbitrary, often malformed, histories: tool results without calls, calls without
    results, empty messages, stray system notes, results out of order."""
    out = []
    for _ in range(draw(st.integers(0, 10))):
        role = draw(st.sampled_from(["user", "assistant", "tool", "system"]))
        if role == "assistant":
            ids = draw(st.lists(IDS, unique=True, max_size=3))
            calls = [ToolCall(i, "read_file", {"path": i}) for i in ids]
            out.append(Message("assistant", draw(TEXT), tool_calls=calls))
        elif role == "tool":
            out.append(Message("tool", draw(TEXT), tool_call_id=draw(IDS)))
        else:
            out.append(Message(role, draw(TEXT)))
    return out


@given(histories())
def test_anthropic_every_tool_result_answers_the_call_just_before(history: list[Message]) -> None:
    converted = to_anthropic_messages(history)
    roles = [m["role"] for m in converted]
    assert all(a != b for a, b in zip(roles, roles[1:], strict=False))  # strict alternation
    assert not converted or roles[0] == "user"
    for i, msg in enumerate(converted):
        blocks = msg["content"]
        assert blocks, "no empty messages"
        assert all(b["text"].strip() for b in blocks if b["type"] == "text")
        kinds = [b["type"] == "tool_result" for b in blocks]
        assert kinds == sorted(kinds, reverse=True), "tool_result blocks come first"
        uses = [b["id"] for b in blocks if b["type"] == "tool_use"]
        if uses:
            assert i + 1 < len(converted), "a call is never the last word"
            answered = [
                b["tool_use_id"] for b in converted[i + 1]["content"] if b["type"] == "tool_result"
            ]
            assert answered == uses
        results = [b["tool_use_id"] for b in blocks if b["type"] == "tool_result"]
        if results:
            before = converted[i - 1]["content"] if i else []
            assert results == [b["id"] for b in before if b["type"] == "tool_use"]


@given(histories())
def test_no_text_is_lost(history: list[Message]) -> None:
    converted = to_anthropic_messages(history)
    sent = "\n".join(
        b.get("text") or b.get("content") or "" for m in converted for b in m["content"]
    )
    for msg in history:
        if msg.content.strip():
            assert msg.content in sent


@given(histories())
def test_openai_tool_messages_follow_their_call(history: list[Message]) -> None:
    converted = to_openai_messages(history, system="sys")
    assert converted[0] == {"role": "system", "content": "sys"}
    pending: list[str] = []
    for msg in converted[1:]:
        if msg["role"] == "tool":
            assert pending and msg["tool_call_id"] == pending.pop(0)
            continue
        assert not pending, "every call is answered before the next message"
        if msg["role"] == "assistant":
            assert msg["content"] or msg.get("tool_calls")
            pending = [c["id"] for c in msg.get("tool_calls", [])]
    assert not pending


def test_pairing_fills_missing_results_and_reorders() -> None:
    history = [
        Message("assistant", "", tool_calls=[ToolCall("a", "x"), ToolCall("b", "y")]),
        Message("tool", "B", tool_call_id="b"),
        Message("tool", "stray", tool_call_id="zzz"),
    ]
    paired = pair_tool_results(history)
    assert [(m.role, m.tool_call_id, m.content) for m in paired[1:3]] == [
        ("tool", "a", INTERRUPTED_RESULT),
        ("tool", "b", "B"),
    ]
    assert paired[1].is_error
    assert paired[3].role == "user" and "stray" in paired[3].content


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=60), size=st.integers(1, 7))
def test_any_text_survives_any_chunking_over_the_wire(
    model_server: ModelServer, text: str, size: int
) -> None:
    """Through the real SDK and HTTP: any text, split into deltas anywhere, joins back to
    exactly that text (non-ASCII, whitespace-only and newline pieces included)."""
    model_server.enqueue(Reply(text=text, chunk_size=size))

    async def run() -> str:
        provider = AnthropicProvider(api_key="k", base_url=model_server.url)
        try:
            parts = [e.text async for e in provider.stream([Message("user", "q")], model="m")]
        finally:
            await provider.aclose()
        return "".join(parts)

    assert asyncio.run(run()) == text
