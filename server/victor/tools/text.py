"""Word splitting shared by keyword tool selection and the lexical embedder."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+|\d+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# Words that say nothing about which tool is meant.
_STOPWORD_TEXT = """
a an and are as at be by can could do does for from how i in into is it its me my of on or
please show that the this to use what when where which with would you your
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """A deliberately crude suffix stripper: "files"/"file", "reading"/"read", "listed"/"list".

    Only needs to map common inflections of the same word together; it never has to produce
    real words.
    """
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes", "zes")):
                continue  # "files" -> "file" via "s", not "fil"
            if suffix == "s" and word.endswith(("ss", "us")):
                continue  # "class", "status"
            return word[: -len(suffix)] + replacement
    return word


def words(text: str, *, drop_stopwords: bool = True) -> list[str]:
    """Lower-cased, stemmed words of ``text``; identifiers are split (read_file, readFile)."""
    out = []
    for chunk in _WORD.findall(_CAMEL.sub(" ", text)):
        word = chunk.lower()
        if drop_stopwords and word in STOPWORDS:
            continue
        out.append(stem(word))
    return out
