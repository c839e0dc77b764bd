"""Post-processing of completion answers: what the user sees as ghost text."""

from __future__ import annotations

from victor.agent.completions.context import StyleFacts
from victor.agent.completions.postprocess import clean_completion, normalize_quotes

TWO_SINGLE = StyleFacts(indent_style="space", indent_size=2, quote_style="single")


def clean(raw: str, prefix: str, suffix: str = "", style: StyleFacts = TWO_SINGLE) -> str:
    return clean_completion(raw, prefix=prefix, suffix=suffix, style=style, language="python")


def test_four_space_answer_is_put_on_a_two_space_grid_with_single_quotes() -> None:
    raw = 'total = a + b\n    if total > 10:\n        return "big"\n    return "small"'
    out = clean(raw, "def add(a, b):\n  ")
    assert out == "total = a + b\n  if total > 10:\n    return 'big'\n  return 'small'"


def test_answer_already_in_style_is_left_alone() -> None:
    raw = "total = a + b\n  return total"
    assert clean(raw, "class A:\n  def f(self):\n    x = 1\n  ", "") == raw


def test_text_after_the_cursor_on_the_line_is_not_repeated() -> None:
    assert clean("a, b)", "print(add(", ")\n") == "a, b"


def test_following_lines_already_in_the_file_are_not_repeated() -> None:
    raw = "return a + b\n\n\ndef sub(a, b):\n  return a - b"
    out = clean(raw, "def add(a, b):\n  ", "\n\ndef sub(a, b):\n  return a - b\n")
    assert out == "return a + b"


def test_stops_at_the_end_of_the_block() -> None:
    raw = "return a + b\n\nprint(add(1, 2))\nprint('more')"
    assert clean(raw, "def add(a, b):\n  ") == "return a + b"


def test_mid_statement_completes_only_the_line() -> None:
    assert clean("b\nprint(x)\n", "x = a + ") == "b"


def test_whitespace_only_and_fenced_answers() -> None:
    assert clean("   \n  \n", "x = ") == ""
    assert clean("<completion>```python\n1\n```</completion>", "x = ") == "1"


def test_restated_line_start_is_dropped() -> None:
    assert clean("def add(a, b):", "def add(") == "a, b):"


def test_quotes_inside_other_strings_comments_and_escapes_stay() -> None:
    text = 'x = "it\'s" + "a\\"b" + \'say "hi"\'  # "note"\ny = "ok"'
    out = normalize_quotes(text, "single", "#")
    assert out == 'x = "it\'s" + "a\\"b" + \'say "hi"\'  # "note"\ny = \'ok\''


def test_no_quote_change_when_the_cursor_is_inside_a_string() -> None:
    assert clean('abc" + "d"', 'x = "') == 'abc" + "d"'


def test_tab_indented_file_gets_tabs() -> None:
    style = StyleFacts(indent_style="tab")
    out = clean("x = 1\n    if x:\n        y = 2", "def f():\n\t", style=style)
    assert out == "x = 1\n\tif x:\n\t\ty = 2"
