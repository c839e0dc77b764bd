"""The style card's rules for code the agent writes into a file (the written text only).

Where the folder is trusted and its formatter is configured, whole-line code is formatted the
way the workspace formats it, unless the formatter's output would contradict the file's style
card (then the code stays as written). What still breaks the card (indentation, quotes, line
length) is said to the model in the tool result, so it can fix its edit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from victor.config.trust import WorkspaceTrust
    from victor.workspace.card import StyleCard


class EditStyle:
    def __init__(
        self,
        root: Path,
        card_of: Callable[[Path], StyleCard | None],
        trust: WorkspaceTrust,
        *,
        format_code: bool = True,
    ) -> None:
        self.root = root
        self.card_of = card_of
        self.trust = trust
        self.format_code = format_code

    async def polish(self, path: Path, code: str, whole_lines: bool) -> tuple[str, list[str]]:
        """``code`` formatted the workspace's way where that applies, and what was done."""
        from victor.workspace.style_check import formatter_conflict

        if not (whole_lines and code.strip() and self.format_code and self.trust.trusted):
            return code, []
        from victor.workspace.formatter import format_code

        result = await format_code(code, path, self.root, trusted=True)
        if result.error is not None or not result.formatter or result.text == code:
            return code, []
        card = self.card_of(path)
        conflict = formatter_conflict(code, result.text, card) if card else None
        if conflict is not None:
            return code, [f"{result.formatter} not used: it {conflict}"]
        return result.text, [f"formatted with {result.formatter}, as the workspace does"]

    async def check(self, path: Path, before: str, after: str) -> list[str]:
        """What the edit (``before`` -> ``after``, whole files) broke of the file's card."""
        from victor.workspace.style_check import introduced_problems

        card = self.card_of(path)
        if card is None:
            return []
        problems = await asyncio.to_thread(introduced_problems, before, after, card)
        return [f"the file now {problem}" for problem in problems]
