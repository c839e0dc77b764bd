"""Compaction invariants, for every strategy, on arbitrary conversations (hypothesis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.model_server import ModelServer
from victor.agent.coordinators.compaction import (
    RecentMessagesCompactionStrategy,
    SemanticCompactionStrategy,
    TaskAwareCompactionStrategy,
)
from victor.agent.coordinators.context_coordinator import ContextCoordinator
from victor.agent.coordinators.summary_compaction import (
    SUMMARY_PREFIX,
    SummarizationCompactionStrategy,
)
from victor.protocols import SUMMARY_KIND, Context, Message, ToolCall, is_summary, stable_head
from victor.providers.anthropic import AnthropicProvider


@st.composite
def conversations(draw):
    messages: list[Message] = []
    n_units = draw(st.integers(1, 60))
    text = st.text(min_size=0, max_size=400)
    for i in range(n_units):
        kind = draw(st.sampled_from(["user", "assistant", "tool", "pinned"]))
        if kind == "tool":
            calls = [
                ToolCall(f"c{i}_{j}", "read_file", {"path": "x"})
                for j in range(draw(st.integers(1, 3)))
            ]
            messages.append(Message("assistant", draw(text), tool_calls=calls))
            for call in calls:
                messages.append(
                    Message("tool", draw(text) * draw(st.integers(1, 5)), tool_call_id=call.id)
                )
        elif kind == "pinned":
            messages.append(Message("user", draw(text)[:100], pinned=True))
        else:
            messages.append(Message(kind, draw(text)))
    messages.append(Message("user", "the latest question " + draw(text)))
    return messages


def _check(original: list[Message], result: list[Message], budget: int, counter) -> None:
    ids = {id(m) for m in result}
    contents = [m.content for m in result]
    for m in original:
        if m.pinned:
            assert id(m) in ids or any(m.content[:50] in c for c in contents), "pinned dropped"
    called = {c.id for m in result if m.role == "assistant" for c in m.tool_calls}
    answered = {m.tool_call_id for m in result if m.role == "tool"}
    assert called == answered, "a tool result was separated from its call"
    for index, m in enumerate(result):
        if m.role == "tool":
            # the call sits in the nearest preceding assistant message
            prev = next(p for p in reversed(result[:index]) if p.role != "tool")
            assert m.tool_call_id in {c.id for c in prev.tool_calls}
    assert result[-1].content.startswith("the latest question") or "cut to fit" in (
        result[-1].content
    )
    pinned_tokens = counter.messages([m for m in result if m.pinned])
    assert counter.messages(result) <= max(budget, pinned_tokens) + 64


STRATEGIES = [
    RecentMessagesCompactionStrategy(5),
    TaskAwareCompactionStrategy(),
    SemanticCompactionStrategy(target_count=6),
    None,
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(), st.integers(200, 6000), st.sampled_from(range(len(STRATEGIES))))
async def test_compaction_keeps_invariants(messages, window, strategy_index):
    coordinator = ContextCoordinator(compaction_strategy=STRATEGIES[strategy_index])
    coordinator.configure(window=window, threshold=0.75, target=0.5)
    budget = coordinator.budget.messages_target(0)
    result = await coordinator.compact_context(Context(messages=list(messages)))
    _check(messages, result.messages, budget, coordinator.counter)


async def test_a_strategy_that_breaks_the_rules_is_repaired():
    class Careless(RecentMessagesCompactionStrategy):
        async def compact(self, context):
            # drops the pinned message and splits a tool call from its result
            return Context(
                messages=[m for m in context.messages if m.role != "assistant" and not m.pinned]
            )

    call = ToolCall("t1", "read_file", {})
    messages = [
        Message("user", "keep me", pinned=True),
        Message("user", "q"),
        Message("assistant", "", tool_calls=[call]),
        Message("tool", "result", tool_call_id="t1"),
        Message("user", "latest"),
    ]
    coordinator = ContextCoordinator(compaction_strategy=Careless())
    result = await coordinator.compact_context(Context(messages=messages))
    assert result.messages[0].content == "keep me"
    assert all(m.role != "tool" for m in result.messages)


async def test_a_raising_strategy_falls_back():
    class Broken(RecentMessagesCompactionStrategy):
        async def compact(self, context):
            raise RuntimeError("boom")

    coordinator = ContextCoordinator(compaction_strategy=Broken())
    coordinator.configure(window=1000, threshold=0.75, target=0.5)
    messages = [Message("user", "x " * 200) for _ in range(30)]
    result = await coordinator.compact_context(Context(messages=messages))
    assert result.metadata["strategy"] == "recent"
    assert len(result.messages) < 30


async def test_a_single_huge_message_is_truncated_not_raised():
    coordinator = ContextCoordinator(compaction_strategy=RecentMessagesCompactionStrategy())
    coordinator.configure(window=2000, threshold=0.75, target=0.5)
    result = await coordinator.compact_context(Context(messages=[Message("user", "y" * 100_000)]))
    assert "cut to fit" in result.messages[0].content
    assert coordinator.count(result.messages) <= 1000 + 64


@pytest.fixture(scope="module")
def summary_server() -> Iterator[ModelServer]:
    """One model server for every example (hypothesis runs many in one test)."""
    with ModelServer() as server:
        yield server


@st.composite
def with_head(draw):
    """A conversation that may open with a question and its answer, then earlier summaries."""
    head: list[Message] = []
    if draw(st.booleans()):
        head += [
            Message("user", "the task " + draw(st.text(max_size=300))),
            Message("assistant", "ok"),
        ]
    for i in range(draw(st.integers(0, 3))):
        text = f"{SUMMARY_PREFIX}\n- part {i} " + draw(st.text(max_size=300))
        head.append(Message("user", text, metadata={"kind": SUMMARY_KIND}))
    return head + draw(conversations())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_head(), st.integers(400, 6000))
async def test_the_summary_strategy_keeps_the_invariants_and_its_head(
    summary_server, messages, window
):
    provider = AnthropicProvider(api_key="test-key", base_url=summary_server.url)
    coordinator = ContextCoordinator(
        compaction_strategy=SummarizationCompactionStrategy(provider, "m")
    )
    coordinator.configure(window=window, threshold=0.75, target=0.5)
    budget = coordinator.budget.messages_target(0)
    result = (await coordinator.compact_context(Context(messages=list(messages)))).messages
    _check(messages, result, budget, coordinator.counter)
    # what stays at the start is the original head, unchanged, and in order; at most one
    # new summary follows it
    head = stable_head(messages)
    kept = next((n for n in range(head, 0, -1) if result[:n] == messages[:n]), 0)
    notes = [m for m in result[kept:] if is_summary(m)]
    assert len(notes) <= 1
    assert all(is_summary(m) for m in result[:kept] if m.role == "user" and m is not messages[0])
