"""Model API failures reach the client as RequestFailed with something to act on."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from tests.lsp.daemon import Daemon
from tests.support.model_server import Reply

REQUEST_FAILED = -32803


async def test_rejected_key_says_to_fix_anthropic_api_key_and_warns_once(daemon: Daemon) -> None:
    error = await daemon.error_of("victor/chat", {"message": "[[error:401]] hello"})

    assert error.code == REQUEST_FAILED
    assert "ANTHROPIC_API_KEY" in error.message
    assert "test-key" not in error.message  # the key itself is never echoed
    assert error.data["kind"] == "auth"
    assert error.data["provider"] == "anthropic"
    assert error.data["status"] == 401
    assert len(daemon.bodies()) == 1  # an auth error is not retried

    again = await daemon.error_of("victor/chat", {"message": "[[error:401]] hello again"})
    assert again.code == REQUEST_FAILED
    await asyncio.sleep(0.2)  # a second showMessage would have arrived by now
    shown = [m for m in daemon.client.messages if "ANTHROPIC_API_KEY" in m.message]
    assert len(shown) == 1
    assert shown[0].type == types.MessageType.Error
    assert "test-key" not in shown[0].message

    assert (await daemon.chat("and now?"))["content"] == "Echo: and now?"


async def test_overloaded_once_is_retried_and_succeeds(daemon: Daemon) -> None:
    daemon.model.enqueue(Reply.error(529), Reply(text="worked the second time"))

    result = await daemon.chat("please")

    assert result["content"] == "worked the second time"
    assert len(daemon.bodies()) == 2
    assert daemon.bodies()[0] == daemon.bodies()[1]  # the same request, sent again
    assert daemon.client.messages == []


async def test_overloaded_every_time_fails_with_overloaded(daemon: Daemon) -> None:
    daemon.model.enqueue(*[Reply.error(529, retry_after=0) for _ in range(10)])

    error = await daemon.error_of("victor/chat", {"message": "please"})

    assert error.code == REQUEST_FAILED
    assert error.data["kind"] == "overloaded"
    assert error.data["status"] == 529
    assert "overloaded" in error.message.lower()
    assert 2 <= len(daemon.bodies()) <= 10  # retried, but not forever
    daemon.model.reset()
    assert (await daemon.chat("recovered?"))["content"] == "Echo: recovered?"


async def test_failed_turn_does_not_leave_a_half_turn_in_the_session(daemon: Daemon) -> None:
    first = await daemon.chat("first")
    await daemon.error_of("victor/chat", {"message": "[[error:400]] broken"})
    second = await daemon.chat("second")
    assert second["sessionId"] == first["sessionId"]
    session = await daemon.request("victor/sessions/get", {"sessionId": first["sessionId"]})
    contents = [m["content"] for m in session["messages"]]
    assert "Echo: first" in contents and "Echo: second" in contents
    # the model never sees two user messages in a row
    roles = [m["role"] for m in daemon.last_body()["messages"]]
    assert all(a != b for a, b in zip(roles, roles[1:], strict=False)), roles


async def test_generate_reports_provider_errors_too(daemon: Daemon, workspace) -> None:
    uri = daemon.open(workspace / "app.py")
    daemon.model.enqueue(Reply.error(401))
    error = await daemon.error_of(
        "victor/generate",
        {"textDocument": {"uri": uri}, "instruction": "x", "position": {"line": 0, "character": 0}},
    )
    assert error.code == REQUEST_FAILED
    assert error.data["kind"] == "auth"
