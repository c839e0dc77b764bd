"""Which files declare style, and turning one of them into Declarations.

A file that fails to parse declares nothing but a note, so a half-typed pyproject.toml never
breaks the card (the watcher re-reads it on the next save).
"""

from __future__ import annotations

import logging
import os

from victor.workspace import declared_other as other
from victor.workspace import declared_python as py
from victor.workspace import eslint_config as eslint
from victor.workspace import formatter_evidence as evidence
from victor.workspace.card import StyleFact
from victor.workspace.declared_types import RANK_LINTER, Declaration
from victor.workspace.guarded_read import (
    ReadRefusedError,
    UnreadableFileError,
    display_name,
    read_guarded,
)

log = logging.getLogger(__name__)

PRETTIER_NAMES = frozenset(
    {".prettierrc", ".prettierrc.json", ".prettierrc.yaml", ".prettierrc.yml"}
    | {".prettierrc.toml", ".prettierrc.json5"}
    | other.JS_CONFIG_NAMES
)
DECLARING_NAMES: frozenset[str] = frozenset(
    {"pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", "tox.ini", ".flake8"}
    | {".isort.cfg", "package.json", ".clang-format", "_clang-format", "rustfmt.toml"}
    | {".rustfmt.toml", ".rubocop.yml", ".style.yapf"}
    | {".pre-commit-config.yaml", "Makefile"}
    | PRETTIER_NAMES
    | eslint.ESLINTRC_NAMES
    | eslint.FLAT_NAMES
)
EDITORCONFIG_NAME = ".editorconfig"
CONFIG_NAMES: frozenset[str] = DECLARING_NAMES | {EDITORCONFIG_NAME}
MAX_CONFIG_BYTES = 1_000_000


def parse_config(name: str, text: str, rel: str) -> list[Declaration]:
    """Declarations in the config file called ``name`` (``rel``: its path for sources)."""
    try:
        return _dispatch(name, text, rel)
    except Exception as exc:  # any parse error: report it as a note and keep going
        note = StyleFact("note", f"{rel} could not be read ({type(exc).__name__})", rel)
        return [Declaration(f"broken:{rel}", frozenset(), (note,), RANK_LINTER)]


def _dispatch(name: str, text: str, rel: str) -> list[Declaration]:
    if name == "pyproject.toml":
        return py.parse_pyproject(text, rel)
    if name in ("ruff.toml", ".ruff.toml"):
        return py.parse_ruff_toml(text, rel)
    if name == "tox.ini":
        return py.parse_ini(text, rel) + evidence.from_tox_ini(text, rel)
    if name in ("setup.cfg", ".flake8", ".isort.cfg"):
        return py.parse_ini(text, rel)
    if name == ".style.yapf":
        return py.parse_style_yapf(text, rel)
    if name == "package.json":
        data = evidence.parse_json(text)
        return (
            other.parse_prettier(name, text, rel)
            + evidence.from_package_json(data, rel)
            + evidence.prettier_version_defaults(data, rel)
            + eslint.from_package_json(data, rel)
        )
    if name in PRETTIER_NAMES:
        return other.parse_prettier(name, text, rel)
    if name in eslint.ESLINTRC_NAMES:
        return eslint.parse_eslintrc(name, text, rel)
    if name in eslint.FLAT_NAMES:
        return eslint.parse_flat_config(text, rel)
    if name == ".pre-commit-config.yaml":
        return evidence.from_precommit(text, rel)
    if name == "Makefile":
        return evidence.from_makefile(text, rel)
    if name in (".clang-format", "_clang-format"):
        return other.parse_clang_format(text, rel)
    if name in ("rustfmt.toml", ".rustfmt.toml"):
        return other.parse_rustfmt(name, text, rel)
    if name == ".rubocop.yml":
        return other.parse_rubocop(text, rel)
    return []


def read_config_text(root: str, path: str) -> str | None:
    """The text of a config file, or None when it is missing or refused (outside the workspace
    through a link, not a regular file, absurdly large: said in the log)."""
    try:
        return read_guarded(root, path, max_bytes=MAX_CONFIG_BYTES).text()
    except ReadRefusedError as exc:
        if not (isinstance(exc, UnreadableFileError) and exc.missing):
            shown = display_name(os.path.relpath(path, root).replace(os.sep, "/"))
            log.warning("style config skipped: %s: %s", shown, exc.reason)
        return None
