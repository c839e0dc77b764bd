"""The opening exchange survives a summary compaction verbatim, when there is room (issue 13:
the request after a compaction reads it from the prompt cache instead of writing it again)."""

from __future__ import annotations

from tests.support.model_script import Reply
from victor.agent.coordinators.compaction import opening_exchange
from victor.agent.coordinators.summary_compaction import (
    CONVERSATION_PREFIX,
    SUMMARY_PREFIX,
    SUMMARY_REQUEST_START,
    ConversationPrefix,
    SummarizationCompactionStrategy,
)
from victor.agent.tokens import TokenCounter
from victor.protocols import EDITOR_CONTEXT, EDITOR_VIEWS, Context, Message, ToolCall

TASK = Message(
    "user",
    "Port the loader to asyncio; keep the retry policy.",
    metadata={EDITOR_CONTEXT: "## Open file\nloader.py text", EDITOR_VIEWS: {"file": "v1"}},
)
CALL = Message("assistant", "Reading it.", tool_calls=[ToolCall("t1", "read_file", {})])
RESULT = Message("tool", "def load(): ...", tool_call_id="t1")
PLAN = Message("assistant", "Plan: 1. async client 2. retries with backoff.")


def _turns(count: int, words: int = 40) -> list[Message]:
    out = []
    for i in range(count):
        out.append(Message("user", f"Question {i}: " + "why " * words))
        out.append(Message("assistant", f"Answer {i}: " + "because " * words))
    return out


def _context(messages: list[Message], budget: int) -> Context:
    return Context(
        messages=messages, metadata={"token_budget": budget, "token_counter": TokenCounter()}
    )


def test_the_opening_runs_to_the_first_answer_that_calls_no_tool() -> None:
    assert opening_exchange([TASK, CALL, RESULT, PLAN, *_turns(2)]) == 4
    assert opening_exchange([TASK, PLAN]) == 2
    assert opening_exchange([TASK, CALL, RESULT]) == 0  # no answer yet
    summary = Message("user", f"{SUMMARY_PREFIX}\n- x", metadata={"kind": "summary"})
    assert opening_exchange([summary, PLAN, *_turns(1)]) == 0  # an earlier compaction's
    assert opening_exchange([Message("system", "rules"), TASK, PLAN]) == 0
    assert opening_exchange([]) == 0


async def test_a_summary_keeps_the_opening_verbatim_and_says_so(llm, anthropic) -> None:
    llm.enqueue(Reply(text="- decided: asyncio, same retry policy"))
    strategy = SummarizationCompactionStrategy(anthropic, "m", keep_last_n=4)
    messages = [TASK, CALL, RESULT, PLAN, *_turns(8)]
    context = _context(messages, budget=2000)
    context.metadata[CONVERSATION_PREFIX] = ConversationPrefix("sys", (), tuple(messages), "m")
    result = await strategy.compact(context)
    kept = result.messages
    # the same objects: text, editor snapshot and views as the first request sent them
    assert kept[:4] == [TASK, CALL, RESULT, PLAN]
    assert kept[0].metadata[EDITOR_CONTEXT] == TASK.metadata[EDITOR_CONTEXT]
    assert kept[4].content.startswith(SUMMARY_PREFIX) and "asyncio" in kept[4].content
    assert kept[5:] == messages[-4:]
    # the summary continues the conversation and is told what stays
    (asked,) = [r.body for r in llm.requests_to("/v1/messages")]
    question = str(asked["messages"][-1]["content"])
    assert SUMMARY_REQUEST_START in question
    assert "The first 4 and the latest 4 messages stay as they are" in question


async def test_a_transcript_summary_leaves_the_kept_opening_out(llm, anthropic) -> None:
    llm.enqueue(Reply(text="- questions about why"))
    strategy = SummarizationCompactionStrategy(anthropic, "m", keep_last_n=4)
    messages = [TASK, CALL, RESULT, PLAN, *_turns(8)]
    result = await strategy.compact(_context(messages, budget=2000))
    assert result.messages[:4] == [TASK, CALL, RESULT, PLAN]
    (asked,) = [r.body for r in llm.requests_to("/v1/messages")]
    transcript = str(asked["messages"])
    assert "Question 0" in transcript and "Port the loader" not in transcript


async def test_an_opening_too_big_for_the_budget_is_summarized_with_the_rest(
    llm, anthropic
) -> None:
    llm.enqueue(Reply(text="- the task: port the loader"))
    big = Message("user", "Port the loader: " + "context " * 1500)
    strategy = SummarizationCompactionStrategy(anthropic, "m", keep_last_n=4)
    messages = [big, PLAN, *_turns(8)]
    result = await strategy.compact(_context(messages, budget=2000))
    assert big not in result.messages and PLAN not in result.messages
    assert result.messages[0].content.startswith(SUMMARY_PREFIX)
    assert result.messages[1:] == messages[-4:]
    (asked,) = [r.body for r in llm.requests_to("/v1/messages")]
    assert "Port the loader" in str(asked["messages"])  # summarized, not lost
