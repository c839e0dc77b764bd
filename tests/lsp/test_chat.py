"""``victor/chat``: results, streaming, sessions, prompt content and cancellation."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.daemon import Daemon, eventually, system_text, turn_text, user_texts
from tests.support.model_server import Reply

REQUEST_CANCELLED = -32800


async def test_chat_result_shape(daemon: Daemon) -> None:
    result = await daemon.chat("hello there")

    assert result["content"] == "Echo: hello there"
    assert isinstance(result["sessionId"], str) and result["sessionId"]
    assert isinstance(result["turnId"], str) and result["turnId"]
    usage = result["usage"]
    for key in ("inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens"):
        assert isinstance(usage[key], int) and usage[key] >= 0, key
    assert usage["inputTokens"] > 0 and usage["outputTokens"] > 0
    assert usage["totalTokens"] >= usage["inputTokens"] + usage["outputTokens"]
    assert result["stopReason"] == "end_turn"
    context = result["context"]
    assert 0 < context["tokens"] < context["window"]
    assert context["percent"] == pytest.approx(100 * context["tokens"] / context["window"], 0.01)
    assert result["compacted"] is False

    usages = daemon.client.notifications.get("victor/contextUsage", [])
    assert usages and usages[-1]["sessionId"] == result["sessionId"]
    assert usages[-1]["tokens"] == context["tokens"]


async def test_each_turn_gets_a_new_turn_id(daemon: Daemon) -> None:
    first = await daemon.chat("one")
    second = await daemon.chat("two")
    assert first["turnId"] != second["turnId"]


async def test_partial_results_stream_before_the_result_and_add_up_to_it(daemon: Daemon) -> None:
    words = "alpha beta gamma delta epsilon zeta eta theta"
    daemon.model.enqueue(Reply(text=words, delay=0.03))

    result, partials, seen_at_response = await daemon.streamed(
        "victor/chat", {"message": "stream please"}
    )

    assert result["content"] == words
    deltas = [p["delta"] for p in partials if "delta" in p]
    assert len(deltas) >= 2, partials  # 30 ms between deltas: not all coalesced into one
    assert "".join(deltas) == result["content"]
    assert seen_at_response == len(partials)  # every partial result came before the result
    assert {p["sessionId"] for p in partials} == {result["sessionId"]}
    assert {p["turnId"] for p in partials} == {result["turnId"]}


async def test_no_partial_results_without_a_token(daemon: Daemon) -> None:
    await daemon.chat("[[deltas:10]] quiet")
    assert daemon.client.partials == {}


async def test_chat_without_session_id_continues_the_most_recent_session(daemon: Daemon) -> None:
    first = await daemon.chat("remember the word pineapple")
    second = await daemon.chat("what was the word?")
    assert second["sessionId"] == first["sessionId"]
    # the model saw the first exchange as history
    body = daemon.last_body()
    assert "remember the word pineapple" in user_texts(body)[0]
    assert any(
        m["role"] == "assistant" and "pineapple" in str(m["content"]) for m in body["messages"]
    )

    new = await daemon.request("victor/sessions/new", {"title": "fresh"})
    third = await daemon.chat("a new topic")
    assert third["sessionId"] == new["sessionId"]
    assert len(daemon.last_body()["messages"]) == 1  # no history from the old session

    again = await daemon.chat("back to fruit", sessionId=first["sessionId"])
    assert again["sessionId"] == first["sessionId"]
    assert "pineapple" in str(daemon.last_body()["messages"])


async def test_model_gets_system_prompt_unsaved_text_and_selection(
    daemon: Daemon, workspace: Path
) -> None:
    path = workspace / "app.py"
    uri = daemon.open(path, "def greet(name):\n    return 'UNSAVED_V1' + name\n")
    # an incremental edit that is not saved either
    daemon.edit(
        uri,
        types.Range(types.Position(1, 12), types.Position(1, 22)),
        "UNSAVED_V2",
    )
    selection = {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 9}}

    result = await daemon.chat(
        "what does this do?",
        textDocument={"uri": uri},
        range=selection,
        position={"line": 0, "character": 4},
    )

    assert result["content"] == "Echo: what does this do?"
    system = system_text(daemon.last_body())
    assert system.startswith("You are Victor")
    # the editor context travels with the question
    turn = turn_text(daemon.last_body())
    assert turn.endswith("what does this do?")
    assert "return 'UNSAVED_V2' + name" in turn
    assert "UNSAVED_V1" not in turn + system
    assert '"Hello, "' not in turn + system  # the text on disk is not what the user sees
    assert "Selection" in turn
    selection_part = turn[turn.index("Selection") :]
    assert "greet" in selection_part.split("```")[1]  # the selected text, fenced

    # victor/prompt shows exactly what the model is sent at that spot, and so does the
    # name older clients use: without a session every text in full (as the first turn) ...
    spot = {
        "textDocument": {"uri": uri},
        "range": selection,
        "position": {"line": 0, "character": 4},
    }
    fresh = await daemon.request("victor/prompt", spot)
    assert fresh["system"] == [{"text": system, "cacheBreakpoint": True}]
    assert turn == f"<editor_context>\n{fresh['editorContext']}\n</editor_context>\n\n" + (
        "what does this do?"
    )
    # ... and in the session, what its next question carries: the file text is in the
    # conversation already, so it is referred to
    spot["sessionId"] = result["sessionId"]
    shown = await daemon.request("victor/prompt", spot)
    assert "unchanged since your last view of it" in shown["editorContext"]
    assert "UNSAVED_V2" not in shown["editorContext"]
    assert shown["prompt"] == system + "\n\n" + shown["editorContext"]
    assert shown["cacheBreakpoints"] == ["tools", "system", "previous request", "last message"]
    assert await daemon.request("victor/systemPrompt", spot) == shown
    await daemon.chat(
        "and now?",
        sessionId=result["sessionId"],
        **{k: v for k, v in spot.items() if k != "sessionId"},
    )
    assert turn_text(daemon.last_body()) == (
        f"<editor_context>\n{shown['editorContext']}\n</editor_context>\n\nand now?"
    )
    # past the opening exchange, its end takes the tools' breakpoint (it outlives compaction)
    after = await daemon.request("victor/prompt", spot)
    assert after["cacheBreakpoints"] == [
        "system",
        "opening exchange",
        "previous request",
        "last message",
    ]


async def test_cancel_aborts_the_stream_and_keeps_the_partial_answer(daemon: Daemon) -> None:
    token = "cancel-me"
    msg_id, future = daemon.send(
        "victor/chat", {"message": "[[slow]] tell me a long story", "partialResultToken": token}
    )

    async def some_text() -> str:
        text = "".join(p.get("delta", "") for p in daemon.client.partials.get(token, []))
        return text if len(text.split()) >= 6 else ""

    await eventually(some_text, timeout=10, interval=0.02)
    cancelled_at = time.monotonic()
    daemon.cancel(msg_id)

    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(future, 5)
    assert info.value.code == REQUEST_CANCELLED
    assert time.monotonic() - cancelled_at < 2  # the [[slow]] answer would take ~10 s
    seen = "".join(p.get("delta", "") for p in daemon.client.partials.get(token, []))

    closed = await asyncio.to_thread(daemon.model.wait_for_client_close, 5)
    assert closed.path == "/v1/messages"
    assert not closed.completed

    after = await daemon.chat("are you still there?")
    assert after["content"] == "Echo: are you still there?"

    session = await daemon.request("victor/sessions/get", {"sessionId": after["sessionId"]})
    interrupted = [m for m in session["messages"] if m.get("interrupted")]
    assert len(interrupted) == 1
    partial = interrupted[0]
    assert partial["role"] == "assistant"
    assert partial["content"].startswith(seen.strip()[:20])
    assert len(partial["content"].split()) < 200  # not the whole [[slow]] answer
    # the interrupted answer stays in the conversation the model sees next
    assert any(
        m["role"] == "assistant" and seen.split()[0] in str(m["content"])
        for m in daemon.last_body()["messages"]
    )


async def test_tool_calls_and_results_stream_as_partial_results(
    daemon: Daemon, workspace: Path
) -> None:
    daemon.open(workspace / "app.py", "def greet(name):\n    return 'FROM_THE_EDITOR'\n")
    message = '[[tool:read_file {"path": "app.py"}]] read app.py'

    result, partials, seen_at_response = await daemon.streamed("victor/chat", {"message": message})

    calls = [p["toolCall"] for p in partials if "toolCall" in p]
    results = [p["toolResult"] for p in partials if "toolResult" in p]
    assert [c["name"] for c in calls] == ["read_file"]
    assert calls[0]["arguments"] == {"path": "app.py"}
    assert len(results) == 1 and results[0]["id"] == calls[0]["id"]
    assert results[0]["isError"] is False
    assert "FROM_THE_EDITOR" in results[0]["content"]  # tools read the unsaved buffer
    assert seen_at_response == len(partials)
    deltas = "".join(p.get("delta", "") for p in partials)
    assert deltas == result["content"]
    assert result["stopReason"] == "end_turn"
    # the model got the tool result in the second request
    assert len(daemon.bodies()) == 2
    assert "FROM_THE_EDITOR" in str(daemon.bodies()[1]["messages"])
