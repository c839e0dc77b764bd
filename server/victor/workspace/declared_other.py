"""Declared style of other ecosystems: Prettier, clang-format, rustfmt, RuboCop, gofmt (go.mod).

YAML configs are read with a deliberately small reader (top-level and one nested level of
``key: value``): Victor does not depend on a YAML library, and these files rarely need more.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

from victor.workspace.card import StyleFact
from victor.workspace.declared_types import RANK_FORMATTER, RANK_LINTER, Declaration
from victor.workspace.languages import PRETTIER_LANGUAGES

JS_CONFIG_NAMES = frozenset(
    {".prettierrc.js", ".prettierrc.cjs", ".prettierrc.mjs", ".prettierrc.ts"}
    | {"prettier.config.js", "prettier.config.cjs", "prettier.config.mjs", "prettier.config.ts"}
)


def mini_yaml(text: str) -> dict[str, Any]:
    """``key: value`` lines, nesting by indentation (maps only; lists and flow style skipped)."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith(("#", "-", "---")):
            continue
        indent = len(line) - len(line.lstrip())
        key, sep, value = line.strip().partition(":")
        if not sep:
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else root
        key = key.strip().strip("'\"")
        if value.strip():
            parent[key] = _scalar(value.strip())
        else:
            child: dict[str, Any] = {}
            parent[key] = child
            stack.append((indent, child))
    return root


def _scalar(value: str) -> Any:
    if value[:1] in "'\"" and value[-1:] == value[:1]:
        return value[1:-1]
    low = value.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    try:
        return int(value)
    except ValueError:
        return value


def parse_prettier(name: str, text: str, rel: str) -> list[Declaration]:
    """A .prettierrc* file, or the "prettier" key of package.json (``name`` tells which)."""
    src = rel
    if name in JS_CONFIG_NAMES or name.endswith(".json5"):
        note = StyleFact("note", f"Prettier config {rel} is not read (JavaScript/JSON5)", rel)
        return [_prettier_decl((note, StyleFact("formatter", "prettier", rel)))]
    cfg: Any
    if name == "package.json":
        cfg = json.loads(text).get("prettier")
        if cfg is None:
            return []
        src = f'{rel} "prettier"'
        if isinstance(cfg, str):  # a shared config package: its contents live in node_modules
            note = StyleFact("note", f"shared Prettier config {cfg} not read", src)
            return [_prettier_decl((note, StyleFact("formatter", "prettier", src)))]
    elif name.endswith(".toml"):
        cfg = tomllib.loads(text)
    elif name.endswith((".yaml", ".yml")):
        cfg = mini_yaml(text)
    else:  # .prettierrc: JSON or YAML, Prettier accepts both
        try:
            cfg = json.loads(text) if text.strip() else {}
        except ValueError:
            cfg = mini_yaml(text)
    if not isinstance(cfg, dict):
        return []
    return [_prettier_decl(_prettier_facts(cfg, src))]


def _prettier_decl(facts: tuple[StyleFact, ...]) -> Declaration:
    return Declaration("prettier", PRETTIER_LANGUAGES, facts, RANK_FORMATTER)


def _prettier_facts(cfg: dict[str, Any], src: str) -> tuple[StyleFact, ...]:
    facts = [StyleFact("formatter", "prettier", src)]
    if isinstance(cfg.get("useTabs"), bool):
        facts.append(StyleFact("indent_style", "tab" if cfg["useTabs"] else "space", src))
    if isinstance(cfg.get("tabWidth"), int):
        facts.append(StyleFact("indent_size", cfg["tabWidth"], src))
    if isinstance(cfg.get("printWidth"), int):
        facts.append(StyleFact("line_length", cfg["printWidth"], src))
    # Quotes and semicolons are not taken from .editorconfig by Prettier, so its defaults are
    # the style whenever Prettier is configured.
    single = cfg.get("singleQuote")
    facts.append(
        StyleFact("quote_style", "single" if single else "double", src)
        if isinstance(single, bool)
        else StyleFact("quote_style", "double", f"{src} (Prettier default)")
    )
    semi = cfg.get("semi")
    facts.append(
        StyleFact("semicolons", semi, src)
        if isinstance(semi, bool)
        else StyleFact("semicolons", True, f"{src} (Prettier default)")
    )
    if isinstance(cfg.get("trailingComma"), str):
        facts.append(StyleFact("trailing_commas", cfg["trailingComma"], src))
    else:  # "all" since Prettier 3.0 ("es5" in 2.x): package.json's version, when known, wins
        facts.append(StyleFact("trailing_commas", "all", f"{src} (Prettier 3 default)"))
    if cfg.get("endOfLine") in ("lf", "crlf"):
        facts.append(StyleFact("end_of_line", cfg["endOfLine"], src))
    if isinstance(cfg.get("overrides"), list):
        facts.append(StyleFact("note", "per-file Prettier overrides not applied here", src))
    return tuple(facts)


def parse_clang_format(text: str, rel: str) -> list[Declaration]:
    cfg = mini_yaml(text)
    facts = [StyleFact("formatter", "clang-format", rel)]
    if isinstance(cfg.get("BasedOnStyle"), str):
        facts.append(StyleFact("note", f"based on the {cfg['BasedOnStyle']} style", rel))
    if isinstance(cfg.get("IndentWidth"), int):
        facts.append(StyleFact("indent_size", cfg["IndentWidth"], rel))
    use_tab = cfg.get("UseTab")
    if use_tab is not None:
        tabs = use_tab is True or str(use_tab).lower() not in ("never", "false")
        facts.append(StyleFact("indent_style", "tab" if tabs else "space", rel))
    if isinstance(cfg.get("ColumnLimit"), int) and cfg["ColumnLimit"] > 0:
        facts.append(StyleFact("line_length", cfg["ColumnLimit"], rel))
    return [Declaration("clang-format", frozenset({"c", "cpp"}), tuple(facts), RANK_FORMATTER)]


def parse_rustfmt(name: str, text: str, rel: str) -> list[Declaration]:
    """rustfmt.toml / .rustfmt.toml: its settings, rustfmt's defaults for the rest."""
    cfg = tomllib.loads(text)
    dflt = f"{rel} (rustfmt default)"
    width = cfg.get("max_width")
    tabs = cfg.get("hard_tabs")
    size = cfg.get("tab_spaces")
    facts = (
        StyleFact("formatter", "rustfmt", rel),
        StyleFact("line_length", width, rel)
        if isinstance(width, int)
        else StyleFact("line_length", 100, dflt),
        StyleFact(
            "indent_style", "tab" if tabs else "space", rel if isinstance(tabs, bool) else dflt
        ),
        StyleFact("indent_size", size, rel)
        if isinstance(size, int)
        else StyleFact("indent_size", 4, dflt),
    )
    return [Declaration("rustfmt", frozenset({"rust"}), facts, RANK_FORMATTER)]


def parse_rubocop(text: str, rel: str) -> list[Declaration]:
    cfg = mini_yaml(text)
    facts: list[StyleFact] = [StyleFact("formatter", "rubocop", rel)]
    length = _get(cfg, "Layout/LineLength", "Max")
    if isinstance(length, int):
        facts.append(StyleFact("line_length", length, f"{rel} Layout/LineLength"))
    quotes = _get(cfg, "Style/StringLiterals", "EnforcedStyle")
    if quotes in ("single_quotes", "double_quotes"):
        facts.append(StyleFact("quote_style", quotes.split("_")[0], f"{rel} Style/StringLiterals"))
    width = _get(cfg, "Layout/IndentationWidth", "Width")
    if isinstance(width, int):
        facts.append(StyleFact("indent_size", width, f"{rel} Layout/IndentationWidth"))
    style = _get(cfg, "Layout/IndentationStyle", "EnforcedStyle")
    if style in ("spaces", "tabs"):
        facts.append(StyleFact("indent_style", style[:-1], f"{rel} Layout/IndentationStyle"))
    return [Declaration("rubocop", frozenset({"ruby"}), tuple(facts), RANK_LINTER)]


def _get(cfg: dict[str, Any], section: str, key: str) -> Any:
    sect = cfg.get(section)
    return sect.get(key) if isinstance(sect, dict) else None
