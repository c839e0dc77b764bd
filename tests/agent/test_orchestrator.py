"""The orchestrator end to end through the real Anthropic SDK against the local server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.interrupt import interrupted_turn
from tests.support.model_script import Reply, count_prompt_tokens
from victor.agent.events import Compacted, TextDelta, TurnDone
from victor.agent.orchestrator import AgentOrchestrator
from victor.config.settings import Settings
from victor.protocols import Message
from victor.providers.errors import AuthenticationError


async def test_chat_returns_content_and_usage(llm, anthropic):
    orchestrator = AgentOrchestrator(Settings(), anthropic, "claude-sonnet-4-6")
    response = await orchestrator.chat("Explain coordinators")
    assert response.content == "Echo: Explain coordinators"
    assert response.usage.total_tokens > 0
    body = llm.requests[-1].body
    assert body["model"] == "claude-sonnet-4-6"
    assert body["messages"][-1]["content"][0]["text"] == "Explain coordinators"
    assert "You are Victor" in body["system"][0]["text"]


async def test_stream_deltas_add_up_to_final_content(llm, anthropic):
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m")
    llm.enqueue(Reply(text="one two three four five six"))
    deltas, done = [], None
    async for event in orchestrator.stream_chat("count"):
        if isinstance(event, TextDelta):
            deltas.append(event.text)
        elif isinstance(event, TurnDone):
            done = event
    assert len(deltas) > 1
    assert "".join(deltas) == done.response.content == "one two three four five six"
    assert done.context.tokens > 0 and done.context.window == 200_000


async def test_sessions_are_isolated_and_follow_up_sees_history(llm, anthropic):
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m")
    await orchestrator.chat("I am Ada", session_id="a")
    await orchestrator.chat("I am Linus", session_id="b")
    await orchestrator.chat("who am I", session_id="a")
    sent = [m["content"][0]["text"] for m in llm.requests[-1].body["messages"]]
    assert "I am Ada" in sent and "I am Linus" not in sent


async def test_sessions_survive_a_new_orchestrator(tmp_path: Path, llm, anthropic):
    settings = Settings(data_dir=tmp_path / "data")
    first = AgentOrchestrator(settings, anthropic, "m", workspace=tmp_path)
    await first.chat("remember the number 42")
    sid = first.session_id
    await first.aclose()

    from victor.providers.anthropic import AnthropicProvider

    second = AgentOrchestrator(
        settings, AnthropicProvider(api_key="k", base_url=llm.url), "m", workspace=tmp_path
    )
    assert second.session_id == sid
    await second.chat("what number?")
    texts = [m["content"][0]["text"] for m in llm.requests[-1].body["messages"]]
    assert texts[0] == "remember the number 42"
    await second.aclose()


async def test_cancel_aborts_upstream_and_keeps_partial_answer(llm, anthropic):
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m")
    seen = await interrupted_turn(orchestrator, "tell me slowly [[slow]]", after_deltas=3)
    closed = await asyncio.to_thread(llm.wait_for_client_close, 5)
    assert closed.path.endswith("/v1/messages")
    history = orchestrator._session_coordinator.store.transcript(orchestrator.session_id)
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[-1].interrupted
    assert history[-1].content == "".join(seen)
    # The session goes on normally afterwards.
    assert (await orchestrator.chat("hello again")).content == "Echo: hello again"


async def test_auth_error_is_clear_and_not_retried(llm, anthropic):
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m")
    llm.enqueue(Reply.error(401))
    with pytest.raises(AuthenticationError) as info:
        await orchestrator.chat("hi")
    assert "ANTHROPIC_API_KEY" in str(info.value)
    assert "test-key" not in str(info.value)
    assert len(llm.requests_to("/v1/messages")) == 1
    # Nothing half-written: the failed turn left no messages behind.
    assert orchestrator._session_coordinator.store.transcript(orchestrator.session_id) == []


async def test_overloaded_then_success_is_retried_transparently(llm):
    from victor.providers.anthropic import AnthropicProvider

    provider = AnthropicProvider(api_key="k", base_url=llm.url, max_retries=3)
    orchestrator = AgentOrchestrator(Settings(), provider, "m")
    llm.enqueue(Reply.error(529), Reply(text="fine now"))
    response = await orchestrator.chat("hi")
    assert response.content == "fine now"
    assert len(llm.requests_to("/v1/messages")) == 2
    history = orchestrator._session_coordinator.store.transcript(orchestrator.session_id)
    assert [m.content for m in history] == ["hi", "fine now"]


async def test_200_turns_in_a_4k_window_are_compacted_and_sent_within_budget(llm, anthropic):
    settings = Settings(context_window=4096, max_tokens=512)
    orchestrator = AgentOrchestrator(settings, anthropic, "m")
    sid = orchestrator.session_id
    history = []
    for i in range(200):
        history.append(Message("user", f"Question {i}: how does module_{i} handle retries?"))
        history.append(Message("assistant", f"Answer {i}: module_{i} retries three times " * 3))
    orchestrator._session_coordinator.store.append_messages(sid, history)
    llm.enqueue(Reply(text="- earlier: questions about module retries"))  # the summary
    events = [e async for e in orchestrator.stream_chat("and module_200?")]
    compacted = [e for e in events if isinstance(e, Compacted)]
    assert compacted and compacted[0].report.strategy == "summarize"
    assert compacted[0].report.after_tokens < compacted[0].report.before_tokens
    final = llm.requests_to("/v1/messages")[-1].body
    assert final["messages"][-1]["content"][-1]["text"] == "and module_200?"
    # the opening exchange stays as it was, the summary follows it
    opening = [m["content"][0]["text"] for m in final["messages"][:2]]
    assert opening == ["Question 0: how does module_0 handle retries?", history[1].content]
    assert "earlier: questions about module retries" in str(final["messages"][2])
    assert count_prompt_tokens(final) + final["max_tokens"] <= 4096
    done = events[-1]
    assert isinstance(done, TurnDone) and done.compacted
    assert done.context.tokens <= 4096


async def test_summary_failure_falls_back_to_recent_messages(llm, anthropic):
    settings = Settings(context_window=4096, max_tokens=512)
    orchestrator = AgentOrchestrator(settings, anthropic, "m")
    sid = orchestrator.session_id
    orchestrator._session_coordinator.store.append_messages(
        sid,
        [Message("user" if i % 2 == 0 else "assistant", f"message {i} " * 20) for i in range(200)],
    )
    llm.enqueue(Reply.error(400, "summary refused"))
    events = [e async for e in orchestrator.stream_chat("next")]
    report = next(e for e in events if isinstance(e, Compacted)).report
    assert report.strategy == "recent"
    assert isinstance(events[-1], TurnDone)
    assert count_prompt_tokens(llm.requests[-1].body) <= 4096


async def test_tool_loop_reads_a_workspace_file(tmp_path: Path, llm, anthropic):
    (tmp_path / "app.py").write_text("def main():\n    return 'unique-marker-123'\n")
    (tmp_path / ".env").write_text("SECRET=do-not-send\n")
    settings = Settings(data_dir=tmp_path / ".data")
    orchestrator = AgentOrchestrator(settings, anthropic, "m", workspace=tmp_path)
    response = await orchestrator.chat('read it [[tool:read_file {"path": "app.py"}]]')
    tool_turn = llm.requests_to("/v1/messages")[-1].body
    assert "unique-marker-123" in str(tool_turn["messages"])
    assert any(t["name"] == "read_file" for t in tool_turn["tools"])
    assert response.content.startswith("Echo: read it")

    await orchestrator.chat('now [[tool:read_file {"path": ".env"}]]')
    assert "do-not-send" not in str(llm.requests_to("/v1/messages")[-1].body)
    await orchestrator.aclose()


def _style_and_editor() -> list:
    from victor.agent.coordinators.prompt_coordinator import BasePromptContributor

    class Style(BasePromptContributor):
        def priority(self):
            return 80

        async def get_contribution(self, context):
            return "## Code style\n- line length 100"

    class Editor(BasePromptContributor):
        name = "file_context"

        def priority(self):
            return 60

        async def get_contribution(self, context):
            return f"## Active file\ncursor at line {context.get('line')}"

    return [Editor(), Style()]


async def test_the_editor_context_travels_with_each_question(llm, anthropic):
    from victor.agent.coordinators import PromptCoordinator

    prompts = PromptCoordinator(contributors=_style_and_editor())
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m", _prompt_coordinator=prompts)
    await orchestrator.chat("one", prompt_context={"line": 1})
    await orchestrator.chat("two", prompt_context={"line": 2})
    first, second = (r.body for r in llm.requests_to("/v1/messages"))
    # one stable system block, the same on both turns, with a breakpoint
    assert first["system"] == second["system"]
    assert len(first["system"]) == 1 and first["system"][0]["cache_control"] == {
        "type": "ephemeral"
    }
    assert "line length 100" in first["system"][0]["text"] and "cursor" not in str(first["system"])
    # each question carries the cursor of its own turn
    assert (
        first["messages"][0]["content"][0]["text"]
        == "<editor_context>\n## Active file\ncursor at line 1\n</editor_context>\n\none"
    )
    assert second["messages"][-1]["content"][0]["text"].startswith(
        "<editor_context>\n## Active file\ncursor at line 2"
    )

    # the earlier question and its answer go exactly as they were sent (a cache prefix)
    assert second["messages"][0]["content"][0]["text"] == first["messages"][0]["content"][0]["text"]
    assert second["messages"][1]["content"][0]["text"] == "Echo: one"
    # breakpoints: the previous answer and the end of this request
    assert second["messages"][1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert second["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in second["messages"][0]["content"][-1]
    # what victor/prompt reports is what was sent
    layout = await orchestrator.build_prompt({"line": 2})
    assert layout.system_text == second["system"][0]["text"]
    assert layout.editor in second["messages"][-1]["content"][0]["text"]
    # the session shows what the user typed, and the store never holds the file text
    stored = orchestrator._context_coordinator.get_context(orchestrator.session_id).messages
    assert [m.content for m in stored if m.role == "user"] == ["one", "two"]
    saved = orchestrator._session_coordinator.store.transcript(orchestrator.session_id)
    assert [m.content for m in saved if m.role == "user"] == ["one", "two"]
    assert "cursor at line" not in repr(saved)


async def test_the_legacy_layout_keeps_the_file_context_after_the_cached_system_block(
    llm, anthropic
):
    from victor.agent.coordinators import PromptCoordinator

    prompts = PromptCoordinator(contributors=_style_and_editor())
    settings = Settings(prompt_layout="legacy")
    orchestrator = AgentOrchestrator(settings, anthropic, "m", _prompt_coordinator=prompts)
    await orchestrator.chat("one", prompt_context={"line": 1})
    await orchestrator.chat("two", prompt_context={"line": 2})
    first, second = (r.body["system"] for r in llm.requests_to("/v1/messages"))
    assert first[0] == second[0]  # the stable block is byte-identical, hence cacheable
    assert first[0]["cache_control"] == {"type": "ephemeral"}
    assert "line length 100" in first[0]["text"] and "cursor" not in first[0]["text"]
    assert first[1]["text"].endswith("line 1") and second[1]["text"].endswith("line 2")
    assert "cache_control" not in first[1]
    built = await orchestrator.build_system_prompt({"line": 2})
    assert second[0]["text"] + second[1]["text"] == built.text
    last = llm.requests_to("/v1/messages")[-1].body
    assert last["messages"][-1]["content"][-1]["text"] == "two"  # nothing added to the question


async def test_idle_sessions_leave_memory_and_come_back_from_the_store(llm, anthropic, monkeypatch):
    from victor.agent import orchestrator as module

    monkeypatch.setattr(module, "MAX_SESSIONS_IN_MEMORY", 2)
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m")
    for name in ("a", "b", "c"):
        await orchestrator.chat(f"I am {name}", session_id=name)
    contexts = orchestrator._context_coordinator
    assert not contexts.has_session("a") and contexts.has_session("c")
    await orchestrator.chat("who am I?", session_id="a")
    sent = [m["content"][0]["text"] for m in llm.requests[-1].body["messages"]]
    assert sent[0] == "I am a"  # reloaded from the store, history intact


async def test_the_tool_list_keeps_its_order_whatever_the_question(tmp_path, llm, anthropic):
    # Best-first order followed the question, so the prompt cache missed from the first byte.
    settings = Settings(data_dir=tmp_path / ".data")
    orchestrator = AgentOrchestrator(settings, anthropic, "m", workspace=tmp_path)
    for question in ("search the text for TODO", "list the directory", "read the file a.py"):
        await orchestrator.chat(question)
    orders = [[t["name"] for t in r.body["tools"]] for r in llm.requests_to("/v1/messages")]
    assert orders[0] == sorted(orders[0]) and len(orders[0]) >= 3
    assert orders.count(orders[0]) == len(orders)
    # the strategy still ranks them best first for each question; only the order sent is fixed
    ranked = orchestrator._tool_coordinator.select_tools("search the text for TODO")
    assert ranked[0].name == "search_text"
    await orchestrator.aclose()
