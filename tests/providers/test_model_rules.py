"""The model server's request validator: valid requests pass, each broken rule gets the 400
the real API sends, in its error shape (see tests/support/model_rules.py for the sources)."""

from __future__ import annotations

import copy
import json
from typing import Any

import anthropic
import httpx
import pytest

from tests.support.model_rules import check_anthropic
from tests.support.model_rules_openai import check_openai
from tests.support.model_server import ModelServer, Reply

TOOLS = [
    {"name": "read_file", "description": "d", "input_schema": {"type": "object"}},
    {"name": "list_directory", "description": "d", "input_schema": {"type": "object"}},
]


def anthropic_body(**changes: Any) -> dict[str, Any]:
    """A valid tool round: question, tool_use, tool_result + follow-up, with 4 breakpoints."""
    body: dict[str, Any] = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 64_000,
        "system": [
            {"type": "text", "text": "stable", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "volatile"},
        ],
        "tools": copy.deepcopy(TOOLS),
        "messages": [
            {"role": "user", "content": "What is in a.py?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Reading it."},
                    {"type": "tool_use", "id": "toolu_01", "name": "read_file", "input": {}},
                    {"type": "tool_use", "id": "toolu_02", "name": "read_file", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_02", "content": "two"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_01",
                        "content": [{"type": "text", "text": "one"}],
                        "is_error": False,
                        "cache_control": {"type": "ephemeral"},
                    },
                    {"type": "text", "text": "and then?"},
                ],
            },
        ],
    }
    body["tools"][-1]["cache_control"] = {"type": "ephemeral"}
    body["messages"][0]["content"] = [
        {"type": "text", "text": "What is in a.py?", "cache_control": {"type": "ephemeral"}}
    ]
    body.update(changes)
    return body


def openai_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "gpt-4o",
        "max_tokens": 16_384,
        "stream": True,
        "stream_options": {"include_usage": True},
        "tools": [{"type": "function", "function": {"name": "read_file", "parameters": {}}}],
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "What is in a.py?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "functions.read_file:0",  # valid here (Kimi/vLLM style)
                        "type": "function",
                        "function": {"name": "read_file", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "functions.read_file:0", "content": "x = 1"},
        ],
    }
    body.update(changes)
    return body


def test_valid_requests_pass() -> None:
    assert check_anthropic(anthropic_body()) is None
    count = anthropic_body()
    del count["max_tokens"]
    assert check_anthropic(count, count_tokens=True) is None
    plain = {"model": "m", "max_tokens": 10**6, "messages": [{"role": "user", "content": "hi"}]}
    assert check_anthropic(plain) is None  # unknown models: max_tokens unchecked
    prefill = anthropic_body()
    prefill["messages"].append({"role": "assistant", "content": "Sure"})
    assert check_anthropic(prefill) is None
    assert check_openai(openai_body()) is None
    reasoning = openai_body(model="o3-mini", max_completion_tokens=50_000)
    del reasoning["max_tokens"]
    assert check_openai(reasoning) is None
    assert check_openai(openai_body(model="qwen2.5-coder:7b", max_tokens=10**6)) is None


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split("/")
    target: Any = body
    for key in parents:
        target = target[int(key) if key.isdigit() else key]
    if value is _DELETE:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return body


_DELETE = object()

ANTHROPIC_BROKEN = [
    ("model", _DELETE, "model: Field required"),
    ("max_tokens", _DELETE, "max_tokens: Input should be a valid integer"),
    ("max_tokens", 0, "max_tokens: Input should be a valid integer"),
    (
        "max_tokens",
        100_000,
        "max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens "
        "for claude-sonnet-4-6",
    ),
    ("messages", [], "messages: at least one message is required"),
    ("messages/0/role", "system", "messages.0.role: Input should be 'user' or 'assistant'"),
    ("messages/0/content", "", "messages.0: all messages must have non-empty content"),
    ("messages/0/content", [], "messages.0: all messages must have non-empty content"),
    ("messages/1/content/0/text", "", "text content blocks must be non-empty"),
    ("messages/1/content/0/text", " \n", "text content blocks must contain non-whitespace"),
    ("system/1/text", "", "system.1: text content blocks must be non-empty"),
    (
        "messages/1/content/1/id",
        "functions.read_file:0",
        "messages.1.content.1.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
    ),
    ("messages/1/content/2/id", "toolu_01", "tool_use ids must be unique"),
    (
        "messages/2/content/1/tool_use_id",
        "toolu_99",
        "unexpected `tool_use_id` found in `tool_result` blocks: toolu_99",
    ),
    (
        "messages/2/content/1",
        {"type": "text", "text": "no result"},
        "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_01",
    ),
    (
        "messages/2/content/0",
        {"type": "text", "text": "text first"},
        "tool_result blocks must come first",
    ),
    ("tools", _DELETE, "Requests which include `tool_use` or `tool_result` blocks must define"),
    ("tools/0/name", "functions.read_file", "tools.0.custom.name: String should match pattern"),
    (
        "system/1/cache_control",
        {"type": "ephemeral"},
        "A maximum of 4 blocks with cache_control may be provided. Found 5.",
    ),
    ("messages/0/content/0/text", "caf\udce9.py", "no low surrogate in string"),
]


@pytest.mark.parametrize(("path", "value", "message"), ANTHROPIC_BROKEN)
def test_each_anthropic_rule_is_enforced(path: str, value: Any, message: str) -> None:
    violation = check_anthropic(_set(anthropic_body(), path, value))
    assert violation is not None, f"{path}={value!r} was accepted"
    assert message in violation.message


def test_anthropic_tool_result_must_answer_the_previous_message() -> None:
    body = anthropic_body()
    body["messages"].insert(2, {"role": "user", "content": "interjection"})
    violation = check_anthropic(body)
    assert violation is not None and "without `tool_result` blocks immediately after" in (
        violation.message
    )
    ends_with_call = anthropic_body()
    ends_with_call["messages"].pop()
    assert check_anthropic(ends_with_call) is not None
    trailing = anthropic_body()
    trailing["messages"].append({"role": "assistant", "content": "Sure "})
    assert "trailing whitespace" in check_anthropic(trailing).message  # type: ignore[union-attr]


OPENAI_BROKEN = [
    ("model", _DELETE, "model", None),
    ("messages", [], "messages", None),
    ("max_tokens", 100_000, "max_tokens", "invalid_value"),
    ("model", "gpt-5-mini", "max_tokens", "unsupported_parameter"),
    ("model", "o1", "max_tokens", "unsupported_parameter"),
    ("model", "o4-mini-2025-04-16", "max_tokens", "unsupported_parameter"),
    ("stream", False, "stream_options", None),
    ("tools/0/function/name", "functions.read_file", "tools[0].function.name", "invalid_value"),
    ("messages/1/role", "robot", "messages[1].role", "invalid_value"),
    ("messages/3/tool_call_id", "call_9", "messages.[3].role", None),
    ("messages/3", {"role": "user", "content": "skip it"}, "messages.[3].role", None),
    ("messages/2/tool_calls/0/id", _DELETE, "messages[2].tool_calls[0].id", None),
    ("messages/1/content", None, "messages.[1].content", "invalid_type"),
    ("messages/1/content", "caf\udce9", "messages.1.content", None),
]


@pytest.mark.parametrize(("path", "value", "param", "code"), OPENAI_BROKEN)
def test_each_openai_rule_is_enforced(path: str, value: Any, param: str, code: str) -> None:
    violation = check_openai(_set(openai_body(), path, value))
    assert violation is not None, f"{path}={value!r} was accepted"
    assert violation.param == param
    if code:
        assert violation.code == code


def test_a_missing_tool_answer_at_the_end_is_rejected() -> None:
    body = openai_body()
    body["messages"].pop()
    violation = check_openai(body)
    assert violation is not None and "functions.read_file:0" in violation.message


# --------------------------------------------------------------------------- over HTTP


def test_anthropic_400_has_the_real_shape_and_keeps_the_scripted_reply(
    model_server: ModelServer,
) -> None:
    model_server.enqueue(Reply(text="for the valid request"))
    body = anthropic_body(max_tokens=100_000)
    response = httpx.post(model_server.url + "/v1/messages", json=body, timeout=10)
    assert response.status_code == 400
    payload = response.json()
    assert payload["type"] == "error"
    assert payload["error"]["type"] == "invalid_request_error"
    assert payload["error"]["message"].startswith("max_tokens: 100000 > 64000")
    assert set(payload) <= {"type", "error", "request_id"}
    (rec,) = model_server.violations
    assert rec.status == 400 and rec.invalid == payload["error"]["message"]
    assert model_server.queued == 1  # a rejected request does not consume an answer


def test_openai_400_has_the_real_shape(model_server: ModelServer) -> None:
    body = openai_body(model="gpt-5")
    response = httpx.post(model_server.url + "/v1/chat/completions", json=body, timeout=10)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error == {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
        "Use 'max_completion_tokens' instead.",
        "type": "invalid_request_error",
        "param": "max_tokens",
        "code": "unsupported_parameter",
    }


def test_bodies_that_are_not_utf8_are_rejected(model_server: ModelServer) -> None:
    raw = json.dumps(anthropic_body()).replace("What is", "Caf\xe9 is").encode("latin-1")
    response = httpx.post(
        model_server.url + "/v1/messages",
        content=raw,
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    escaped = json.dumps(anthropic_body()).replace("What is", "Caf\\udce9 is")
    response = httpx.post(
        model_server.url + "/v1/messages",
        content=escaped.encode(),
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert "no low surrogate" in response.json()["error"]["message"]


async def test_the_real_sdk_sees_a_bad_request(model_server: ModelServer) -> None:
    client = anthropic.AsyncAnthropic(api_key="k", base_url=model_server.url, max_retries=0)
    try:
        with pytest.raises(anthropic.BadRequestError) as caught:
            await client.messages.create(
                model="claude-sonnet-4-6",
                max_tokens=10,
                messages=[{"role": "user", "content": [{"type": "text", "text": " "}]}],
            )
    finally:
        await client.close()
    assert "non-whitespace text" in str(caught.value)
