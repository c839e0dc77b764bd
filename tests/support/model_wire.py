"""Wire formats of the local model server: Anthropic Messages and OpenAI chat completions.

Everything here is pure: a resolved ``Answer`` goes in, JSON bodies or SSE event bytes come
out. Streams are lists of ``(kind, bytes)`` where kind is "head", "delta" (one piece of text
or tool-input JSON; faults and delays are counted in these) or "tail" (the closing events).
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.model_script import Reply, estimate_tokens

DEFAULT_MODEL = "victor-test-model"
_ids = itertools.count(1)

_TO_OPENAI_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
}

# Anthropic error type -> (OpenAI error type, code)
_TO_OPENAI_ERROR = {
    "invalid_request_error": ("invalid_request_error", None),
    "authentication_error": ("invalid_request_error", "invalid_api_key"),
    "permission_error": ("permission_error", None),
    "not_found_error": ("invalid_request_error", "model_not_found"),
    "request_too_large": ("invalid_request_error", None),
    "rate_limit_error": ("rate_limit_error", "rate_limit_exceeded"),
    "api_error": ("server_error", None),
    "overloaded_error": ("server_error", "overloaded"),
}

Stream = list[tuple[str, bytes]]


@dataclass
class Answer:
    """A reply resolved against one request: the exact deltas, ids and usage to send."""

    deltas: list[str]
    tool_calls: list[tuple[str | None, str, dict[str, Any]]]  # (id, name, input)
    stop_reason: str  # Anthropic's terms; mapped for OpenAI
    model: str
    usage: dict[str, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "".join(self.deltas)


def resolve(reply: Reply, api: str, body: dict[str, Any], prompt_usage: dict[str, int]) -> Answer:
    prefix = "toolu_" if api == "anthropic" else "call_"
    calls: list[tuple[str | None, str, dict[str, Any]]] = [
        (tc.id or f"{prefix}{next(_ids):06d}", tc.name, tc.input) for tc in reply.tool_calls
    ]
    if reply.omit_tool_ids and api == "openai":
        calls = [(None, name, inp) for _, name, inp in calls]
    stop = reply.stop_reason or ("tool_use" if calls else "end_turn")
    deltas = reply.split_deltas()
    output = estimate_tokens("".join(deltas)) + sum(estimate_tokens(c[2]) for c in calls)
    usage = {**prompt_usage, "output_tokens": max(1, output), **(reply.usage or {})}
    model = reply.model or body.get("model") or DEFAULT_MODEL
    return Answer(deltas, calls, stop, model, usage)


def _json_pieces(value: dict[str, Any]) -> list[str]:
    """Tool input JSON in (at most) three pieces, as the APIs stream it in several."""
    raw = json.dumps(value)
    step = max(1, -(-len(raw) // 3))
    return [raw[i : i + step] for i in range(0, len(raw), step)]


# --------------------------------------------------------------------------- Anthropic


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def anthropic_message(ans: Answer) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if ans.text or not ans.tool_calls:
        content.append({"type": "text", "text": ans.text})
    for tid, name, inp in ans.tool_calls:
        content.append({"type": "tool_use", "id": tid, "name": name, "input": inp})
    return {
        "id": f"msg_{next(_ids):08d}",
        "type": "message",
        "role": "assistant",
        "model": ans.model,
        "content": content,
        "stop_reason": ans.stop_reason,
        "stop_sequence": None,
        "usage": ans.usage,
    }


def anthropic_stream(ans: Answer) -> Stream:
    start = anthropic_message(ans)
    start.update(content=[], stop_reason=None, usage={**ans.usage, "output_tokens": 1})
    out: Stream = [("head", _sse("message_start", {"type": "message_start", "message": start}))]
    index = 0
    if ans.deltas or not ans.tool_calls:
        block = {"type": "text", "text": ""}
        out.append(("head", _sse("content_block_start", _start(index, block))))
        out.append(("head", _sse("ping", {"type": "ping"})))
        for piece in ans.deltas:
            delta = {"type": "text_delta", "text": piece}
            out.append(("delta", _sse("content_block_delta", _delta(index, delta))))
        out.append(("head", _sse("content_block_stop", _stop(index))))
        index += 1
    for tid, name, inp in ans.tool_calls:
        block = {"type": "tool_use", "id": tid, "name": name, "input": {}}
        out.append(("head", _sse("content_block_start", _start(index, block))))
        for piece in _json_pieces(inp):
            delta = {"type": "input_json_delta", "partial_json": piece}
            out.append(("delta", _sse("content_block_delta", _delta(index, delta))))
        out.append(("head", _sse("content_block_stop", _stop(index))))
        index += 1
    final = {
        "type": "message_delta",
        "delta": {"stop_reason": ans.stop_reason, "stop_sequence": None},
        "usage": ans.usage,
    }
    out.append(("tail", _sse("message_delta", final)))
    out.append(("tail", _sse("message_stop", {"type": "message_stop"})))
    return out


def _start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def _stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def anthropic_error(etype: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": etype, "message": message}}


def anthropic_error_event(etype: str, message: str) -> bytes:
    return _sse("error", anthropic_error(etype, message))


MALFORMED_ANTHROPIC = b'event: content_block_delta\ndata: {"type": "content_block_delta", "ind\n\n'


# --------------------------------------------------------------------------- OpenAI


def _openai_usage(ans: Answer) -> dict[str, Any]:
    u = ans.usage
    prompt = u.get("input_tokens", 0) + u.get("cache_read_input_tokens", 0)
    prompt += u.get("cache_creation_input_tokens", 0)
    out = u.get("output_tokens", 0)
    return {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out}


def _finish(ans: Answer) -> str:
    return _TO_OPENAI_FINISH.get(ans.stop_reason, ans.stop_reason)


def openai_completion(ans: Answer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": ans.text or None}
    if ans.tool_calls:
        message["tool_calls"] = [
            _without_none(
                {"id": tid, "type": "function", "function": {"name": n, "arguments": json.dumps(i)}}
            )
            for tid, n, i in ans.tool_calls
        ]
    return {
        "id": f"chatcmpl-{next(_ids):08d}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": ans.model,
        "choices": [{"index": 0, "message": message, "finish_reason": _finish(ans)}],
        "usage": _openai_usage(ans),
    }


def openai_stream(ans: Answer, include_usage: bool) -> Stream:
    base = {
        "id": f"chatcmpl-{next(_ids):08d}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": ans.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _data({**base, "choices": [choice]})

    out: Stream = [("head", chunk({"role": "assistant", "content": ""}))]
    out += [("delta", chunk({"content": piece})) for piece in ans.deltas]
    for n, (tid, name, inp) in enumerate(ans.tool_calls):
        first = _without_none(
            {"index": n, "id": tid, "type": "function", "function": {"name": name, "arguments": ""}}
        )
        out.append(("head", chunk({"tool_calls": [first]})))
        for piece in _json_pieces(inp):
            more = {"index": n, "function": {"arguments": piece}}
            out.append(("delta", chunk({"tool_calls": [more]})))
    out.append(("tail", chunk({}, _finish(ans))))
    if include_usage:
        out.append(("tail", _data({**base, "choices": [], "usage": _openai_usage(ans)})))
    out.append(("tail", b"data: [DONE]\n\n"))
    return out


def _without_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


def _data(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def openai_error(
    etype: str, message: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    otype, default_code = _TO_OPENAI_ERROR.get(etype, ("server_error", None))
    if etype == "invalid_request_error" and "too long" in message:
        default_code = "context_length_exceeded"
    return {
        "error": {"message": message, "type": otype, "param": param, "code": code or default_code}
    }


def openai_error_event(etype: str, message: str) -> bytes:
    return _data(openai_error(etype, message))


MALFORMED_OPENAI = b'data: {"choices": [{"index": 0, "delta": {"content": "x\n\n'


def openai_models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": DEFAULT_MODEL, "object": "model", "created": 0, "owned_by": "victor"}],
    }


def anthropic_models() -> dict[str, Any]:
    model = {
        "type": "model",
        "id": DEFAULT_MODEL,
        "display_name": "Victor test model",
        "created_at": "2025-01-01T00:00:00Z",
    }
    return {"data": [model], "has_more": False, "first_id": DEFAULT_MODEL, "last_id": DEFAULT_MODEL}
