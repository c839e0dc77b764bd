"""Compaction as the model sees it, turn after turn (issue 11, items 3, 13 and 14): what each
request carried, through the real Anthropic SDK against the local model server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.model_cache import without_breakpoints
from tests.support.model_script import Reply, ScriptedToolCall, count_prompt_tokens
from victor.agent.coordinators import PromptCoordinator
from victor.agent.coordinators.prompt_coordinator import BasePromptContributor
from victor.agent.coordinators.summary_compaction import (
    SUMMARY_REQUEST_START,
    SUMMARY_SYSTEM_PROMPT,
    summary_transcript,
)
from victor.agent.orchestrator import AgentOrchestrator
from victor.agent.prompt_view import prompt_view
from victor.config.settings import Settings
from victor.protocols import Message


def _texts(body: dict[str, Any]) -> list[str]:
    out = []
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, str):
            out.append(content)
        else:
            out.extend(b.get("text", "") for b in content if b.get("type") == "text")
    return out


def _is_summary(body: dict[str, Any]) -> bool:
    """A summary request: a transcript of its own, or the conversation continued."""
    asked = _texts({"messages": body["messages"][-1:]})
    return SUMMARY_SYSTEM_PROMPT in str(body.get("system", "")) or any(
        t.startswith(SUMMARY_REQUEST_START) for t in asked
    )


def _chat_requests(llm) -> list[dict[str, Any]]:
    return [r.body for r in llm.requests_to("/v1/messages") if not _is_summary(r.body)]


async def test_past_the_threshold_each_turn_sends_the_stored_context_and_never_alternates(
    llm, anthropic
):
    settings = Settings(
        context_window=4096, max_tokens=256, compaction_strategy="recent", enable_tools=False
    )
    orchestrator = AgentOrchestrator(settings, anthropic, "m")
    contexts = orchestrator._context_coordinator
    counts: list[int] = []
    for i in range(30):
        await orchestrator.chat(f"Question {i}: " + "how do the retries work here " * 10)
        body = _chat_requests(llm)[-1]
        counts.append(len(body["messages"]))
        # What the model got is exactly the stored context (plus this turn's question):
        # no throw-away compacted copy.
        stored = contexts.get_context(orchestrator.session_id).messages
        assert _texts(body) == [m.content for m in stored[:-1]]
    drops = [i for i in range(1, len(counts)) if counts[i] < counts[i - 1]]
    assert drops, f"the conversation never needed compacting: {counts}"
    # After a compaction the history grows again turn by turn until the next one; a
    # compacted and an uncompacted history on alternate turns (15, 35, 15, 39) is the bug.
    assert all(b - a >= 3 for a, b in zip(drops, drops[1:], strict=False)), counts
    assert all(counts[i] > counts[i - 1] for i in range(1, len(counts)) if i not in drops)


async def test_compaction_inside_a_turn_keeps_the_current_question(tmp_path: Path, llm, anthropic):
    lines = (f"value_{i:04d} = compute_something({i}, scale=1.5)  # note {i}" for i in range(900))
    (tmp_path / "big.py").write_text("\n".join(lines) + "\n")
    settings = Settings(context_window=8192, max_tokens=512, data_dir=tmp_path / ".data")
    orchestrator = AgentOrchestrator(settings, anthropic, "m", workspace=tmp_path)
    for i in range(4):
        await orchestrator.chat(f"earlier question {i}: " + "tell me about the module " * 8)
    question = "which values does big.py define?"
    await orchestrator.chat(question + ' [[tool:read_file {"path": "big.py"}]]')
    tool_round = _chat_requests(llm)[-1]
    assert any(b.get("type") == "tool_result" for m in tool_round["messages"] for b in m["content"])
    # The model must still see what was asked, not "(continued)" + tool_use + tool_result.
    assert any(text.startswith(question) for text in _texts(tool_round)), _texts(tool_round)[:3]
    assert tool_round["messages"][0]["role"] == "user"
    assert count_prompt_tokens(tool_round) + tool_round["max_tokens"] <= 8192
    # and the stored session keeps the question too
    stored = orchestrator._session_coordinator.store.transcript(orchestrator.session_id)
    assert any(m.content.startswith(question) for m in stored)
    await orchestrator.aclose()


class OpenBuffer(BasePromptContributor):
    """The editor's file context with a large unsaved buffer (volatile, like the real one)."""

    name = "file_context"

    def __init__(self, lines: int) -> None:
        self.text = "## Open file\n" + "".join(f"row_{i} = load(row={i})\n" for i in range(lines))

    async def get_contribution(self, context: Any) -> str:
        return self.text


async def test_a_large_open_buffer_in_a_small_window_never_sends_empty_messages(llm, anthropic):
    settings = Settings(context_window=4096, max_tokens=256, enable_tools=False)
    prompts = PromptCoordinator(contributors=[OpenBuffer(lines=230)])
    orchestrator = AgentOrchestrator(settings, anthropic, "m", _prompt_coordinator=prompts)
    sid = orchestrator.session_id
    long_line = "the whole stack trace was pasted on one line " * 70  # ~3000 chars, no newline
    orchestrator._session_coordinator.store.append_messages(
        sid,
        [Message("user" if i % 2 == 0 else "assistant", f"{i}: {long_line}") for i in range(6)],
    )
    summaries_per_turn = []
    for turn in range(3):
        before = len(llm.requests_to("/v1/messages"))
        await orchestrator.chat(f"question {turn} about the open file")
        new = [r.body for r in llm.requests_to("/v1/messages")[before:]]
        summaries_per_turn.append(sum(_is_summary(b) for b in new))
        for body in new:
            assert body["messages"], "a request without messages was sent"
            assert all(text.strip() for text in _texts(body)), "an empty text block was sent"
            if _is_summary(body):
                assert body["max_tokens"] >= 128, "a summary squeezed into a handful of tokens"
                assert count_prompt_tokens(body) + body["max_tokens"] <= 4096
    assert all(n <= 1 for n in summaries_per_turn), summaries_per_turn
    assert summaries_per_turn[0] == 1  # the history was summarized, from a non-empty transcript
    last = _chat_requests(llm)[-1]
    # the question, with the open buffer right before it (it travels with the turn)
    assert _texts(last)[-1].endswith("\n\nquestion 2 about the open file")
    assert _texts(last)[-1].startswith("<editor_context>\n## Open file\nrow_0 = load(row=0)")
    assert count_prompt_tokens(last) + last["max_tokens"] <= 4096


def test_the_summary_transcript_cuts_a_long_line_instead_of_ending_empty():
    messages = [Message("user", "short question"), Message("assistant", "x" * 5000)]
    transcript = summary_transcript(messages, max_chars=800)
    assert transcript.startswith("ASSISTANT: xxx") and len(transcript) <= 800
    assert summary_transcript(messages, max_chars=20_000).startswith("USER: short question")
    assert summary_transcript([Message("user", "   ")], max_chars=800) == ""


class Notes(BasePromptContributor):
    """A large, stable part of the system prompt, so the prompt passes the cache minimum."""

    async def get_contribution(self, context: Any) -> str:
        return "## Team notes\n" + "Prefer small functions with clear names. " * 220


async def test_after_a_compaction_the_summary_is_the_new_cached_prefix(llm, anthropic):
    settings = Settings(context_window=12_000, max_tokens=256, enable_tools=False)
    prompts = PromptCoordinator(contributors=[Notes(), OpenBuffer(lines=40)])
    # an unnamed model: the cache minimum is 1024 tokens (the API's most common one)
    orchestrator = AgentOrchestrator(settings, anthropic, "m", _prompt_coordinator=prompts)
    # short answers, the summary's included (the default echo would repeat the transcript)
    llm.enqueue(*(Reply(text="The loader retries on 5xx, three times.") for _ in range(60)))
    compacted_on = None
    for turn in range(40):
        done = await orchestrator.chat(f"Question {turn}: " + "why does the loader retry " * 30)
        records = [r for r in llm.requests_to("/v1/messages") if not _is_summary(r.body)]
        if compacted_on is None and any(_is_summary(r.body) for r in llm.requests):
            compacted_on = turn
        if compacted_on is not None and turn == compacted_on + 2:
            break
    assert compacted_on is not None, "the session never compacted"
    assert done.content
    # the summary request continues the conversation as the last request sent it (the
    # answer after it), so the cache reads the conversation instead of a transcript of it
    everything = llm.requests_to("/v1/messages")
    (at,) = [i for i, r in enumerate(everything) if _is_summary(r.body)]
    summary_request, last_sent = everything[at], everything[at - 1]
    sent = without_breakpoints(last_sent.body["messages"])
    asked = summary_request.body["messages"]
    assert without_breakpoints(asked[: len(sent)]) == sent
    assert asked[len(sent)]["role"] == "assistant" and len(asked) == len(sent) + 2
    assert without_breakpoints(summary_request.body["system"]) == without_breakpoints(
        last_sent.body["system"]
    )
    cached = sum(last_sent.usage.values())
    assert summary_request.usage["cache_read_input_tokens"] == cached
    # and writes nothing: the compaction replaces its tail (the last answer and the question
    # for the summary), billed once at 1x instead of written at 1.25x for nobody to read
    assert summary_request.usage["cache_creation_input_tokens"] == 0
    assert summary_request.usage["input_tokens"] > 0
    compacted, after, next_turn = records[-3], records[-2], records[-1]
    # the compacted history starts with the opening exchange exactly as the first requests
    # sent it, then the summary; the request after the compaction reads tools, system prompt
    # and opening from the cache (the opening's breakpoint kept that entry alive), not more
    opening = without_breakpoints(records[1].body["messages"][:2])
    assert without_breakpoints(compacted.body["messages"][:2]) == opening
    through_opening = count_prompt_tokens({**compacted.body, "messages": opening})
    assert compacted.usage["cache_read_input_tokens"] == through_opening
    summary = _texts(after.body)[2]
    assert summary.startswith("[Summary of the earlier conversation]")
    # the next turn extends it: the summary and everything after it up to the previous
    # answer read from the cache
    assert _texts(next_turn.body)[:3] == _texts(after.body)[:3]
    assert next_turn.usage["cache_read_input_tokens"] > 0
    assert (
        next_turn.usage["cache_read_input_tokens"]
        >= after.usage["cache_creation_input_tokens"] // 2
    )
    with_buffer = [t for t in _texts(next_turn.body) if "## Open file" in t]
    # earlier turns go as sent: the opening, the compaction turn's question, the next one's
    # and the newest carry the open buffer; none kept from between opening and compaction does
    sent_before = [t for t in _texts(after.body) if "## Open file" in t]
    assert with_buffer == [*sent_before, _texts(next_turn.body)[-1]] and len(with_buffer) == 4
    assert with_buffer[0] == _texts(records[0].body)[0]
    # victor/prompt says where the breakpoints that outlive compactions sit now
    view = await prompt_view(orchestrator, {}, orchestrator.session_id)
    assert view.cache_breakpoints == (
        "opening exchange",
        "latest summary",
        "previous request",
        "last message",
    )


async def _long_session(orchestrator: AgentOrchestrator, turns: int = 6) -> None:
    for turn in range(turns):
        await orchestrator.chat(f"Question {turn}: " + "why does the loader retry " * 30)


async def test_a_session_loaded_from_the_store_is_summarized_from_a_transcript(
    tmp_path: Path, llm, anthropic
):
    """After a restart the daemon does not know what the last request sent: the summary goes
    as a one-off, with no breakpoint (billed at 1x instead of written at 1.25x to a cache
    nothing reads again)."""
    settings = Settings(
        context_window=8000, max_tokens=256, enable_tools=False, data_dir=tmp_path / ".data"
    )
    prompts = PromptCoordinator(contributors=[Notes()])
    first = AgentOrchestrator(
        settings, anthropic, "m", workspace=tmp_path, _prompt_coordinator=prompts
    )
    await _long_session(first)
    session = first.session_id
    await first.aclose()
    second = AgentOrchestrator(
        settings, anthropic, "m", workspace=tmp_path, _prompt_coordinator=prompts
    )
    report = await second.compact(session)
    assert report.strategy == "summarize"
    summary_request = llm.requests_to("/v1/messages")[-1]
    assert SUMMARY_SYSTEM_PROMPT in str(summary_request.body["system"])
    assert "cache_control" not in summary_request.raw_body
    assert summary_request.usage["cache_creation_input_tokens"] == 0
    assert summary_request.usage["cache_read_input_tokens"] == 0
    await second.aclose()


async def test_a_summary_answered_with_a_tool_call_is_asked_again_from_a_transcript(llm, anthropic):
    settings = Settings(context_window=8000, max_tokens=256)
    prompts = PromptCoordinator(contributors=[Notes()])
    orchestrator = AgentOrchestrator(settings, anthropic, "m", _prompt_coordinator=prompts)
    await _long_session(orchestrator)
    llm.enqueue(
        Reply(tool_calls=[ScriptedToolCall("read_file", {"path": "loader.py"})]),
        Reply(text="- The loader retries on 5xx, three times."),
    )
    report = await orchestrator.compact()
    continued, transcript = llm.requests_to("/v1/messages")[-2:]
    assert _is_summary(continued.body) and continued.body.get("tools")
    assert SUMMARY_SYSTEM_PROMPT in str(transcript.body["system"])
    assert report.strategy == "summarize"
    assert report.summary == "- The loader retries on 5xx, three times."
    # no tool ran, and the compacted context starts with the summary
    stored = orchestrator._context_coordinator.get_context(orchestrator.session_id).messages
    assert stored[0].content.endswith(report.summary) and not any(m.tool_calls for m in stored)
    await orchestrator.aclose()


async def test_on_an_openai_compatible_server_the_summary_request_extends_the_last_one(llm):
    """vLLM, llama.cpp server and Ollama reuse their KV cache for an unchanged prompt prefix:
    the summary request has the last request's tools and messages (the system prompt first)
    byte for byte, then asks for the summary, so the server does not process the
    conversation again."""
    from victor.providers.openai_compat import OpenAICompatProvider

    openai = OpenAICompatProvider(base_url=llm.url + "/v1", api_key="k")
    settings = Settings(context_window=8000, max_tokens=256)
    orchestrator = AgentOrchestrator(settings, openai, "qwen2.5-coder:7b")
    await _long_session(orchestrator)
    report = await orchestrator.compact()
    assert report.strategy == "summarize"
    last, summary = (r.body for r in llm.requests_to("/v1/chat/completions")[-2:])
    assert json.dumps(summary["tools"]) == json.dumps(last["tools"])
    sent = json.dumps(last["messages"])[:-1]  # without the closing bracket
    assert json.dumps(summary["messages"]).startswith(sent)
    assert summary["messages"][-1]["content"].startswith(SUMMARY_REQUEST_START)
    await orchestrator.aclose()
