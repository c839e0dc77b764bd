"""Declared JavaScript/TypeScript style from ESLint: its configs and the presets a project uses.

Read: ``.eslintrc.json`` / ``.eslintrc`` (JSON or YAML) / ``.eslintrc.yml|yaml`` and
package.json's ``eslintConfig`` (``extends`` and the ``indent``, ``quotes``, ``semi`` and
``max-len`` rules); flat ``eslint.config.*`` files are JavaScript, so only the presets they
import and literal ``semi`` / ``quotes`` rules are recognised; the standard family
(``standard``, ``semistandard``, ``neostandard``) and ``xo`` from package.json, whose rules are
fixed by the preset (xo's ``space`` / ``semicolon`` options honoured).
"""

from __future__ import annotations

import json
import re
from typing import Any

from victor.workspace.card import StyleFact
from victor.workspace.declared_other import mini_yaml
from victor.workspace.declared_types import RANK_LINTER, Declaration

JS = frozenset({"javascript", "typescript"})
ESLINTRC_NAMES = frozenset({".eslintrc", ".eslintrc.json", ".eslintrc.yml", ".eslintrc.yaml"})
FLAT_NAMES = frozenset(
    {"eslint.config.js", "eslint.config.mjs", "eslint.config.cjs", "eslint.config.ts"}
)
# preset -> (indent style, indent size, quotes, semicolons)
_PRESETS: dict[str, tuple[str, int | None, str, bool]] = {
    "standard": ("space", 2, "single", False),
    "neostandard": ("space", 2, "single", False),
    "semistandard": ("space", 2, "single", True),
    "xo": ("tab", None, "single", True),
}


def _decl(facts: list[StyleFact]) -> list[Declaration]:
    return [Declaration("eslint", JS, tuple(facts), RANK_LINTER)] if facts else []


def _preset_facts(preset: str, src: str, options: dict[str, Any] | None = None) -> list[StyleFact]:
    style, size, quotes, semi = _PRESETS[preset]
    options = options or {}
    if preset == "xo":
        space = options.get("space")
        if space is True or isinstance(space, int):
            style, size = "space", space if isinstance(space, int) and space > 1 else 2
        if options.get("semicolon") is False:
            semi = False
        if options.get("prettier") is True:
            return []  # Prettier formats; xo only lints
    if preset == "neostandard" and options.get("semi") is True:
        semi = True
    where = f"{src} ({preset} preset)"
    facts = [StyleFact("indent_style", style, where)]
    if size:
        facts.append(StyleFact("indent_size", size, where))
    facts += [StyleFact("quote_style", quotes, where), StyleFact("semicolons", semi, where)]
    return facts


def _rule_value(rule: Any) -> Any:
    """The option of an ESLint rule entry: ["error", X, ...] -> X; "off"/0 -> None."""
    if isinstance(rule, list) and rule and rule[0] not in ("off", 0) and len(rule) > 1:
        return rule[1]
    return None


def _rules_facts(rules: dict[str, Any], src: str) -> list[StyleFact]:
    facts: list[StyleFact] = []

    def at(name: str) -> str:
        return f'{src} rules "{name}"'

    indent = _rule_value(rules.get("indent") or rules.get("@stylistic/indent"))
    if indent == "tab":
        facts.append(StyleFact("indent_style", "tab", at("indent")))
    elif isinstance(indent, int):
        facts += [
            StyleFact("indent_style", "space", at("indent")),
            StyleFact("indent_size", indent, at("indent")),
        ]
    quotes = _rule_value(rules.get("quotes") or rules.get("@stylistic/quotes"))
    if quotes in ("single", "double"):
        facts.append(StyleFact("quote_style", quotes, at("quotes")))
    semi = _rule_value(rules.get("semi") or rules.get("@stylistic/semi"))
    if semi in ("always", "never"):
        facts.append(StyleFact("semicolons", semi == "always", at("semi")))
    length = _rule_value(rules.get("max-len"))
    if isinstance(length, dict):
        length = length.get("code")
    if isinstance(length, int):
        facts.append(StyleFact("line_length", length, at("max-len")))
    return facts


def _from_config(cfg: dict[str, Any], src: str) -> list[StyleFact]:
    facts: list[StyleFact] = []
    extends = cfg.get("extends")
    for name in extends if isinstance(extends, list) else [extends]:
        if isinstance(name, str):
            preset = name.removeprefix("eslint-config-").split("/")[0]
            if preset in _PRESETS:
                facts = _preset_facts(preset, f'{src} extends "{name}"')
    rules = cfg.get("rules")
    if isinstance(rules, dict):
        ruled = _rules_facts(rules, src)
        keys = {f.key for f in ruled}
        facts = [f for f in facts if f.key not in keys] + ruled  # a rule beats the preset
    return facts


def parse_eslintrc(name: str, text: str, rel: str) -> list[Declaration]:
    if name.endswith((".yml", ".yaml")):
        cfg: Any = mini_yaml(text)
    else:
        try:
            cfg = json.loads(text) if text.strip() else {}
        except ValueError:
            cfg = mini_yaml(text)
    return _decl(_from_config(cfg, rel)) if isinstance(cfg, dict) else []


def parse_flat_config(text: str, rel: str) -> list[Declaration]:
    facts: list[StyleFact] = []
    for preset in ("neostandard", "semistandard", "standard"):
        if re.search(rf"['\"](?:eslint-config-)?{preset}['\"]", text):
            opts = {"semi": True} if re.search(r"semi\s*:\s*true", text) else {}
            facts = _preset_facts(preset, f'{rel} imports "{preset}"', opts)
            break
    rules: dict[str, Any] = {}
    for key in ("semi", "quotes", "indent"):
        m = re.search(rf"['\"]?{key}['\"]?\s*:\s*\[\s*['\"]?\w+['\"]?\s*,\s*['\"]?(\w+)", text)
        if m:
            value: Any = int(m.group(1)) if m.group(1).isdigit() else m.group(1)
            rules[key] = ["error", value]
    ruled = _rules_facts(rules, rel)
    keys = {f.key for f in ruled}
    return _decl([f for f in facts if f.key not in keys] + ruled)


def from_package_json(data: dict[str, Any], rel: str) -> list[Declaration]:
    facts: list[StyleFact] = []
    deps: dict[str, Any] = {}
    for key in ("devDependencies", "dependencies"):
        if isinstance(data.get(key), dict):
            deps.update(data[key])
    for preset in ("neostandard", "semistandard", "standard", "xo"):
        options = data.get(preset) if isinstance(data.get(preset), dict) else None
        if preset in deps:
            facts = _preset_facts(preset, f'{rel} devDependencies "{preset}"', options)
            break
    cfg = data.get("eslintConfig")
    if isinstance(cfg, dict):
        own = _from_config(cfg, f'{rel} "eslintConfig"')
        keys = {f.key for f in own}
        facts = [f for f in facts if f.key not in keys] + own
    return _decl(facts)
