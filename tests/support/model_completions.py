"""OpenAI's legacy completions endpoint (``POST /v1/completions``) for the local model server.

The wire format code models are served with for fill-in-the-middle (``prompt`` + ``suffix``;
Ollama, llama.cpp server and vLLM speak it). Requests are validated as strictly as the real
API does: unknown arguments, a missing ``model`` or ``prompt``, or values of the wrong type
get a 400 in OpenAI's error shape. Answers come from the server's shared FIFO of scripted
replies (as the two chat APIs); with nothing scripted the completion is ``DEFAULT_TEXT``.
``stop`` sequences end the text as a real server would. JSON or SSE (``"stream": true``).
"""

from __future__ import annotations

import itertools
import json
import time
from typing import TYPE_CHECKING, Any

from tests.support import model_wire as wire
from tests.support.model_script import Reply, estimate_tokens

if TYPE_CHECKING:
    from tests.support.model_http import Handler, RecordedRequest

PATHS = ("/v1/completions", "/completions")
DEFAULT_TEXT = "pass"
_ids = itertools.count(1)

# Every argument the real endpoint accepts (https://platform.openai.com/docs/api-reference/completions)
_KNOWN = {
    "model",
    "prompt",
    "suffix",
    "max_tokens",
    "temperature",
    "top_p",
    "n",
    "stream",
    "stream_options",
    "logprobs",
    "echo",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "best_of",
    "logit_bias",
    "user",
    "seed",
}


def validate(body: Any) -> str | None:
    """What the real API would answer 400 with, or None for a valid request."""
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    unknown = sorted(set(body) - _KNOWN)
    if unknown:
        return f"Unrecognized request argument supplied: {unknown[0]}"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    prompt = body.get("prompt")
    if prompt is None:
        return "'prompt' is a required property"
    if not (
        isinstance(prompt, str) or (isinstance(prompt, list) and all(_is_prompt(p) for p in prompt))
    ):
        return f"{prompt!r:.60} is not valid under any of the given schemas - 'prompt'"
    checks = {
        "suffix": lambda v: isinstance(v, str),
        "max_tokens": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "temperature": lambda v: _number(v) and 0 <= v <= 2,
        "top_p": lambda v: _number(v) and 0 <= v <= 1,
        "n": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 128,
        "stream": lambda v: isinstance(v, bool),
        "echo": lambda v: isinstance(v, bool),
        "stop": lambda v: (
            isinstance(v, str)
            or (isinstance(v, list) and len(v) <= 4 and all(isinstance(s, str) for s in v))
        ),
        "stream_options": lambda v: isinstance(v, dict),
    }
    for name, ok in checks.items():
        if body.get(name) is not None and not ok(body[name]):
            return f"{body[name]!r:.40} is not valid for '{name}'"
    if body.get("stream_options") is not None and not body.get("stream"):
        return "The 'stream_options' parameter is only allowed when 'stream' is enabled."
    return None


def _is_prompt(value: Any) -> bool:
    return isinstance(value, str | int) or (
        isinstance(value, list) and all(isinstance(t, int) for t in value)
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def handle(handler: Handler, rec: RecordedRequest, body: Any) -> None:
    """Answer one ``/v1/completions`` request on ``handler`` (recorded as ``rec``)."""
    problem = validate(body)
    if problem:
        return handler._error(rec, "openai", Reply.error(400, problem))
    reply = handler.owner._take("chat") or Reply(text=DEFAULT_TEXT)
    if reply.status and reply.status >= 400:
        return handler._error(rec, "openai", reply)
    deltas, finish = _stopped(reply.split_deltas(), body.get("stop"))
    prompt_text = body["prompt"] if isinstance(body["prompt"], str) else json.dumps(body["prompt"])
    prompt_tokens = estimate_tokens(prompt_text + (body.get("suffix") or ""))
    completion_tokens = max(1, estimate_tokens("".join(deltas)))
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    base = {
        "id": f"cmpl-{next(_ids):08d}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": reply.model or body["model"],
    }
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return handler._stream(
            rec, "openai", reply, _events(base, deltas, finish, usage, include_usage)
        )
    if reply.fault == "reset":
        return handler._reset_connection(rec)
    stall = reply.stall_seconds if reply.fault == "stall" else 0.0
    handler._pause(reply.delay * max(1, len(deltas)) + stall)
    choice = {"text": "".join(deltas), "index": 0, "logprobs": None, "finish_reason": finish}
    handler._answer(rec, 200, {**base, "choices": [choice], "usage": usage}, fault=reply.fault)


def _stopped(deltas: list[str], stop: Any) -> tuple[list[str], str]:
    """The deltas up to the first stop sequence (which is not sent), and the finish reason."""
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    text = "".join(deltas)
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    if cut < 0:
        return deltas, "stop"
    out, used = [], 0
    for piece in deltas:
        if used + len(piece) >= cut:
            out.append(piece[: cut - used])
            break
        out.append(piece)
        used += len(piece)
    return [p for p in out if p], "stop"


def _events(
    base: dict[str, Any],
    deltas: list[str],
    finish: str,
    usage: dict[str, int],
    include_usage: bool,
) -> wire.Stream:
    def chunk(text: str, reason: str | None) -> bytes:
        choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": reason}
        return _data({**base, "choices": [choice]})

    out: wire.Stream = [("delta", chunk(piece, None)) for piece in deltas]
    out.append(("tail", chunk("", finish)))
    if include_usage:
        out.append(("tail", _data({**base, "choices": [], "usage": usage})))
    out.append(("tail", b"data: [DONE]\n\n"))
    return out


def _data(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()
