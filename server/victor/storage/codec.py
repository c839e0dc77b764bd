"""Message <-> database row conversion.

Scalar fields get their own columns (so the database stays inspectable with the sqlite3 shell);
``tool_calls`` and ``metadata`` are JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from victor.protocols import Message, ToolCall

ROLES = ("system", "user", "assistant", "tool")

# Column order shared by INSERTs and SELECTs of messages and context_messages.
MESSAGE_FIELDS = (
    "role",
    "content",
    "tool_calls",
    "tool_call_id",
    "is_error",
    "pinned",
    "interrupted",
    "created_at",
    "metadata",
)

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str) -> str:
    # SQLite stores UTF-8 and Python refuses to encode lone surrogates (which JSON from an
    # editor can carry as "\ud800"). Replacing them is better than losing the whole turn.
    return _LONE_SURROGATE.sub("\ufffd", text)


def _json(value: Any, what: str, index: int) -> str:
    try:
        # ensure_ascii=True escapes every non-ASCII character, lone surrogates included, so
        # structured fields round-trip exactly.
        return json.dumps(value, ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"message {index}: {what} is not JSON-serialisable: {exc}") from exc


def encode(message: Message, index: int = 0) -> tuple[Any, ...]:
    """Row values for ``message`` in MESSAGE_FIELDS order; ValueError if it cannot be stored."""
    if message.role not in ROLES:
        raise ValueError(f"message {index}: role must be one of {', '.join(ROLES)}")
    if not isinstance(message.content, str):
        raise ValueError(f"message {index}: content must be a string")
    calls = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls]
    return (
        message.role,
        storable_text(message.content),
        _json(calls, "tool_calls", index),
        None if message.tool_call_id is None else storable_text(message.tool_call_id),
        int(bool(message.is_error)),
        int(bool(message.pinned)),
        int(bool(message.interrupted)),
        float(message.created_at),
        _json(message.metadata, "metadata", index),
    )


def decode(row: tuple[Any, ...]) -> Message:
    """A Message from a row in MESSAGE_FIELDS order."""
    role, content, calls, call_id, is_error, pinned, interrupted, created_at, metadata = row
    return Message(
        role=role,
        content=content,
        tool_calls=[
            ToolCall(id=c["id"], name=c["name"], arguments=c["arguments"])
            for c in json.loads(calls)
        ],
        tool_call_id=call_id,
        is_error=bool(is_error),
        pinned=bool(pinned),
        interrupted=bool(interrupted),
        created_at=created_at,
        metadata=json.loads(metadata),
    )
