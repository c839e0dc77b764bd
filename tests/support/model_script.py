"""What the local model server answers: scripted replies, the default answer, token figures.

Kept apart from the HTTP plumbing (``model_server``) and the wire formats (``model_wire``) so
each piece stays small and testable. See ``model_server``'s docstring for the markers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from tests.support.model_cache import (  # noqa: F401 - re-exported
    PromptCache,
    count_prompt_tokens,
    estimate_tokens,
    prompt_segments,
)

Fault = Literal["reset", "stall", "malformed", "error_event"]
Endpoint = Literal["chat", "count_tokens"]

SLOW_DELTAS = 200
SLOW_DELAY = 0.05

#: Anthropic error type for each status the server can be asked to fail with
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    529: "overloaded_error",
}

DEFAULT_MESSAGES: dict[str, str] = {
    "invalid_request_error": "Invalid request.",
    "authentication_error": "invalid x-api-key",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found.",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit.",
    "api_error": "Internal server error.",
    "overloaded_error": "Overloaded",
}

PROMPT_TOO_LONG = "prompt is too long: 213417 tokens > 200000 maximum"


@dataclass
class ScriptedToolCall:
    name: str
    input: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass
class Reply:
    """One scripted answer. Fields mirror the JSON accepted by ``POST /_control/script``.

    - ``text`` is split into word deltas, or ``chunk_size``-character deltas, unless ``deltas``
      gives them explicitly; ``delay`` seconds pass between deltas.
    - ``tool_calls`` follow the text as tool_use blocks / function calls.
    - ``status`` >= 400 answers with an error in the API's shape (``error_type``,
      ``error_message``, ``retry_after`` -> ``retry-after`` header, extra ``headers``).
    - ``fault`` breaks a streamed answer before delta number ``fault_after`` (0 = before any
      delta; past the end = after the last one): ``reset`` drops the connection (TCP RST),
      ``stall`` stops sending for ``stall_seconds`` then goes on, ``malformed`` sends an event
      that is not valid JSON, ``error_event`` sends an ``event: error`` (type ``error_type``).
    - ``endpoint`` "count_tokens" scripts ``/v1/messages/count_tokens`` instead of a chat
      answer: an error (``status``) or ``{"input_tokens": input_tokens}``.
    - ``usage`` overrides the estimated usage figures, ``model`` the model name echoed back.
    - ``omit_tool_ids`` sends OpenAI tool calls without an ``id``, as some local servers do.
    """

    text: str = ""
    deltas: list[str] | None = None
    chunk_size: int | None = None
    delay: float = 0.0
    tool_calls: list[ScriptedToolCall] = field(default_factory=list)
    stop_reason: str | None = None
    usage: dict[str, int] | None = None
    model: str | None = None
    status: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fault: Fault | None = None
    fault_after: int = 0
    stall_seconds: float = 30.0
    endpoint: Endpoint = "chat"
    input_tokens: int | None = None  # count_tokens answer
    omit_tool_ids: bool = False

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        *,
        error_type: str | None = None,
        retry_after: float | None = None,
        endpoint: Endpoint = "chat",
    ) -> Reply:
        return cls(
            status=status,
            error_message=message,
            error_type=error_type,
            retry_after=retry_after,
            endpoint=endpoint,
        )

    @classmethod
    def prompt_too_long(cls) -> Reply:
        return cls(status=400, error_type="invalid_request_error", error_message=PROMPT_TOO_LONG)

    @classmethod
    def tool_use(
        cls,
        name: str,
        input: dict[str, Any] | None = None,  # noqa: A002 - the API's own field name
        *,
        id: str | None = None,  # noqa: A002
        text: str = "",
    ) -> Reply:
        return cls(text=text, tool_calls=[ScriptedToolCall(name, dict(input or {}), id)])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown reply fields: {sorted(unknown)}")
        kwargs = dict(data)
        kwargs["tool_calls"] = [
            ScriptedToolCall(tc["name"], dict(tc.get("input") or {}), tc.get("id"))
            for tc in data.get("tool_calls") or []
        ]
        return cls(**kwargs)

    def resolved_error(self) -> tuple[str, str]:
        """(error type, message) for an error reply or an ``error_event`` fault."""
        etype = self.error_type or ERROR_TYPES.get(self.status or 529, "api_error")
        return etype, self.error_message or DEFAULT_MESSAGES.get(etype, "Error.")

    def split_deltas(self) -> list[str]:
        if self.deltas is not None:
            return list(self.deltas)
        if self.chunk_size:
            n = self.chunk_size
            return [self.text[i : i + n] for i in range(0, len(self.text), n)]
        return word_deltas(self.text)


def word_deltas(text: str) -> list[str]:
    """Split after each run of whitespace, so joining the pieces gives ``text`` back."""
    return re.findall(r"\S+\s*|\s+", text)


# --------------------------------------------------------------------------- default answer

_MARKER = re.compile(r"\[\[(slow|deltas:\d+|error:\d{3}|tool:[A-Za-z0-9_.-]+(?:\s+\{.*?\})?)\]\]")


# Victor writes a turn's editor context before the question, in these tags; the default answer
# echoes the question only (what the user typed), as a model would answer it.
EDITOR_CONTEXT_END = "</editor_context>\n\n"


def _question(text: str) -> str:
    if text.startswith("<editor_context>") and EDITOR_CONTEXT_END in text:
        return text.rsplit(EDITOR_CONTEXT_END, 1)[1]
    return text


def last_user_text(api: str, body: dict[str, Any]) -> tuple[str, bool]:
    """Text of the last user turn (without Victor's editor context) and whether that turn was
    plain user text (not tool results)."""
    text, plain = _last_user_text(api, body)
    return (_question(text), plain) if plain else (text, plain)


def _last_user_text(api: str, body: dict[str, Any]) -> tuple[str, bool]:
    messages = body.get("messages") or []
    for msg in reversed(messages):
        role = msg.get("role")
        if api == "openai" and role == "tool":
            return f"tool result: {_plain(msg.get('content'))}", False
        if role != "user":
            continue
        content = msg.get("content")
        if isinstance(content, list):
            texts = [b.get("text", "") for b in content if b.get("type") == "text"]
            results = [_plain(b.get("content")) for b in content if b.get("type") == "tool_result"]
            if results and not "".join(texts).strip():
                return "tool result: " + "\n".join(results), False
            return "\n".join(texts), True
        return _plain(content), True
    return "", True


def _plain(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return "" if content is None else str(content)


def default_reply(api: str, body: dict[str, Any]) -> Reply:
    """The answer when nothing is scripted: ``Echo: <last user text>``, shaped by markers."""
    text, plain_turn = last_user_text(api, body)
    markers = _MARKER.findall(text) if plain_turn else []
    answer = "Echo: " + re.sub(r"[ \t]{2,}", " ", _MARKER.sub("", text)).strip()
    reply = Reply(text=answer)
    for marker in markers:
        kind, _, arg = marker.partition(":")
        if kind == "slow":
            reply.deltas = _padded(answer, SLOW_DELTAS)
            reply.delay = SLOW_DELAY
        elif kind == "deltas":
            reply.deltas = _padded(answer, max(1, int(arg)))
        elif kind == "error":
            return Reply.error(int(arg))
        elif kind == "tool":
            name, *rest = arg.split(None, 1)
            raw = rest[0] if rest else ""
            reply.tool_calls.append(ScriptedToolCall(name, json.loads(raw) if raw else {}))
    return reply


def _padded(answer: str, count: int) -> list[str]:
    """Exactly ``count`` deltas: the answer's words, then numbered filler (or truncated)."""
    pieces = word_deltas(answer)[:count]
    if pieces and len(pieces) < count:
        pieces[-1] = pieces[-1].rstrip() + " "
    pieces += [f"{i} " for i in range(len(pieces), count)]
    return pieces


# Token estimates and the prompt cache live in model_cache; re-exported for older imports.
__all__ = [
    "PromptCache",
    "Reply",
    "ScriptedToolCall",
    "count_prompt_tokens",
    "default_reply",
    "estimate_tokens",
    "prompt_segments",
]
