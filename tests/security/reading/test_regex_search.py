"""Attack 6: a catastrophic regular expression. ``search_text`` with ``(a+)+$`` over a line of
``a``s froze the daemon (Python's ``re`` backtracks exponentially and holds the GIL, so not even
``victor/status`` was answered). The search now uses RE2 (linear time) in a worker thread; a
pattern RE2 refuses is a clear tool error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import make_project
from tests.reliability.harness import Daemon, uri_of
from tests.support.model_script import ScriptedToolCall
from tests.support.model_server import ModelServer, Reply

pytestmark = pytest.mark.timeout(120)


def tool_results(model: ModelServer) -> list[dict[str, Any]]:
    """The tool_result blocks the daemon sent back to the model, oldest first."""
    out = []
    for r in model.requests_to("/v1/messages"):
        content = r.body["messages"][-1]["content"]
        if isinstance(content, list):
            out += [b for b in content if b.get("type") == "tool_result"]
    return out


def text_of(block: dict[str, Any]) -> str:
    content = block["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)


def test_catastrophic_regex_neither_freezes_nor_errs(
    tmp_path: Path, start: Any, model_server: ModelServer
) -> None:
    workspace = make_project(tmp_path / "proj", {"data.txt": "a" * 40 + "!\n" + "aaa\n"})
    daemon: Daemon = start([workspace])
    model_server.enqueue(
        Reply(
            tool_calls=[
                ScriptedToolCall("search_text", {"query": "(a+)+$", "regex": True}),
                ScriptedToolCall("search_text", {"query": r"(\w)\1(?=x)", "regex": True}),
            ]
        ),
        Reply(text="searched"),
    )
    doc = {"textDocument": {"uri": uri_of(workspace / "app.py")}}
    _, chat = daemon.send("victor/chat", {"message": "find runs of a", **doc})
    # the event loop answers while the search runs (and the search does end)
    assert daemon.request("victor/status", {}, timeout=20)["workspaceFolders"]
    assert chat.result(timeout=30)["content"] == "searched"

    linear, refused = tool_results(model_server)
    assert not linear.get("is_error"), linear
    assert "data.txt:2: aaa" in text_of(linear)
    assert refused["is_error"] is True
    message = text_of(refused)
    assert "invalid regular expression" in message and "RE2" in message
    assert "backreferences" in message
    print(json.dumps([text_of(linear), message], indent=1))
