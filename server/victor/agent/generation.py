"""Style-aware code generation for one spot of one file (plain Python, no LSP)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from victor.workspace.card import StyleCard

_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:\n```|\Z)", re.DOTALL)


@dataclass(slots=True)
class GenerationResult:
    text: str
    raw: str
    formatter: str | None = None
    format_error: str | None = None
    format_note: str | None = (
        None  # why no formatter was used, or which one an untrusted folder got
    )


def generation_request(instruction: str, relpath: str, *, replacing: str | None, line: int) -> str:
    """The user message for a generation turn; the style card and the file context come
    with the turn's prompt (the system prompt and the turn's editor context)."""
    where = (
        f"replacing the selected code (lines starting at {line + 1}):\n```\n{replacing}\n```"
        if replacing
        else f"to insert at line {line + 1}"
    )
    return (
        f"Write code for `{relpath}`, {where}\n\nInstruction: {instruction}\n\n"
        "Follow the code style section exactly. Reply with only the code, in one fenced "
        "block, with no explanation before or after it."
    )


def extract_code(answer: str) -> str:
    """The first fenced block of the answer, else the whole answer without stray fences."""
    match = _FENCE.search(answer)
    code = match.group(1) if match else answer.strip().strip("`")
    return code.rstrip() + "\n"


def indent_like(code: str, indentation: str) -> str:
    """Indent ``code`` to ``indentation`` when the model wrote it flush left."""
    lines = code.splitlines()
    if not indentation or not lines:
        return code
    if any(line and not line[0].isspace() for line in lines) and not lines[0].startswith(
        indentation
    ):
        lines = [indentation + line if line.strip() else line for line in lines]
    return "\n".join(lines) + ("\n" if code.endswith("\n") else "")


async def finish_generation(
    answer: str,
    *,
    path: Path,
    root: Path,
    indentation: str = "",
    format_code: bool = True,
    trusted: bool = False,
    card: StyleCard | None = None,
) -> GenerationResult:
    """Extract the code, run the workspace's formatter on it, then fit the indentation.

    ``trusted``: the folder may run its own formatter (from its .venv, node_modules).
    With ``card`` (the target file's style card), formatted code that contradicts the card
    where the model's code did not is dropped: the code stays as generated, ``formatter`` is
    None and ``format_note`` says why.
    """
    code = extract_code(answer)
    formatter = error = note = None
    if format_code:
        from victor.workspace import format_code as run_formatter
        from victor.workspace.style_check import formatter_conflict

        formatted = await run_formatter(code, path, root, trusted=trusted)
        formatter, error, note = formatted.formatter, formatted.error, formatted.note
        conflict = None
        if error is None and formatter and card is not None:
            conflict = formatter_conflict(code, formatted.text, card)
        if conflict:
            note = f"{formatter} not used: it {conflict}"
            formatter = None
        else:
            code = formatted.text
    return GenerationResult(
        text=indent_like(code, indentation),
        raw=answer,
        formatter=formatter,
        format_error=error,
        format_note=note,
    )
