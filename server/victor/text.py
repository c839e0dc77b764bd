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
from itertools import islice
from typing import Any, TypeVar

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
T = TypeVar("T")


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (the same object if none)."""
    # Every request cleans its whole body (a 10k-message session: 220 ms with the regex
    # search alone). ASCII text cannot hold a surrogate (``isascii`` reads a flag), and
    # encoding to UTF-8 fails on surrogates only, about ten times faster than the search.
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text)
    return text


def clean_value(value: T) -> T:
    """A JSON-like value (dicts, lists, strings) with every string cleaned, keys included.
    Returns ``value`` itself when nothing needed cleaning (without building a copy: a
    request body of a long session is walked on every request)."""
    if isinstance(value, str):
        return clean_text(value)  # type: ignore[return-value]
    if isinstance(value, dict):
        cleaned: dict[Any, Any] | None = None
        for i, (key, item) in enumerate(value.items()):
            new_key, new_item = clean_value(key), clean_value(item)
            if cleaned is None and (new_key is not key or new_item is not item):
                cleaned = dict(islice(value.items(), i))
            if cleaned is not None:
                cleaned[new_key] = new_item
        return value if cleaned is None else cleaned  # type: ignore[return-value]
    if isinstance(value, list):
        out: list[Any] | None = None
        for i, item in enumerate(value):
            new_item = clean_value(item)
            if out is None and new_item is not item:
                out = value[:i]
            if out is not None:
                out.append(new_item)
        return value if out is None else out  # type: ignore[return-value]
    return value


def has_lone_surrogate(value: Any) -> bool:
    return clean_value(value) is not value
