"""The local model server itself: wire formats, scripting, recording, control API, CLI."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.model_script import PromptCache, Reply, default_reply
from tests.support.model_server import ModelServer

ROOT = Path(__file__).resolve().parents[2]
ANTHROPIC_HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def sse_events(raw: str) -> list[tuple[str, Any]]:
    out = []
    for block in raw.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines:
            data = lines["data"]
            out.append((lines.get("event", ""), data if data == "[DONE]" else json.loads(data)))
    return out


def post(server: ModelServer, path: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
    return httpx.post(server.url + path, json=body, timeout=10, **kw)


def test_anthropic_stream_event_order(model_server: ModelServer) -> None:
    body = {
        "model": "m",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "user", "content": "one two"}],
    }
    response = post(model_server, "/v1/messages", body, headers=ANTHROPIC_HEADERS)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        *["content_block_delta"] * 3,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta") == (
        "Echo: one two"
    )
    usage = events[-2][1]["usage"]
    assert usage["output_tokens"] > 0 and usage["input_tokens"] > 0


def test_tool_use_stream_sends_input_json_in_pieces(model_server: ModelServer) -> None:
    tool_input = {"path": "src/very/long/path/name.py", "limit": 10}
    model_server.enqueue(Reply.tool_use("read_file", tool_input))
    body = {
        "model": "m",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
    }
    events = sse_events(post(model_server, "/v1/messages", body).text)
    pieces = [d["delta"]["partial_json"] for n, d in events if n == "content_block_delta"]
    assert len(pieces) > 1
    assert json.loads("".join(pieces)) == tool_input
    assert events[1][1]["content_block"]["type"] == "tool_use"
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


@pytest.mark.parametrize("include_usage", [True, False])
def test_openai_stream_usage_chunk_only_when_asked(
    model_server: ModelServer, include_usage: bool
) -> None:
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "a b"}]}
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    events = [data for _, data in sse_events(post(model_server, "/v1/chat/completions", body).text)]
    assert events[-1] == "[DONE]"
    with_usage = [e for e in events[:-1] if e.get("usage")]
    assert len(with_usage) == (1 if include_usage else 0)
    finish = [e["choices"][0]["finish_reason"] for e in events[:-1] if e["choices"]]
    assert finish[-1] == "stop"
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events[:-1] if e["choices"])
    assert text == "Echo: a b"


def test_models_in_both_shapes(model_server: ModelServer) -> None:
    openai = httpx.get(model_server.url + "/v1/models").json()
    anthropic = httpx.get(model_server.url + "/v1/models", headers=ANTHROPIC_HEADERS).json()
    assert openai["object"] == "list" and openai["data"][0]["object"] == "model"
    assert anthropic["data"][0]["type"] == "model" and anthropic["has_more"] is False


def test_control_api_scripts_records_and_resets(model_server: ModelServer) -> None:
    control = model_server.url + "/_control"
    queued = httpx.post(control + "/script", json={"replies": [{"text": "scripted answer"}]})
    assert queued.json() == {"queued": 1}
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    answer = post(model_server, "/v1/messages", body, headers={"x-api-key": "sk-leak-me"})
    assert answer.json()["content"][0]["text"] == "scripted answer"
    (record,) = httpx.get(control + "/requests").json()["requests"]
    assert record["headers"]["x-api-key"] == "sk-leak-me"  # kept, so tests can look for leaks
    assert record["body"] == body and record["status"] == 200 and record["completed"]
    httpx.post(control + "/script", json={"text": "never used"})
    assert httpx.post(control + "/reset").json() == {"ok": True}
    assert httpx.get(control + "/requests").json() == {"requests": []}
    assert httpx.get(control + "/health").json() == {"ok": True, "queued": 0}


def test_control_rejects_unknown_reply_fields(model_server: ModelServer) -> None:
    response = httpx.post(model_server.url + "/_control/script", json={"txt": "typo"})
    assert response.status_code == 400 and "txt" in response.json()["error"]


def test_required_key_accepts_both_headers() -> None:
    with ModelServer(api_key="right") as server:
        body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
        assert post(server, "/v1/messages", body, headers={"x-api-key": "right"}).status_code == 200
        bearer = {"Authorization": "Bearer right"}
        assert post(server, "/v1/messages", body, headers=bearer).status_code == 200
        wrong = post(server, "/v1/messages", body, headers={"x-api-key": "wrong"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["type"] == "authentication_error"


def test_error_shapes_and_headers(model_server: ModelServer) -> None:
    model_server.enqueue(Reply.error(429), Reply.error(529), Reply.error(401))
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    limited = post(model_server, "/v1/messages", body)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert limited.json()["error"]["type"] == "rate_limit_error"
    overloaded = post(model_server, "/v1/messages", body)
    assert overloaded.status_code == 529
    assert overloaded.json() == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    openai = post(model_server, "/v1/chat/completions", body)
    assert openai.status_code == 401 and openai.json()["error"]["code"] == "invalid_api_key"


def test_markers_shape_the_default_answer() -> None:
    def user(text: str) -> dict[str, Any]:
        return {"messages": [{"role": "user", "content": text}]}

    slow = default_reply("anthropic", user("wait [[slow]]"))
    assert len(slow.split_deltas()) == 200 and slow.delay == 0.05
    assert "".join(slow.split_deltas()).startswith("Echo: wait ")
    assert len(default_reply("openai", user("[[deltas:7]] go")).split_deltas()) == 7
    assert default_reply("anthropic", user("boom [[error:529]]")).status == 529
    tool = default_reply("anthropic", user('do [[tool:read_file {"path": "a.py"}]] it'))
    assert [(c.name, c.input) for c in tool.tool_calls] == [("read_file", {"path": "a.py"})]
    assert tool.text == "Echo: do it"
    # the turn that carries the tool result gets a plain echo, so an agent loop ends
    result_turn = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t", "content": "[[tool:x]] file text"}
                ],
            }
        ]
    }
    after = default_reply("anthropic", result_turn)
    assert after.tool_calls == [] and after.text.startswith("Echo: tool result:")


MARK = {"type": "ephemeral"}


def _post(url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(url, json=body, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})


def _cached_body(system: str, *turns: str, model: str = "claude-sonnet-4-5") -> dict:
    """A request whose system prompt and last message carry breakpoints."""
    messages = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": [{"type": "text", "text": t}]}
        for i, t in enumerate(turns)
    ]
    messages[-1]["content"][-1]["cache_control"] = MARK
    return {
        "model": model,
        "system": [{"type": "text", "text": system, "cache_control": MARK}],
        "messages": messages,
    }


def test_prompt_cache_reads_the_prefix_and_writes_only_what_is_new() -> None:
    cache = PromptCache()
    plain = {
        "model": "claude-sonnet-4-5",
        "system": "s" * 8000,
        "messages": [{"role": "user", "content": "hi"}],
    }
    assert cache.usage(plain)["cache_creation_input_tokens"] == 0  # no breakpoint, no caching
    first = cache.usage(_cached_body("s" * 8000, "hi"))
    assert first["cache_read_input_tokens"] == 0 and first["cache_creation_input_tokens"] > 2000
    assert first["input_tokens"] == 0  # the breakpoint is on the last block
    second = cache.usage(_cached_body("s" * 8000, "hi", "Echo: hi", "more " * 100))
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert 0 < second["cache_creation_input_tokens"] < 200
    other = cache.usage(_cached_body("t" * 8000, "hi"))
    assert other["cache_read_input_tokens"] == 0  # a different prefix misses
    # caches are per model
    assert (
        cache.usage(_cached_body("s" * 8000, "hi", model="claude-opus-4-1"))[
            "cache_read_input_tokens"
        ]
        == 0
    )


def test_prompt_cache_ignores_prefixes_below_the_models_minimum() -> None:
    cache = PromptCache()
    # about 1500 tokens: enough for Sonnet 4.5 (1024), not for Sonnet 4.6 (2048) or Haiku 4.5
    for model, cached in (
        ("claude-sonnet-4-5", True),
        ("claude-sonnet-4-6", False),
        ("claude-haiku-4-5-20251001", False),
        ("claude-3-5-haiku-latest", False),
    ):
        body = _cached_body("s" * 6000, "hi", model=model)
        cache.usage(body)
        again = cache.usage(body)
        assert (again["cache_read_input_tokens"] > 0) is cached, model
        if not cached:  # billed as plain input, no error
            assert again["input_tokens"] > 1400 and again["cache_creation_input_tokens"] == 0


def test_prompt_cache_entries_expire_five_minutes_after_last_use() -> None:
    now = [1000.0]
    cache = PromptCache(clock=lambda: now[0])
    body = _cached_body("s" * 8000, "hi")
    cache.usage(body)
    now[0] += 290
    assert cache.usage(body)["cache_read_input_tokens"] > 0  # read: the lifetime restarts
    now[0] += 290
    assert cache.usage(body)["cache_read_input_tokens"] > 0
    cache.advance(301)  # a pause longer than the lifetime, without sleeping
    expired = cache.usage(body)
    assert expired["cache_read_input_tokens"] == 0 and expired["cache_creation_input_tokens"] > 0


def test_prompt_cache_looks_back_at_most_twenty_blocks() -> None:
    cache = PromptCache()
    turns = ["question " * 600, "answer"]
    cache.usage(_cached_body("s" * 100, *turns))
    near = [*turns, *(["x", "y"] * 9), "z"]  # 19 blocks later
    assert cache.usage(_cached_body("s" * 100, *near))["cache_read_input_tokens"] > 0
    cache.clear()
    cache.usage(_cached_body("s" * 100, *turns))
    far = [*turns, *(["x", "y"] * 11), "z"]  # 23 blocks later: not found
    assert cache.usage(_cached_body("s" * 100, *far))["cache_read_input_tokens"] == 0


def test_the_clock_control_lets_the_cache_expire(model_server: ModelServer) -> None:
    body = {**_cached_body("s" * 8000, "hi"), "max_tokens": 10}
    for _ in range(2):
        _post(model_server.url + "/v1/messages", body)
    _post(model_server.url + "/_control/clock", {"advance": 400})
    _post(model_server.url + "/v1/messages", body)
    usages = [r.usage for r in model_server.requests]
    assert [u["cache_read_input_tokens"] > 0 for u in usages] == [False, True, False]


def test_count_tokens_grows_with_the_prompt(model_server: ModelServer) -> None:
    def count(text: str) -> int:
        body = {"model": "m", "messages": [{"role": "user", "content": text}]}
        return post(model_server, "/v1/messages/count_tokens", body).json()["input_tokens"]

    assert 0 < count("short") < count("long " * 100)
    assert count("same") == count("same")


def test_a_fully_read_stream_is_not_a_hang_up(model_server: ModelServer) -> None:
    body = {
        "model": "m",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "user", "content": "a b c"}],
    }
    post(model_server, "/v1/messages", body)
    (record,) = model_server.wait_for_requests(1)
    assert record.completed and record.streamed and not record.client_closed
    assert not model_server.client_closed.is_set()


def test_hang_up_is_recorded_and_signalled(model_server: ModelServer) -> None:
    model_server.enqueue(Reply(text="x " * 50, delay=0.05))
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    with httpx.stream("POST", model_server.url + "/v1/chat/completions", json=body) as response:
        next(response.iter_lines())
    assert model_server.client_closed.wait(2)
    record = model_server.wait_for_client_close(1)
    assert record.client_closed and not record.completed
    waited = httpx.get(model_server.url + "/_control/wait_client_close?timeout=1").json()
    assert waited["index"] == record.index


def test_four_thousand_deltas_stream(model_server: ModelServer) -> None:
    # How fast is a bench/ question (no timing assertions on a shared machine).
    body = {
        "model": "m",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "user", "content": "bench [[deltas:4000]]"}],
    }
    events = sse_events(post(model_server, "/v1/messages", body).text)
    assert sum(1 for name, _ in events if name == "content_block_delta") == 4000


def test_stop_does_not_wait_for_idle_keepalive_connections() -> None:
    server = ModelServer().start()
    client = httpx.Client()
    client.get(server.url + "/v1/models")  # leaves a kept-alive connection open
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    client.close()


def test_cli_prints_ready_and_serves() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.model_server", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:")
        url = line.split()[1]
        body = {"model": "m", "messages": [{"role": "user", "content": "cli"}]}
        answer = httpx.post(url + "/v1/chat/completions", json=body, timeout=10).json()
        assert answer["choices"][0]["message"]["content"] == "Echo: cli"
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_a_client_resetting_a_kept_alive_connection_prints_nothing(
    model_server: ModelServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # what the SDKs' connection pools do at times: the server waits for the next request
    # line of a kept-alive connection and gets a reset instead (it printed a traceback into
    # the test output, which read like a failure)
    host, port = model_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    post(
        model_server,
        "/v1/messages",
        {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "still serving"}]},
    )
    assert "Exception occurred" not in capsys.readouterr().err
