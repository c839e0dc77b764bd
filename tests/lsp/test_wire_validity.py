"""Over LSP, requests stay valid for the model API (issue 11, items 15 and 18).

The model server rejects any request that breaks a documented API rule, so a 400 here would
be the real API's 400 too (tests/support/model_rules.py).
"""

from __future__ import annotations

from pathlib import Path

from tests.lsp.conftest import StartDaemon
from tests.lsp.daemon import Daemon, turn_text, user_texts
from tests.support.model_server import Reply

SLOW_MACHINE = 120.0  # a generous bound: the shared test machine can be very loaded


async def chat(daemon: Daemon, message: str, **fields: object) -> dict:
    params = {"message": message, **fields}
    return await daemon.request("victor/chat", params, timeout=SLOW_MACHINE)


async def test_an_unsaved_buffer_with_a_lone_surrogate_keeps_the_session_working(
    daemon: Daemon, workspace: Path
) -> None:
    # The client's JSON carries the escape "\udce9": the daemon decodes a lone surrogate.
    uri = daemon.open(workspace / "app.py", "NAME = 'caf\udce9'  # unsaved\n")
    daemon.model.enqueue(Reply.tool_use("read_file", {"path": "app.py"}), Reply(text="read"))
    first = await chat(daemon, "what is NAME?", textDocument={"uri": uri})
    second = await chat(daemon, "again", textDocument={"uri": uri}, sessionId=first["sessionId"])

    assert first["content"] == "read" and second["content"] == "Echo: again"
    assert not daemon.model.violations, daemon.model.violations[0].invalid
    body = daemon.last_body()
    # the buffer, with the first question (the second refers to it: unchanged)
    assert "NAME = 'caf\ufffd'" in user_texts(body)[0]
    assert "unchanged since your last view" in turn_text(body)
    assert "NAME = 'caf\ufffd'  # unsaved" in str(body["messages"])  # and read by the tool


async def test_max_tokens_above_the_models_limit_is_capped_and_reported(
    start: StartDaemon, workspace: Path
) -> None:
    settings = {"model": "claude-sonnet-4-6", "maxTokens": 100_000}
    daemon = await start([workspace], configuration={"": {"victor": settings}})
    result = await chat(daemon, "a long answer please")
    assert result["content"] == "Echo: a long answer please"
    assert daemon.last_body()["max_tokens"] == 64_000
    status = await daemon.request("victor/status", {}, timeout=SLOW_MACHINE)
    assert status["maxTokens"] == 64_000
    assert status["notes"] == [
        "maxTokens 100000 is above claude-sonnet-4-6's output limit of 64000 tokens; 64000 is sent."
    ]
