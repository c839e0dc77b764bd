"""Declared Python style: pyproject.toml ([tool.ruff], [tool.black], [tool.isort]), ruff.toml,
setup.cfg / tox.ini / .flake8 / .isort.cfg.

Each tool yields one Declaration; the resolver applies "nearest config wins" per tool, which is
how ruff, black and flake8 themselves find their configuration.
"""

from __future__ import annotations

import configparser
import tomllib
from typing import Any

from victor.workspace.card import StyleFact
from victor.workspace.declared_types import (
    RANK_DEFAULT_BLACK,
    RANK_FORMATTER,
    RANK_LINTER,
    Declaration,
)

PY = frozenset({"python"})


def parse_pyproject(text: str, rel: str) -> list[Declaration]:
    data = tomllib.loads(text)
    tool = data.get("tool")
    if not isinstance(tool, dict):
        return []
    out: list[Declaration] = []
    if isinstance(tool.get("ruff"), dict):
        out.append(_ruff(tool["ruff"], rel, "[tool.ruff]"))
    if isinstance(tool.get("black"), dict):
        out.append(_black(tool["black"], rel))
    if isinstance(tool.get("isort"), dict):
        out.append(_isort(tool["isort"], f"{rel} [tool.isort]"))
    return out


def parse_ruff_toml(text: str, rel: str) -> list[Declaration]:
    return [_ruff(tomllib.loads(text), rel, "")]


def _ruff(cfg: dict[str, Any], rel: str, section: str) -> Declaration:
    base = f"{rel} {section}".strip()
    fmt = cfg.get("format") if isinstance(cfg.get("format"), dict) else None
    fmt_src = f"{rel} {section[:-1]}.format]" if section else f"{rel} [format]"
    facts: list[StyleFact] = []
    if isinstance(cfg.get("line-length"), int):
        facts.append(StyleFact("line_length", cfg["line-length"], base))
    if isinstance(cfg.get("indent-width"), int):
        facts.append(StyleFact("indent_size", cfg["indent-width"], base))
    if fmt is not None:
        quote = fmt.get("quote-style")
        if quote in ("single", "double", "preserve"):
            facts.append(StyleFact("quote_style", quote, fmt_src))
        else:  # ruff format's own default; stated because ruff format is clearly in use
            facts.append(StyleFact("quote_style", "double", f"{fmt_src} (ruff default)"))
        indent = fmt.get("indent-style")
        if indent in ("space", "tab"):
            facts.append(StyleFact("indent_style", indent, fmt_src))
        ending = fmt.get("line-ending")
        if ending in ("lf", "cr-lf"):
            facts.append(StyleFact("end_of_line", "crlf" if ending == "cr-lf" else "lf", fmt_src))
        if fmt.get("skip-magic-trailing-comma") is True:
            facts.append(StyleFact("trailing_commas", "magic trailing comma ignored", fmt_src))
    if "extend" in cfg:
        facts.append(StyleFact("note", f"extends {cfg['extend']} (not followed)", base))
    facts.append(StyleFact("formatter", "ruff format", base))
    # A [tool.ruff.format] table says ruff formats; a bare [tool.ruff] may only lint, so black
    # (when also configured next to it) is taken as the formatter in that case.
    rank = RANK_FORMATTER + 2 if fmt is not None else RANK_FORMATTER
    return Declaration("ruff", PY, tuple(facts), rank)


def _black(cfg: dict[str, Any], rel: str) -> Declaration:
    src = f"{rel} [tool.black]"
    dflt = f"{src} (black default)"
    facts: list[StyleFact] = [StyleFact("formatter", "black", src)]
    length = cfg.get("line-length", cfg.get("line_length"))
    facts.append(
        StyleFact("line_length", length, src)
        if isinstance(length, int)
        else StyleFact("line_length", 88, dflt)
    )
    if cfg.get("skip-string-normalization") or cfg.get("skip_string_normalization"):
        facts.append(StyleFact("quote_style", "preserve", src))
    else:
        facts.append(StyleFact("quote_style", "double", dflt))
    # Black has no indentation setting at all: four spaces is the style.
    facts += [StyleFact("indent_style", "space", dflt), StyleFact("indent_size", 4, dflt)]
    return Declaration("black", PY, tuple(facts), RANK_DEFAULT_BLACK)


def _isort(cfg: dict[str, Any] | configparser.SectionProxy, src: str) -> Declaration:
    parts = []
    profile = cfg.get("profile")
    if profile:
        parts.append(f"profile {profile}")
    if str(cfg.get("force_single_line", cfg.get("force-single-line", ""))).lower() == "true":
        parts.append("one import per line")
    value = "sorted with isort" + (f" ({', '.join(parts)})" if parts else "")
    return Declaration("isort", PY, (StyleFact("imports", value, src),), RANK_LINTER)


def parse_ini(text: str, rel: str) -> list[Declaration]:
    """setup.cfg, tox.ini, .flake8, .isort.cfg: [flake8], [pycodestyle], [isort] / [settings]."""
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text, source=rel)
    except configparser.Error:
        return []
    out: list[Declaration] = []
    for section in ("flake8", "pycodestyle"):
        if not parser.has_section(section):
            continue
        sect = parser[section]
        facts: list[StyleFact] = []
        length = sect.get("max-line-length", sect.get("max_line_length"))
        if length and length.strip().isdigit():
            facts.append(StyleFact("line_length", int(length), f"{rel} [{section}]"))
        indent = sect.get("indent-size", sect.get("indent_size"))
        if indent and indent.strip().isdigit():
            facts.append(StyleFact("indent_size", int(indent), f"{rel} [{section}]"))
        if facts:
            out.append(Declaration(section, PY, tuple(facts), RANK_LINTER))
    isort_section = "settings" if rel.endswith(".isort.cfg") else "isort"
    if parser.has_section(isort_section):
        out.append(_isort(parser[isort_section], f"{rel} [{isort_section}]"))
    return out
