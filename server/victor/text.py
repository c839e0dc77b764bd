"""Text at Victor's boundary: no lone surrogates past this point.

Python strings can hold lone surrogates (U+D800-U+DFFF) that no UTF-8 encoder accepts: a
file name that is not UTF-8 (``os.fsdecode`` turns byte 0xE9 into U+DCE9), an editor buffer
sent as JSON with an escape like ``"\\udce9"``, a model answer with such an escape. One of
them in a request makes the SDK fail before anything is sent, and kept in a session it would
fail every later turn. So text is cleaned where it enters (``Message``/``ToolCall`` in
protocols.py, tool results, the provider request as a last line of defence), each lone
surrogate becoming U+FFFD, the replacement character. This module imports nothing of Victor.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
T = TypeVar("T")


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (the same object if none)."""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def clean_value(value: T) -> T:
    """A JSON-like value (dicts, lists, strings) with every string cleaned, keys included.
    Returns ``value`` itself when nothing needed cleaning."""
    if isinstance(value, str):
        return clean_text(value)  # type: ignore[return-value]
    if isinstance(value, dict):
        items = [(clean_value(k), clean_value(v)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, value.items(), strict=True)):
            return value
        return dict(items)  # type: ignore[return-value]
    if isinstance(value, list):
        cleaned = [clean_value(v) for v in value]
        if all(a is b for a, b in zip(cleaned, value, strict=True)):
            return value
        return cleaned  # type: ignore[return-value]
    return value


def has_lone_surrogate(value: Any) -> bool:
    return clean_value(value) is not value
