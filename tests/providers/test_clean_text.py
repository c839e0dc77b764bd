"""Lone surrogates never reach a request (victor/text.py): every string of a request body,
keys included, is cleaned. The fast paths (ASCII, a UTF-8 encode) must agree with a plain
search of every character, keep the value itself when nothing changes and never modify
what they were given."""

from __future__ import annotations

import copy
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from victor.text import clean_text, clean_value

_SURROGATE = re.compile("[\ud800-\udfff]")


def _reference(value: Any) -> Any:
    """Every string with each surrogate replaced, by a search of every character."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_reference(k): _reference(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reference(v) for v in value]
    return value


_text = st.text(
    alphabet=st.one_of(
        st.characters(max_codepoint=0x7F),  # ASCII
        st.characters(min_codepoint=0x80, max_codepoint=0x2FF),  # Latin, accents
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
        st.sampled_from(["😀", "\U0001f600", "€", "\ufffd"]),  # non-BMP and others
    ),
    max_size=12,
)
_values = st.recursive(
    st.one_of(_text, st.integers(), st.none(), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)),
    max_leaves=20,
)


@given(_values)
def test_cleaning_agrees_with_a_search_of_every_character(value: Any) -> None:
    before = copy.deepcopy(value)
    cleaned = clean_value(value)
    assert cleaned == _reference(value)
    assert value == before  # the argument is left as it was
    if cleaned == value:  # nothing to clean: the very same object, no copy
        assert cleaned is value


@given(_text)
def test_text_without_surrogates_is_returned_as_is(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned == _SURROGATE.sub("\ufffd", text)
    assert isinstance(cleaned.encode("utf-8"), bytes)  # what the SDK does: no error
    if not _SURROGATE.search(text):
        assert cleaned is text


def test_a_key_and_a_nested_value_are_cleaned_in_place_of_a_copy_of_the_rest() -> None:
    tail = {"z": "ok"}
    body = {"a": "fine", "k\udce9": ["x", "bad\ud800"], "tail": tail}
    cleaned = clean_value(body)
    assert cleaned == {"a": "fine", "k\ufffd": ["x", "bad\ufffd"], "tail": {"z": "ok"}}
    assert list(cleaned) == ["a", "k\ufffd", "tail"]  # the order of the keys is kept
    assert cleaned["tail"] is tail  # parts without surrogates are not copied
    assert body["k\udce9"] == ["x", "bad\ud800"]
