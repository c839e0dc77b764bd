"""Odd documents: binary content, a huge buffer, a 100k-line buffer, an invalid-UTF-8 file on
disk read by the tools. ``didOpen`` plus ``victor/systemPrompt`` / ``victor/chat`` for each
must answer within a bounded time, and the daemon's RSS stays bounded (figures printed; only
generous bounds asserted)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import make_project
from tests.reliability.harness import Daemon, size, uri_of
from tests.support.model_script import ScriptedToolCall
from tests.support.model_server import ModelServer, Reply

HUGE_MB = size(5, 50)
MAX_SECONDS = size(30, 120)  # per request, generous: the point is "bounded", not "fast"
MAX_RSS_KB = 1_500_000  # 1.5 GB

pytestmark = pytest.mark.timeout(size(120, 600))

LATIN1_SOURCE = "# caf\xe9 cr\xe8me br\xfbl\xe9e\nPRICE = '\xa35'\n".encode("latin-1")
BROKEN_UTF8 = b"def f():\n    return '\xc3\x28 \xff\xfe \xed\xa0\x80'  # invalid UTF-8\n"


@dataclass
class Env:
    daemon: Daemon
    model: ModelServer
    workspace: Path

    def bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.model.requests_to("/v1/messages")]


@pytest.fixture(scope="module")
def shared(module_model: ModelServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("docs")
    workspace = make_project(root / "proj", {"latin1.py": LATIN1_SOURCE, "broken.py": BROKEN_UTF8})
    data = root / "data"
    data.mkdir()
    daemon = Daemon.start(module_model.url, data, [workspace], init_options={"requestTimeout": 30})
    daemon.wait_ready()
    print(f"\nbaseline RSS {daemon.rss_kb() / 1024:.0f} MB")
    yield Env(daemon, module_model, workspace)
    print(f"peak RSS (VmHWM) over the module: {daemon.hwm_kb() / 1024:.0f} MB")
    assert daemon.hwm_kb() < MAX_RSS_KB
    daemon.stop_cleanly()


@pytest.fixture
def env(shared: Env) -> Iterator[Env]:
    shared.model.reset()
    yield shared
    assert shared.daemon.alive, shared.daemon.stderr_text()[-3000:]


def timed(daemon: Daemon, label: str, method: str, params: Any) -> Any:
    started = time.monotonic()
    result = daemon.request(method, params, timeout=MAX_SECONDS)
    took = time.monotonic() - started
    rss = daemon.rss_kb()
    print(f"{label}: {method} {took:.2f}s, RSS {rss / 1024:.0f} MB")
    assert took < MAX_SECONDS
    assert rss < MAX_RSS_KB
    return result


def open_and_ask(
    env: Env, label: str, path: Path, text: str, position: dict[str, int]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """didOpen, then systemPrompt and chat for that spot; (prompt result, chat result)."""
    daemon = env.daemon
    started = time.monotonic()
    uri = daemon.open(path, text, "python")
    doc = {"uri": uri}
    prompt = timed(
        daemon, label, "victor/systemPrompt", {"textDocument": doc, "position": position}
    )
    print(f"{label}: didOpen + systemPrompt {time.monotonic() - started:.2f}s")
    chat = timed(
        daemon,
        label,
        "victor/chat",
        {"message": "what is here?", "textDocument": doc, "position": position},
    )
    assert len(json.dumps(env.bodies()[-1])) < 1_000_000  # the file context kept its budget
    daemon.close_document(uri)
    return prompt, chat


def test_binary_content_document(env: Env) -> None:
    rng = random.Random(7)
    # what an editor sends for a binary file opened as text: NULs, control characters,
    # replacement characters, stray astral characters; valid JSON strings all the same
    alphabet = [chr(c) for c in range(0, 32)] + ["\ufffd", "\x7f", "\U0001f600", "A", "\u202e"]
    text = "".join(rng.choice(alphabet) for _ in range(200_000))
    prompt, chat = open_and_ask(
        env, "binary", env.workspace / "image.png", text, {"line": 3, "character": 2}
    )
    assert prompt["prompt"]
    assert chat["content"].startswith("Echo: what is here?")


@pytest.mark.parametrize("shape", ["many lines", "one line"])
def test_huge_document(env: Env, shape: str) -> None:
    target = HUGE_MB * 1024 * 1024
    if shape == "many lines":
        line = "value_{n} = compute({n}) + offset  # a line of ordinary code\n"
        count = target // len(line.format(n=100000))
        text = "".join(line.format(n=n) for n in range(count))
        middle = {"line": count // 2, "character": 4}
    else:
        text = "x = '" + "y" * (target - 10) + "'\n"
        # (positions are capped at 10,000,000 by the params validation: InvalidParams past it)
        middle = {"line": 0, "character": min(target // 2, 5_000_000)}
    before = env.daemon.rss_kb()
    prompt, _ = open_and_ask(env, f"{HUGE_MB} MB, {shape}", env.workspace / "big.py", text, middle)
    assert len(prompt["prompt"]) < 200_000  # the prompt took a window, not the file
    print(f"huge ({shape}): RSS grew {(env.daemon.rss_kb() - before) / 1024:.0f} MB")


def test_hundred_thousand_line_document(env: Env) -> None:
    daemon = env.daemon
    text = "".join(f"line_{n} = {n}\n" for n in range(100_000))
    path = env.workspace / "long.py"
    prompt, _ = open_and_ask(env, "100k lines", path, text, {"line": 99_999, "character": 3})
    assert "line_99999" in prompt["prompt"]  # the window is around the cursor
    # an incremental edit at the very end, then a selection in the middle
    uri = daemon.open(path, text)
    daemon.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [
                {
                    "range": {
                        "start": {"line": 100_000, "character": 0},
                        "end": {"line": 100_000, "character": 0},
                    },
                    "text": "tail_marker = 1\n",
                }
            ],
        },
    )
    prompt = timed(
        daemon,
        "100k lines, selection",
        "victor/systemPrompt",
        {
            "textDocument": {"uri": uri},
            "range": {
                "start": {"line": 50_000, "character": 0},
                "end": {"line": 50_010, "character": 0},
            },
        },
    )
    assert "line_50005" in prompt["prompt"]
    end = timed(
        daemon,
        "100k lines, end",
        "victor/systemPrompt",
        {"textDocument": {"uri": uri}, "position": {"line": 100_000, "character": 0}},
    )
    assert "tail_marker" in end["prompt"]  # the unsaved edit is what the prompt shows
    daemon.close_document(uri)


def test_invalid_utf8_files_on_disk_read_by_the_tools(env: Env) -> None:
    env.model.enqueue(
        Reply(
            tool_calls=[
                _call("read_file", {"path": "latin1.py"}),
                _call("read_file", {"path": "broken.py"}),
                _call("search_text", {"query": "caf"}),
                _call("search_text", {"query": "return"}),
            ]
        ),
        Reply(text="read them"),
    )
    result = timed(env.daemon, "invalid UTF-8", "victor/chat", {"message": "read the files"})
    assert result["content"] == "read them"
    results = tool_results(env.bodies()[-1])
    assert len(results) == 4
    for block in results:
        assert block["is_error"] is False, block
    latin, broken, search_caf, search_return = (b["content"] for b in results)
    assert "caf\ufffd cr\ufffdme" in latin  # undecodable bytes shown as U+FFFD, not an error
    assert "return '\ufffd(" in broken
    assert "latin1.py:1:" in search_caf
    assert "broken.py:2:" in search_return


def test_invalid_utf8_file_as_the_active_document(env: Env) -> None:
    """Not open in the editor: the prompt reads it from disk (bytes that are not UTF-8 become
    U+FFFD, one character each, so positions still match the editor's); generate does the
    same through the guarded reader and answers with an edit, it does not crash."""
    daemon = env.daemon
    uri = uri_of(env.workspace / "latin1.py")
    prompt = timed(daemon, "latin-1 on disk", "victor/systemPrompt", {"textDocument": {"uri": uri}})
    assert "PRICE" in prompt["prompt"]
    chat = timed(
        daemon, "latin-1 on disk", "victor/chat", {"message": "hi", "textDocument": {"uri": uri}}
    )
    assert chat["content"] == "Echo: hi"
    result = daemon.request(
        "victor/generate", {"textDocument": {"uri": uri}, "instruction": "add a docstring"}
    )
    assert list(result["edit"]["changes"]) == [uri]


def _call(name: str, arguments: dict[str, Any]) -> ScriptedToolCall:
    return ScriptedToolCall(name, arguments)


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for message in body["messages"]:
        if message["role"] == "user" and isinstance(message["content"], list):
            out += [b for b in message["content"] if b.get("type") == "tool_result"]
    return out
