"""The opening exchange survives a summary compaction verbatim, when there is room (issue 13:
the request after a compaction reads it from the prompt cache instead of writing it again)."""

from __future__ import annotations

from tests.support.model_script import Reply
from victor.agent.coordinators.summary_compaction import (
    CONVERSATION_PREFIX,
    SUMMARY_PREFIX,
    SUMMARY_REQUEST_START,
    ConversationPrefix,
    SummarizationCompactionStrategy,
)
from victor.agent.tokens import TokenCounter
from victor.protocols import (
    EDITOR_CONTEXT,
    EDITOR_VIEWS,
    SUMMARY_KIND,
    Context,
    Message,
    ToolCall,
    opening_exchange,
    stable_head,
)

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


def _summary(text: str) -> Message:
    return Message("user", f"{SUMMARY_PREFIX}\n{text}", metadata={"kind": SUMMARY_KIND})


async def test_an_earlier_summary_stays_and_the_new_one_follows_it(llm, anthropic) -> None:
    llm.enqueue(Reply(text="- later: the retries moved to a helper"))
    earlier = _summary("- decided: asyncio, same retry policy")
    messages = [TASK, PLAN, earlier, *_turns(8)]
    assert stable_head(messages) == 3
    strategy = SummarizationCompactionStrategy(anthropic, "m", keep_last_n=4)
    context = _context(messages, budget=2000)
    context.metadata[CONVERSATION_PREFIX] = ConversationPrefix("sys", (), tuple(messages), "m")
    kept = (await strategy.compact(context)).messages
    # the earlier summary is not summarized again: it stays where it was (a cached prefix),
    # the new summary covers only what came after it
    assert kept[:3] == [TASK, PLAN, earlier]
    assert kept[3].content.startswith(SUMMARY_PREFIX) and "helper" in kept[3].content
    assert kept[4:] == messages[-4:]
    (asked,) = [r.body for r in llm.requests_to("/v1/messages")]
    assert "The first 3 and the latest 4 messages stay" in str(asked["messages"][-1])


async def test_summaries_past_their_share_are_summarized_again_into_one(llm, anthropic) -> None:
    llm.enqueue(Reply(text="- all of it, in one summary"))
    piled = [_summary(f"- part {i}: " + "detail " * 120) for i in range(3)]
    messages = [TASK, PLAN, *piled, *_turns(8)]
    strategy = SummarizationCompactionStrategy(anthropic, "m", keep_last_n=4)
    kept = (await strategy.compact(_context(messages, budget=2000))).messages
    assert kept[:2] == [TASK, PLAN]  # the opening still fits
    assert not any(note in kept for note in piled)
    assert kept[2].content.startswith(SUMMARY_PREFIX) and "in one summary" in kept[2].content
    (asked,) = [r.body for r in llm.requests_to("/v1/messages")]
    assert "part 0" in str(asked["messages"])  # the old summaries went into the new one
