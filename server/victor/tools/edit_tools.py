"""Agent mode's edit tools: edit_file, create_file, delete_file, rename_file.

They change the turn's ChangeSet (the editor's view plus this turn's changes), never a file:
the user reviews the change set and the editor applies what is accepted. Code the model writes
goes through ``polish`` first (the style card's rules for the written text only: the formatter
where the folder is trusted and it agrees with the card, and notes for the model where the
text breaks the card).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from victor.protocols import ToolSpec
from victor.tools.base import Tool, ToolError, ToolResult
from victor.tools.change_set import ChangeSet

#: (file, code the model wrote, whether it is whole lines) -> (code to use, notes for the model)
Polish = Callable[[Path, str, bool], Awaitable[tuple[str, list[str]]]]
#: (file, whole text before, whole text after) -> what the change broke of the style card
Check = Callable[[Path, str, str], Awaitable[list[str]]]
#: called after every change, so the editor can show the pending change set
Changed = Callable[[], None]

_PENDING = "Pending the user's review (nothing is saved until they accept it)."


def _path_schema(description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "description": description}


async def _no_polish(path: Path, code: str, whole_lines: bool) -> tuple[str, list[str]]:
    return code, []


async def _no_check(path: Path, before: str, after: str) -> list[str]:
    return []


class _EditTool(Tool):
    def __init__(
        self,
        changes: ChangeSet,
        *,
        polish: Polish | None = None,
        check: Check | None = None,
        changed: Changed | None = None,
    ) -> None:
        self.changes = changes
        self.polish = polish or _no_polish
        self.check = check or _no_check
        self.changed = changed or (lambda: None)

    def _resolve(self, given: str) -> Path:
        return self.changes.access.resolve(given)

    def _shown(self, real: Path) -> str:
        return self.changes.access.shown(real)

    @staticmethod
    def _with_notes(text: str, notes: list[str]) -> str:
        if not notes:
            return text
        return text + "\nStyle notes: " + "; ".join(notes)


class EditFileTool(_EditTool):
    spec = ToolSpec(
        name="edit_file",
        description=(
            "Replace exactly one occurrence of old_text with new_text in a workspace file (as "
            "the editor shows it, including this turn's earlier edits). old_text must match "
            "the file exactly, whitespace included, and occur once: include enough "
            "surrounding lines to make it unique. Changes are collected and shown to the user "
            "for review when your turn ends (or before run_command); later tool calls already "
            "see them."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "path": _path_schema("File path relative to the workspace root."),
                "old_text": {"type": "string", "minLength": 1, "description": "Text to replace."},
                "new_text": {"type": "string", "description": "Replacement text."},
            },
            "required": ["path", "old_text", "new_text"],
            "additionalProperties": False,
        },
    )

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        given = arguments["path"]
        old, new = arguments["old_text"], arguments["new_text"]
        real = await asyncio.to_thread(self._resolve, given)
        text = await asyncio.to_thread(self._current, real, given)
        if "\r\n" in text and "\r\n" not in old:  # the model writes \n; the file uses \r\n
            old, new = old.replace("\n", "\r\n"), new.replace("\n", "\r\n")
        count = text.count(old)
        if count != 1:
            hint = (
                "read the file again and copy the exact text, whitespace included"
                if count == 0
                else "include more surrounding lines so that it occurs exactly once"
            )
            raise ToolError(f"old_text occurs {count} times in {given}; {hint}")
        start = text.index(old)
        whole = (start == 0 or text[start - 1] == "\n") and (
            old.endswith("\n") or start + len(old) == len(text)
        )
        new, notes = await self.polish(real, new, whole)
        after = text[:start] + new + text[start + len(old) :]

        def apply() -> None:
            with self.changes.lock:  # another call of this round may have changed it meanwhile
                if self._current(real, given) != text:
                    raise ToolError(f"{given} changed while this edit was prepared; try again")
                self.changes.set_text(real, given, after)

        await asyncio.to_thread(apply)
        self.changed()
        notes += await self.check(real, text, after)
        first = text.count("\n", 0, start) + 1
        removed, added = old.count("\n"), new.count("\n")
        summary = (
            f"Edited {self._shown(real)}: lines {first}-{first + removed} replaced by "
            f"{added + 1 if new else 0} line(s). {_PENDING}"
        )
        return ToolResult(self._with_notes(summary, notes))

    def _current(self, real: Path, given: str) -> str:
        text = self.changes.text(real, given)
        if text is None:
            raise ToolError(f"{given}: no such file (create_file makes a new one)")
        return text


class CreateFileTool(_EditTool):
    spec = ToolSpec(
        name="create_file",
        description=(
            "Create a new file in the workspace with the given content (an error if it already "
            "exists: use edit_file). Missing parent folders are created with it. Shown to the "
            "user for review like every edit."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "path": _path_schema("New file's path relative to the workspace root."),
                "content": {"type": "string", "description": "The whole text of the file."},
            },
            "required": ["path", "content"],
            "additionalProperties": False,
        },
    )

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        given, content = arguments["path"], arguments["content"]
        real = await asyncio.to_thread(self._resolve, given)
        content, notes = await self.polish(real, content, True)

        def create() -> None:
            with self.changes.lock:
                if self.changes.text(real, given) is not None:
                    raise ToolError(f"{given} already exists; use edit_file to change it")
                self.changes.set_text(real, given, content)

        await asyncio.to_thread(create)
        self.changed()
        notes += await self.check(real, "", content)
        lines = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
        summary = f"Created {self._shown(real)} ({lines} lines). {_PENDING}"
        return ToolResult(self._with_notes(summary, notes))


class DeleteFileTool(_EditTool):
    spec = ToolSpec(
        name="delete_file",
        description="Delete a file of the workspace (shown to the user for review).",
        input_schema={
            "type": "object",
            "properties": {"path": _path_schema("File path relative to the workspace root.")},
            "required": ["path"],
            "additionalProperties": False,
        },
    )

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        given = arguments["path"]
        real = await asyncio.to_thread(self._resolve, given)

        def delete() -> None:
            with self.changes.lock:
                if self.changes.text(real, given) is None:
                    raise ToolError(f"{given}: no such file")
                self.changes.set_text(real, given, None)

        await asyncio.to_thread(delete)
        self.changed()
        return ToolResult(f"Deleted {self._shown(real)}. {_PENDING}")


class RenameFileTool(_EditTool):
    spec = ToolSpec(
        name="rename_file",
        description=(
            "Rename (move) a file of the workspace to new_path (which must not exist). Shown "
            "to the user for review; edit the file before renaming it, or after the review."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "path": _path_schema("Current path relative to the workspace root."),
                "new_path": _path_schema("New path relative to the workspace root."),
            },
            "required": ["path", "new_path"],
            "additionalProperties": False,
        },
    )

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        given, new_given = arguments["path"], arguments["new_path"]
        real = await asyncio.to_thread(self._resolve, given)
        new_real = await asyncio.to_thread(self._resolve, new_given)
        if real == new_real:
            raise ToolError("path and new_path name the same file")

        def rename() -> None:
            with self.changes.lock:
                if self.changes.text(real, given) is None:
                    raise ToolError(f"{given}: no such file")
                self.changes.rename(real, given, new_real, new_given)

        await asyncio.to_thread(rename)
        self.changed()
        return ToolResult(f"Renamed {self._shown(real)} to {self._shown(new_real)}. {_PENDING}")


def edit_tools(
    changes: ChangeSet,
    *,
    polish: Polish | None = None,
    check: Check | None = None,
    changed: Changed | None = None,
) -> list[Tool]:
    return [
        cls(changes, polish=polish, check=check, changed=changed)
        for cls in (EditFileTool, CreateFileTool, DeleteFileTool, RenameFileTool)
    ]
