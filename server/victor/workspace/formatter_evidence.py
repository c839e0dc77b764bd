"""Which formatter a project runs, from where it runs it.

A formatter is "in use" only with evidence: its own format section (read by declared_python /
declared_other), or a call in a file that runs tools - a pre-commit hook, a package.json
script or lint-staged entry, a tox.ini ``commands`` line, a Makefile recipe. Each fact's
source names that file and the hook, script or command, so the card says which evidence.
"""

from __future__ import annotations

import json
import re
from typing import Any

from victor.workspace.card import StyleFact
from victor.workspace.declared_types import RANK_FORMATTER, Declaration
from victor.workspace.languages import PRETTIER_LANGUAGES

PY = frozenset({"python"})
JS = frozenset({"javascript", "typescript"})
# (pattern over a command line, formatter, languages it formats)
_CALLS: tuple[tuple[re.Pattern[str], str, frozenset[str]], ...] = (
    (re.compile(r"\bruff\s+format\b"), "ruff format", PY),
    (re.compile(r"(?:^|[\s;&|(])(?:python\s+-m\s+)?black(?:\s|$)"), "black", PY),
    (re.compile(r"(?:^|[\s;&|(])pyink(?:\s|$)"), "pyink", PY),
    (re.compile(r"(?:^|[\s;&|(])yapf(?:\s|$)"), "yapf", PY),
    (re.compile(r"(?:^|[\s;&|(])autopep8(?:\s|$)"), "autopep8", PY),
    (re.compile(r"(?:^|[\s;&|(/])prettier(?:\s|$)"), "prettier", PRETTIER_LANGUAGES),
    (re.compile(r"\bbiome\s+(?:format|check)\b"), "biome", JS),
    (re.compile(r"\bdprint\s+fmt\b"), "dprint", JS),
    (re.compile(r"\bcargo\s+fmt\b|(?:^|[\s;&|])rustfmt(?:\s|$)"), "rustfmt", frozenset({"rust"})),
    (re.compile(r"\bclang-format\b"), "clang-format", frozenset({"c", "cpp"})),
)
# pre-commit hook id -> formatter
_HOOKS = {
    "ruff-format": "ruff format",
    "black": "black",
    "black-jupyter": "black",
    "pyink": "pyink",
    "yapf": "yapf",
    "autopep8": "autopep8",
    "prettier": "prettier",
    "biome-format": "biome",
    "biome-check": "biome",
    "rustfmt": "rustfmt",
    "clang-format": "clang-format",
}
_LANGS = {tool: langs for _, tool, langs in _CALLS}
EVIDENCE_RANK = RANK_FORMATTER - 1  # a format section in the same folder says more


def _decl(tool: str, source: str) -> Declaration:
    fact = StyleFact("formatter", tool, source)
    return Declaration(f"evidence:{tool}", _LANGS.get(tool, frozenset()), (fact,), EVIDENCE_RANK)


def _from_commands(commands: list[tuple[str, str]], rel: str) -> list[Declaration]:
    """(label, command text) pairs -> one declaration per formatter called, first call wins."""
    found: dict[str, Declaration] = {}
    for label, command in commands:
        for pattern, tool, _ in _CALLS:
            if tool not in found and pattern.search(command):
                found[tool] = _decl(tool, f"{rel} {label} (runs {tool.split()[0]})")
    return list(found.values())


def from_precommit(text: str, rel: str) -> list[Declaration]:
    found: dict[str, Declaration] = {}
    for m in re.finditer(r"^\s*-?\s*id:\s*['\"]?([\w.-]+)", text, re.M):
        tool = _HOOKS.get(m.group(1))
        if tool and tool not in found:
            found[tool] = _decl(tool, f'{rel} hook "{m.group(1)}"')
    return list(found.values())


def from_package_json(data: dict[str, Any], rel: str) -> list[Declaration]:
    commands: list[tuple[str, str]] = []
    scripts = data.get("scripts")
    if isinstance(scripts, dict):
        commands += [(f'script "{k}"', v) for k, v in scripts.items() if isinstance(v, str)]
    staged = data.get("lint-staged")
    if isinstance(staged, dict):
        for value in staged.values():
            for cmd in value if isinstance(value, list) else [value]:
                if isinstance(cmd, str):
                    commands.append(('"lint-staged"', cmd))
    return _from_commands(commands, rel)


def prettier_version_defaults(data: dict[str, Any], rel: str) -> list[Declaration]:
    """Prettier's trailingComma default depends on its major version: "none" before 2.0,
    "es5" in 2.x, "all" from 3.0. The version package.json asks for decides."""
    deps: dict[str, Any] = {}
    for key in ("devDependencies", "dependencies"):
        if isinstance(data.get(key), dict):
            deps.update(data[key])
    spec = deps.get("prettier")
    m = re.search(r"(\d+)", spec) if isinstance(spec, str) else None
    if m is None:
        return []
    major = int(m.group(1))
    value = "none" if major < 2 else "es5" if major == 2 else "all"
    src = f'{rel} devDependencies "prettier" (Prettier {major} default)'
    fact = StyleFact("trailing_commas", value, src)
    return [Declaration("prettier-version", PRETTIER_LANGUAGES, (fact,), RANK_FORMATTER + 1)]


def from_tox_ini(text: str, rel: str) -> list[Declaration]:
    commands = []
    in_commands = False
    for line in text.splitlines():
        stripped = line.strip()
        if re.match(r"commands\s*=", stripped):
            in_commands = True
            commands.append(("commands", stripped.split("=", 1)[1]))
        elif in_commands and line[:1].isspace() and stripped:
            commands.append(("commands", stripped))
        else:
            in_commands = False
    return _from_commands(commands, rel)


def from_makefile(text: str, rel: str) -> list[Declaration]:
    recipes = [line for line in text.splitlines() if line[:1] == "\t" and line.strip()]
    return _from_commands([("recipe", cmd) for cmd in recipes], rel)


def parse_json(text: str) -> dict[str, Any]:
    data = json.loads(text)
    return data if isinstance(data, dict) else {}
