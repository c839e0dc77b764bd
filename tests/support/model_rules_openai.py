"""OpenAI chat completions request rules (sources: the tags in ``model_rules``' docstring)."""

from __future__ import annotations

from typing import Any

from tests.support.model_rules import (
    TOOL_NAME,
    Invalid,
    Violation,
    check_text,
    limit_of,
    positive_int,
)

# [O-MODELS]
OPENAI_MAX_OUTPUT = {
    "gpt-5": 128_000,
    "gpt-4.1": 32_768,
    "gpt-4o": 16_384,
    "gpt-4-turbo": 4_096,
    "gpt-3.5-turbo": 4_096,
    "o1": 100_000,
    "o1-mini": 65_536,
    "o3": 100_000,
    "o4-mini": 100_000,
}
# [O-CHAT] reasoning models refuse max_tokens
OPENAI_REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4")


def check_openai(body: Any) -> Violation | None:
    """The first documented rule ``body`` breaks for ``POST /v1/chat/completions``."""
    try:
        _openai(body)
    except Invalid as exc:
        return exc.violation
    return None


def _openai(body: Any) -> None:
    if not isinstance(body, dict):
        raise Invalid("We could not parse the JSON body of your request.")
    check_text(body)
    model = body.get("model")
    if not isinstance(model, str) or not model:  # [O-CHAT]
        raise Invalid("you must provide a model parameter", param="model")
    reasoning = model.startswith(OPENAI_REASONING_PREFIXES)
    if "max_tokens" in body and reasoning:  # [O-CHAT]
        raise Invalid(
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
            "'max_completion_tokens' instead.",
            param="max_tokens",
            code="unsupported_parameter",
        )
    for key in ("max_tokens", "max_completion_tokens"):
        if key not in body or body[key] is None:
            continue
        wanted = positive_int(body, key)
        limit = limit_of(OPENAI_MAX_OUTPUT, model)
        if limit is not None and wanted > limit:  # [O-MODELS]
            raise Invalid(
                f"{key} is too large: {wanted}. This model supports at most {limit} "
                f"completion tokens, whereas you provided {wanted}.",
                param=key,
                code="invalid_value",
            )
    if "stream_options" in body and not body.get("stream"):  # [O-CHAT]
        raise Invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
        )
    for i, tool in enumerate(body.get("tools") or []):
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if (
            tool.get("type") != "function" or not isinstance(name, str) or not TOOL_NAME.match(name)
        ):  # [O-CHAT]
            raise Invalid(
                f"Invalid 'tools[{i}].function.name': string does not match pattern. "
                "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                param=f"tools[{i}].function.name",
                code="invalid_value",
            )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:  # [O-CHAT]
        raise Invalid(
            "[] is too short - 'messages'", param="messages", code="invalid_request_error"
        )
    pending: list[str] = []
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        if role not in ("system", "developer", "user", "assistant", "tool"):  # [O-CHAT]
            raise Invalid(
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', "
                "'user', 'function', 'tool', and 'developer'.",
                param=f"messages[{i}].role",
                code="invalid_value",
            )
        if role == "tool":
            if msg.get("tool_call_id") not in pending:  # [O-TOOL]
                raise Invalid(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    param=f"messages.[{i}].role",
                )
            pending.remove(msg["tool_call_id"])
            _openai_content(msg, i)
            continue
        if pending:  # [O-TOOL]
            raise Invalid(
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(pending)}",
                param=f"messages.[{i}].role",
            )
        calls = msg.get("tool_calls") if role == "assistant" else None
        if calls:
            for k, call in enumerate(calls):
                tid = call.get("id") if isinstance(call, dict) else None
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(tid, str) or not tid or not isinstance(function, dict):
                    raise Invalid(
                        f"Missing required parameter: 'messages[{i}].tool_calls[{k}].id'.",
                        param=f"messages[{i}].tool_calls[{k}].id",
                        code="missing_required_parameter",
                    )
                pending.append(tid)
            if msg.get("content") is not None:
                _openai_content(msg, i)
        else:
            _openai_content(msg, i)
    if pending:  # [O-TOOL]
        raise Invalid(
            "An assistant message with 'tool_calls' must be followed by tool messages "
            "responding to each 'tool_call_id'. The following tool_call_ids did not have "
            f"response messages: {', '.join(pending)}",
            param="messages",
        )


def _openai_content(msg: dict[str, Any], i: int) -> None:
    content = msg.get("content")
    if isinstance(content, str):
        return
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        for p in content
    ):
        return
    raise Invalid(
        f"Invalid value for 'content': expected a string, got {type(content).__name__}.",
        param=f"messages.[{i}].content",
        code="invalid_type",
    )
