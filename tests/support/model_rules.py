"""The documented request rules of the two chat APIs, checked by the local model server.

This module: the shared helpers and the Anthropic Messages rules; ``model_rules_openai``:
the OpenAI chat completions rules. The sources below are cited by tag in both.

A request that breaks one is answered 400 in the API's own error shape, the way the real
API would, so every test that talks to the server also checks that Victor's requests are
valid. Each rule names its source; messages follow the real APIs' wording where known.

Sources (stored copies were read through the project's search tool):
- [A-MSG]   Anthropic Messages API reference, https://docs.anthropic.com/en/api/messages
            (``model``, ``messages``, ``max_tokens`` required; roles; content blocks;
            "all messages must have non-empty content except for the optional final
            assistant message"; a final assistant message "cannot end with trailing
            whitespace").
- [A-TOOL]  Anthropic tool use, https://docs.anthropic.com/en/docs/build-with-claude/tool-use
            /implement-tool-use: "Tool result blocks must immediately follow their
            corresponding tool use blocks in the message history", "In the user message
            containing tool results, the tool_result blocks must come FIRST in the content
            array"; tool ``name`` must match ``^[a-zA-Z0-9_-]{1,64}$``.
- [A-ID]    anthropic SDK / API schema for ``tool_use.id``: pattern ``^[a-zA-Z0-9_-]+$``
            (the API answers "String should match pattern '^[a-zA-Z0-9_-]+$'"), and
            "tool_use ids must be unique"; "Requests which include tool_use or tool_result
            blocks must define tools" (API error text).
- [A-CACHE] Anthropic prompt caching, https://docs.anthropic.com/en/docs/build-with-claude
            /prompt-caching: "You can define up to 4 cache breakpoints" ("A maximum of 4
            blocks with cache_control may be provided. Found N.").
- [A-MODELS] https://docs.anthropic.com/en/docs/about-claude/models/overview, "Max output"
            row; the API answers "max_tokens: N > M, which is the maximum allowed number of
            output tokens for MODEL".
- [O-CHAT]  OpenAI chat completions reference,
            https://platform.openai.com/docs/api-reference/chat/create: ``model`` and
            ``messages`` required; roles; ``tool_calls``/``tool_call_id``; function ``name``
            "a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of
            64"; ``max_tokens`` "is not compatible with o-series models" (use
            ``max_completion_tokens``); ``stream_options`` "only set this when you set
            stream: true".
- [O-TOOL]  OpenAI function calling guide, https://platform.openai.com/docs/guides
            /function-calling (each tool call is answered by a ``tool`` message carrying its
            ``tool_call_id``); the API's errors: "messages with role 'tool' must be a
            response to a preceeding message with 'tool_calls'", "An assistant message with
            'tool_calls' must be followed by tool messages responding to each
            'tool_call_id'".
- [O-MODELS] https://platform.openai.com/docs/models (max output tokens per model); the API
            answers "max_tokens is too large: N. This model supports at most M completion
            tokens, whereas you provided N." and, for reasoning models, "Unsupported
            parameter: 'max_tokens' is not supported with this model. Use
            'max_completion_tokens' instead." (code ``unsupported_parameter``).
- [JSON]    RFC 8259 section 8.1 (JSON text exchanged between systems MUST be UTF-8) and
            section 8.2 (a lone surrogate is not a Unicode character); both APIs reject such
            bodies ("The request body is not valid JSON: no low surrogate in string").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TOOL_ID = re.compile(r"^[a-zA-Z0-9_-]+$")  # [A-ID]
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")  # [A-TOOL], [O-CHAT]
MAX_CACHE_BREAKPOINTS = 4  # [A-CACHE]

# [A-MODELS] Max output tokens; the longest matching prefix wins. Unknown models: unchecked.
ANTHROPIC_MAX_OUTPUT = {
    "claude-opus-4-7": 128_000,
    "claude-opus-4-6": 128_000,
    "claude-opus-4-5": 64_000,
    "claude-opus-4-1": 32_000,
    "claude-opus-4": 32_000,
    "claude-sonnet-4": 64_000,
    "claude-haiku-4-5": 64_000,
    "claude-3-7-sonnet": 64_000,
    "claude-3-5-sonnet": 8_192,
    "claude-3-5-haiku": 8_192,
    "claude-3-opus": 4_096,
    "claude-3-haiku": 4_096,
}


@dataclass(frozen=True)
class Violation:
    """Why a request is invalid; ``param``/``code`` fill OpenAI's error fields."""

    message: str
    param: str | None = None
    code: str | None = None


class Invalid(Exception):
    def __init__(self, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.violation = Violation(message, param, code)


def limit_of(table: dict[str, int], model: str) -> int | None:
    keys = [k for k in table if model.startswith(k)]
    return table[max(keys, key=len)] if keys else None


def lone_surrogate_at(value: Any, where: str = "") -> str | None:
    """Path of the first string holding a lone surrogate (not encodable as UTF-8). [JSON]"""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where or "(body)"
        return None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = lone_surrogate_at(key, where) or lone_surrogate_at(item, f"{where}.{key}")
        if found:
            return found.lstrip(".")
    return None


def check_text(value: Any) -> None:
    where = lone_surrogate_at(value)
    if where:
        raise Invalid(
            f"The request body is not valid JSON: no low surrogate in string (at {where})",
            param=where,
        )


def positive_int(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"{key}: Input should be a valid integer >= 1", param=key)
    return value


# --------------------------------------------------------------------------- Anthropic


def check_anthropic(body: Any, *, count_tokens: bool = False) -> Violation | None:
    """The first documented rule ``body`` breaks for ``POST /v1/messages`` (or count_tokens)."""
    try:
        _anthropic(body, count_tokens)
    except Invalid as exc:
        return exc.violation
    return None


def _anthropic(body: Any, count_tokens: bool) -> None:
    if not isinstance(body, dict):
        raise Invalid("The request body is not a JSON object.")
    check_text(body)
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise Invalid("model: Field required")  # [A-MSG]
    if not count_tokens:
        wanted = positive_int(body, "max_tokens")  # [A-MSG]
        limit = limit_of(ANTHROPIC_MAX_OUTPUT, body["model"])
        if limit is not None and wanted > limit:  # [A-MODELS]
            raise Invalid(
                f"max_tokens: {wanted} > {limit}, which is the maximum allowed number of "
                f"output tokens for {body['model']}"
            )
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise Invalid("messages: Field required")  # [A-MSG]
    if not messages:
        raise Invalid("messages: at least one message is required")  # [A-MSG]
    tools = body.get("tools") or []
    if not isinstance(tools, list):
        raise Invalid("tools: Input should be a valid list")
    breakpoints = 0
    for i, tool in enumerate(tools):
        name = tool.get("name") if isinstance(tool, dict) else None
        if not isinstance(name, str) or not TOOL_NAME.match(name):  # [A-TOOL]
            raise Invalid(
                f"tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
            )
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":  # [A-TOOL]
            raise Invalid(f"tools.{i}.custom.input_schema.type: Input should be 'object'")
        breakpoints += "cache_control" in tool
    system = body.get("system")
    if isinstance(system, list):
        for i, block in enumerate(system):
            _text_block(block, f"system.{i}")
            breakpoints += "cache_control" in block
    elif system is not None and not isinstance(system, str):
        raise Invalid("system: Input should be a valid string or list of text blocks")
    seen_ids: set[str] = set()
    uses_tools = False
    pending: list[str] = []  # tool_use ids of the previous assistant message
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        if role not in ("user", "assistant"):  # [A-MSG]
            raise Invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        content = msg.get("content")
        last = i == len(messages) - 1
        if isinstance(content, str):
            blocks = [{"type": "text", "text": content}] if content else []
        elif isinstance(content, list):
            blocks = content
        else:
            raise Invalid(f"messages.{i}.content: Field required")
        if not blocks and not (last and role == "assistant"):  # [A-MSG]
            raise Invalid(
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        answered: list[str] = []
        seen_other = False
        for j, block in enumerate(blocks):
            where = f"messages.{i}.content.{j}"
            kind = block.get("type") if isinstance(block, dict) else None
            breakpoints += isinstance(block, dict) and "cache_control" in block
            if kind == "text":
                _text_block(block, where)
                seen_other = True
            elif kind == "tool_use":
                uses_tools = True
                if role != "assistant":
                    raise Invalid(
                        f"{where}: tool_use blocks are only allowed in assistant messages"
                    )
                tid = block.get("id")
                if not isinstance(tid, str) or not TOOL_ID.match(tid):  # [A-ID]
                    raise Invalid(
                        f"{where}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'"
                    )
                if tid in seen_ids:  # [A-ID]
                    raise Invalid(f"messages.{i}.content.{j}: tool_use ids must be unique")
                seen_ids.add(tid)
                if not isinstance(block.get("name"), str) or not isinstance(
                    block.get("input"), dict
                ):
                    raise Invalid(f"{where}.tool_use: name and input are required")
            elif kind == "tool_result":
                uses_tools = True
                if role != "user":
                    raise Invalid(f"{where}: tool_result blocks are only allowed in user messages")
                if seen_other:  # [A-TOOL] results come first
                    raise Invalid(
                        f"messages.{i}: tool_result blocks must come first in the content "
                        "array, before any other content"
                    )
                tid = block.get("tool_use_id")
                if tid not in pending:  # [A-TOOL]
                    raise Invalid(
                        f"{where}: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{tid}. Each `tool_result` block must have a corresponding "
                        "`tool_use` block in the previous message."
                    )
                answered.append(tid)
                _result_content(block.get("content"), where)
            else:
                raise Invalid(f"{where}.type: Input tag {kind!r} is not a supported block")
        if role == "user":
            missing = [t for t in pending if t not in answered]
            if missing:  # [A-TOOL]
                raise Invalid(
                    f"messages.{i - 1}: `tool_use` ids were found without `tool_result` "
                    f"blocks immediately after: {', '.join(missing)}. Each `tool_use` block "
                    "must have a corresponding `tool_result` block in the next message."
                )
            pending = []
        else:
            if pending:  # an assistant message after tool_use: the results were skipped
                raise Invalid(
                    f"messages.{i - 1}: `tool_use` ids were found without `tool_result` "
                    f"blocks immediately after: {', '.join(pending)}. Each `tool_use` block "
                    "must have a corresponding `tool_result` block in the next message."
                )
            pending = [b["id"] for b in blocks if b.get("type") == "tool_use"]
            prefill = blocks[-1] if last and blocks else {}
            if prefill.get("type") == "text" and prefill["text"] != prefill["text"].rstrip():
                raise Invalid("final assistant content cannot end with trailing whitespace")
    if pending:
        raise Invalid(
            f"messages.{len(messages) - 1}: `tool_use` ids were found without `tool_result` "
            f"blocks immediately after: {', '.join(pending)}."
        )
    if uses_tools and not tools:  # [A-ID]
        raise Invalid(
            "Requests which include `tool_use` or `tool_result` blocks must define tools."
        )
    if breakpoints > MAX_CACHE_BREAKPOINTS:  # [A-CACHE]
        raise Invalid(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. "
            f"Found {breakpoints}."
        )


def _text_block(block: Any, where: str) -> None:
    if not isinstance(block, dict) or block.get("type") != "text":
        raise Invalid(f"{where}.type: Input should be 'text'")
    text = block.get("text")
    if not isinstance(text, str) or not text:  # [A-MSG]
        raise Invalid(f"{where}: text content blocks must be non-empty")
    if not text.strip():  # [A-MSG]
        raise Invalid(f"{where}: text content blocks must contain non-whitespace text")


def _result_content(content: Any, where: str) -> None:
    if content is None or isinstance(content, str):
        return
    if not isinstance(content, list):
        raise Invalid(f"{where}.content: Input should be a valid string or list")
    for k, block in enumerate(content):
        _text_block(block, f"{where}.content.{k}")
