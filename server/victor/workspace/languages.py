"""Which language a file is in, judged by its name only (no content sniffing: it must be cheap)."""

from __future__ import annotations

import os
from pathlib import Path

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".rb": "ruby",
    ".java": "java",
    ".kt": "kotlin",
    ".cs": "csharp",
    ".php": "php",
    ".swift": "swift",
    ".json": "json",
    ".css": "css",
    ".scss": "css",
    ".less": "css",
    ".html": "html",
    ".vue": "vue",
    ".md": "markdown",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".toml": "toml",
    ".sh": "shell",
    ".bash": "shell",
    ".mk": "makefile",
}
NAMES: dict[str, str] = {"Makefile": "makefile", "GNUmakefile": "makefile", "Gemfile": "ruby"}

DISPLAY: dict[str, str] = {
    "python": "Python",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "go": "Go",
    "rust": "Rust",
    "c": "C",
    "cpp": "C++",
    "ruby": "Ruby",
    "csharp": "C#",
    "makefile": "Makefile",
}

# Languages whose sources are sampled for observed style. Data formats (JSON, YAML, Markdown)
# are left out: their "style" is not something generated code has to fit.
CODE_LANGUAGES: frozenset[str] = frozenset(
    {"python", "javascript", "typescript", "go", "rust", "c", "cpp", "ruby", "java", "kotlin"}
    | {"csharp", "php", "swift", "shell"}
)

# File types Prettier formats, so a Prettier config applies to them.
PRETTIER_LANGUAGES: frozenset[str] = frozenset(
    {"javascript", "typescript", "json", "css", "html", "vue", "markdown", "yaml"}
)


def language_of(path: Path | str) -> str | None:
    """The language id of ``path`` from its extension or well-known name, else None."""
    name = os.path.basename(str(path))
    if name in NAMES:
        return NAMES[name]
    return EXTENSIONS.get(os.path.splitext(name)[1].lower())


def display_name(language: str | None) -> str:
    if language is None:
        return "plain text"
    return DISPLAY.get(language, language.capitalize())


def main_extension(language: str) -> str:
    """The first extension registered for ``language`` (used for workspace-wide cards)."""
    for ext, lang in EXTENSIONS.items():
        if lang == language:
            return ext
    return ""
