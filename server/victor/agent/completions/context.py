"""What a completion model sees: the text around the cursor, a few relevant lines of other
open buffers, and the file's style in one compact line (plain Python, no LSP, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from victor.providers.completion import CompletionPrompt
from victor.workspace.paths import is_secret_path

PREFIX_CHARS = 4000
SUFFIX_CHARS = 1500
OTHER_BUFFERS = 3
OTHER_BUFFER_CHARS = 1200
OTHER_BUFFER_SCAN_CHARS = 200_000  # bigger buffers are looked at only this far
COMMON_IDENTIFIER_LINES = 20
CURSOR = "<|cursor|>"
CHAT_STOP = ("</completion>",)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_HASH_COMMENT = {"python", "ruby", "shellscript", "perl", "r", "yaml", "toml", "elixir"}
_SLASH_COMMENT = {
    "javascript",
    "typescript",
    "javascriptreact",
    "typescriptreact",
    "c",
    "cpp",
    "csharp",
    "java",
    "go",
    "rust",
    "kotlin",
    "swift",
    "scala",
    "dart",
    "php",
}

SYSTEM = (
    "You complete code at the cursor, as an editor's inline suggestion. Reply with only the "
    "text to insert at " + CURSOR + ", between <completion> and </completion>: no fences, no "
    "explanation. Never repeat text that is already after the cursor. Prefer finishing the "
    "current statement or block; keep it short. Follow the file's style exactly."
)


@dataclass(frozen=True, slots=True)
class StyleFacts:
    """The style card facts a completion needs (None: unknown)."""

    indent_style: str | None = None  # "space" | "tab"
    indent_size: int | None = None
    quote_style: str | None = None  # "single" | "double" | "preserve"
    line_length: int | None = None
    naming: dict[str, str] = field(default_factory=dict)  # functions/classes/... -> case

    @property
    def indent_unit(self) -> str | None:
        if self.indent_style == "tab":
            return "\t"
        if self.indent_style == "space" or self.indent_size:
            return " " * (self.indent_size or 4)
        return None

    def compact(self) -> str:
        parts = []
        if self.indent_style == "tab":
            parts.append("indent with tabs")
        elif self.indent_unit:
            parts.append(f"indent {len(self.indent_unit)} spaces per level")
        if self.quote_style in ("single", "double"):
            parts.append(f"{self.quote_style} quotes for strings")
        if self.line_length:
            parts.append(f"lines at most {self.line_length} characters")
        parts += [f"{kind} in {case}" for kind, case in sorted(self.naming.items())]
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class CompletionInput:
    """One completion request: the document's whole text and the cursor (code points)."""

    path: Path
    relpath: str
    language: str
    text: str
    offset: int
    style: StyleFacts = field(default_factory=StyleFacts)
    other_buffers: dict[Path, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return self.text[: self.offset]

    @property
    def suffix(self) -> str:
        return self.text[self.offset :]


def build_prompt(
    inp: CompletionInput, *, max_tokens: int = 256, index: BufferIndex | None = None
) -> CompletionPrompt:
    """Both prompt shapes for ``inp``: FIM (context as comments) and chat."""
    prefix = _window_start(inp.text[max(0, inp.offset - PREFIX_CHARS) : inp.offset], inp.offset)
    suffix = _window_end(inp.text[inp.offset : inp.offset + SUFFIX_CHARS], inp)
    snippets = relevant_snippets(prefix, inp.other_buffers, exclude=inp.path, index=index)
    style = inp.style.compact()
    comment = _comment_marker(inp.language)
    header_lines = []
    if comment:
        header_lines.append(f"{comment} file: {inp.relpath}")
        if style:
            header_lines.append(f"{comment} style: {style}")
        for path, snippet in snippets:
            header_lines.append(f"{comment} from {path.name}:")
            header_lines += [f"{comment} {line}" for line in snippet.splitlines()]
    header = "\n".join(header_lines) + "\n" if header_lines else ""
    parts = []
    for path, snippet in snippets:
        parts.append(f'<open-file name="{path.name}">\n{snippet}\n</open-file>')
    if style:
        parts.append(f"Style of {inp.relpath}: {style}.")
    parts.append(f'<file name="{inp.relpath}">\n{prefix}{CURSOR}{suffix}\n</file>')
    return CompletionPrompt(
        fim_prefix=header + prefix,
        suffix=suffix,
        system=SYSTEM,
        user="\n\n".join(parts),
        chat_stop=CHAT_STOP,
        max_tokens=max_tokens,
    )


def _window_start(window: str, offset: int) -> str:
    """Start a cut window at a line start, so the model never sees half a line."""
    if offset > len(window) and "\n" in window:
        return window[window.index("\n") + 1 :]
    return window


def _window_end(window: str, inp: CompletionInput) -> str:
    if inp.offset + len(window) < len(inp.text) and "\n" in window:
        return window[: window.rindex("\n") + 1]
    return window


def _comment_marker(language: str) -> str | None:
    if language in _HASH_COMMENT:
        return "#"
    if language in _SLASH_COMMENT:
        return "//"
    return None


class BufferIndex:
    """Where each identifier occurs in the other open buffers, built once per buffer text.

    While the user types in one file the others do not change, so a request only looks up
    the identifiers near its cursor (microseconds) instead of scanning every buffer."""

    def __init__(self, max_buffers: int = 32) -> None:
        self.max_buffers = max_buffers
        self._by_path: dict[Path, tuple[str, list[str], dict[str, list[int]]]] = {}

    def lines_of(self, path: Path, text: str) -> tuple[list[str], dict[str, list[int]]]:
        entry = self._by_path.get(path)
        if entry is not None and entry[0] is text:
            return entry[1], entry[2]
        lines = text[:OTHER_BUFFER_SCAN_CHARS].splitlines()
        where: dict[str, list[int]] = {}
        for index, line in enumerate(lines):
            for name in set(_IDENT.findall(line)):
                where.setdefault(name, []).append(index)
        if len(self._by_path) >= self.max_buffers:
            self._by_path.pop(next(iter(self._by_path)))
        self._by_path[path] = (text, lines, where)
        return lines, where


def relevant_snippets(
    prefix: str,
    buffers: dict[Path, str],
    *,
    exclude: Path,
    index: BufferIndex | None = None,
) -> list[tuple[Path, str]]:
    """Up to OTHER_BUFFERS windows of other open buffers around the line that shares the most
    identifiers with the lines just before the cursor. Secret files are never looked at."""
    wanted = set(_IDENT.findall(prefix[-800:]))
    if not wanted:
        return []
    index = index or BufferIndex()
    scored: list[tuple[int, Path, str]] = []
    for path, text in buffers.items():
        if path == exclude or is_secret_path(path):
            continue
        lines, where = index.lines_of(path, text)
        hits: dict[int, int] = {}
        for name in wanted:
            found = where.get(name, ())
            if len(found) > COMMON_IDENTIFIER_LINES:
                continue  # ``self``, ``return``: everywhere, so they point nowhere
            for line_no in found:
                hits[line_no] = hits.get(line_no, 0) + 1
        if hits:
            best_at = max(hits, key=lambda n: (hits[n], -n))
            start = max(0, best_at - 5)
            snippet = "\n".join(lines[start : best_at + 15])[:OTHER_BUFFER_CHARS]
            scored.append((hits[best_at], path, snippet))
    scored.sort(key=lambda item: -item[0])
    return [(path, snippet) for _, path, snippet in scored[:OTHER_BUFFERS]]
