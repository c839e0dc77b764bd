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
        out += _ruff(tool["ruff"], rel, "[tool.ruff]")
    if isinstance(tool.get("black"), dict):
        out.append(_black(tool["black"], rel))
    if isinstance(tool.get("pyink"), dict):
        out.append(_pyink(tool["pyink"], f"{rel} [tool.pyink]"))
    if isinstance(tool.get("yapf"), dict):
        out.append(yapf_declaration(tool["yapf"], f"{rel} [tool.yapf]"))
    if isinstance(tool.get("isort"), dict):
        decl = _isort(tool["isort"], f"{rel} [tool.isort]")
        out += [decl] if decl else []
    return out


def parse_ruff_toml(text: str, rel: str) -> list[Declaration]:
    return _ruff(tomllib.loads(text), rel, "")


def _ruff(cfg: dict[str, Any], rel: str, section: str) -> list[Declaration]:
    base = f"{rel} {section}".strip()
    fmt = cfg.get("format") if isinstance(cfg.get("format"), dict) else None
    fmt_src = f"{rel} {section[:-1]}.format]" if section else f"{rel} [format]"
    facts: list[StyleFact] = []
    # ruff's line-length serves its linter (E501) and its formatter alike; 88 when unset.
    if isinstance(cfg.get("line-length"), int):
        facts.append(StyleFact("line_length", cfg["line-length"], base))
    else:
        facts.append(StyleFact("line_length", 88, f"{base} (ruff default)"))
    if isinstance(cfg.get("indent-width"), int):
        facts.append(StyleFact("indent_size", cfg["indent-width"], base))
    out = []
    if fmt is not None:
        # Only a format table says ruff formats: a bare [tool.ruff] may only lint. That it
        # formats stays true below a nested lint-only config (a declaration of its own).
        fact = StyleFact("formatter", "ruff format", fmt_src)
        out.append(Declaration("evidence:ruff format", PY, (fact,), RANK_FORMATTER + 2))
        quote = fmt.get("quote-style")
        if quote in ("single", "double"):
            facts.append(StyleFact("quote_style", quote, fmt_src))
        elif quote is None:
            facts.append(StyleFact("quote_style", "double", f"{fmt_src} (ruff default)"))
        indent = fmt.get("indent-style")
        if indent in ("space", "tab"):
            facts.append(StyleFact("indent_style", indent, fmt_src))
        ending = fmt.get("line-ending")
        if ending in ("lf", "cr-lf"):
            facts.append(StyleFact("end_of_line", "crlf" if ending == "cr-lf" else "lf", fmt_src))
        if fmt.get("skip-magic-trailing-comma") is True:
            facts.append(StyleFact("trailing_commas", "magic trailing comma ignored", fmt_src))
    imports = _ruff_imports(cfg, rel, section)
    if imports is not None:
        facts.append(imports)
    if "extend" in cfg:
        facts.append(StyleFact("note", f"extends {cfg['extend']} (not followed)", base))
    rank = RANK_FORMATTER + 2 if fmt is not None else RANK_FORMATTER
    return [Declaration("ruff", PY, tuple(facts), rank), *out]


def _ruff_imports(cfg: dict[str, Any], rel: str, section: str) -> StyleFact | None:
    """Imports are sorted when ruff's isort rules (I, or ALL) are selected."""
    lint = cfg.get("lint") if isinstance(cfg.get("lint"), dict) else {}
    for table, in_lint in ((lint, True), (cfg, False)):
        for key in ("select", "extend-select"):
            rules = table.get(key)
            if not isinstance(rules, list) or not any(
                r in ("I", "ALL") or str(r).startswith("I0") for r in rules
            ):
                continue
            isort = lint.get("isort") if isinstance(lint.get("isort"), dict) else None
            if isort is None:
                isort = cfg.get("isort") if isinstance(cfg.get("isort"), dict) else {}
            single = isort.get("force-single-line") is True
            value = "sorted (ruff's isort rules)" + (", one import per line" if single else "")
            if section:
                where = f"{section[:-1]}.lint]" if in_lint else section
            else:
                where = "[lint]" if in_lint else ""
            return StyleFact("imports", value, f"{rel} {where} {key}".replace("  ", " "))
    return None


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
    # skip-string-normalization: black leaves quotes as written, so the observed style shows.
    if not (cfg.get("skip-string-normalization") or cfg.get("skip_string_normalization")):
        facts.append(StyleFact("quote_style", "double", dflt))
    # Black has no indentation setting at all: four spaces is the style.
    facts += [StyleFact("indent_style", "space", dflt), StyleFact("indent_size", 4, dflt)]
    return Declaration("black", PY, tuple(facts), RANK_DEFAULT_BLACK)


def _pyink(cfg: dict[str, Any], src: str) -> Declaration:
    """pyink (Google's black fork): black's options plus 2-space indentation and majority quotes."""
    dflt = f"{src} (pyink default)"
    facts: list[StyleFact] = [StyleFact("formatter", "pyink", src)]
    length = cfg.get("line-length")
    facts.append(
        StyleFact("line_length", length, src)
        if isinstance(length, int)
        else StyleFact("line_length", 88, dflt)
    )
    indent = cfg.get("pyink-indentation")
    facts.append(
        StyleFact("indent_size", indent, src)
        if indent in (2, 4)
        else StyleFact("indent_size", 4, dflt)
    )
    facts.append(StyleFact("indent_style", "space", dflt))
    # Majority quotes or no string normalization: quotes are as written (observed).
    if not (cfg.get("pyink-use-majority-quotes") or cfg.get("skip-string-normalization")):
        facts.append(StyleFact("quote_style", "double", dflt))
    return Declaration("pyink", PY, tuple(facts), RANK_DEFAULT_BLACK)


# yapf's predefined styles: (indent width, column limit).
_YAPF_STYLES = {"pep8": (4, 79), "google": (4, 80), "yapf": (2, 80), "facebook": (4, 80)}


def yapf_declaration(cfg: Any, src: str) -> Declaration:
    """[style] of .style.yapf, [yapf] of setup.cfg, [tool.yapf] of pyproject.toml."""
    based = str(cfg.get("based_on_style", "pep8")).strip().lower()
    indent_default, width_default = _YAPF_STYLES.get(based, (4, 79))
    dflt = f"{src} ({based} style default)"
    facts: list[StyleFact] = [StyleFact("formatter", "yapf", src)]
    width = _int(cfg.get("column_limit"))
    facts.append(
        StyleFact("line_length", width, src)
        if width
        else StyleFact("line_length", width_default, dflt)
    )
    indent = _int(cfg.get("indent_width"))
    facts.append(
        StyleFact("indent_size", indent, src)
        if indent
        else StyleFact("indent_size", indent_default, dflt)
    )
    tabs = str(cfg.get("use_tabs", "")).strip().lower()
    if tabs in ("true", "false"):
        facts.append(StyleFact("indent_style", "tab" if tabs == "true" else "space", src))
    else:
        facts.append(StyleFact("indent_style", "space", dflt))
    return Declaration("yapf", PY, tuple(facts), RANK_FORMATTER)


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_style_yapf(text: str, rel: str) -> list[Declaration]:
    parser = configparser.RawConfigParser(strict=False)
    parser.read_string(text, source=rel)
    if not parser.has_section("style"):
        return []
    return [yapf_declaration(parser["style"], f"{rel} [style]")]


def _isort_disabled(cfg: dict[str, Any] | configparser.SectionProxy) -> bool:
    """skip_glob / skip = ['*'] (or "*") turns isort off for every file."""
    for key in ("skip_glob", "skip-glob", "skip"):
        value = cfg.get(key)
        if isinstance(value, list) and "*" in value:
            return True
        if isinstance(value, str) and "*" in [v.strip(" '\"[]") for v in value.split(",")]:
            return True
    return False


def _isort(cfg: dict[str, Any] | configparser.SectionProxy, src: str) -> Declaration | None:
    if _isort_disabled(cfg):
        return None
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
        decl = _isort(parser[isort_section], f"{rel} [{isort_section}]")
        out += [decl] if decl else []
    if parser.has_section("yapf"):
        out.append(yapf_declaration(parser["yapf"], f"{rel} [yapf]"))
    return out
