"""Helpers for the agent-mode tests: scripted tool calls, and a client that applies edits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tests.support.model_script import Reply, ScriptedToolCall


def calls(*pairs: tuple[str, dict[str, Any]], text: str = "") -> Reply:
    """One model answer calling these tools (in one round)."""
    return Reply(text=text, tool_calls=[ScriptedToolCall(name, args) for name, args in pairs])


def path_of(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path))


def _offset(text: str, line: int, character: int) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(x) for x in lines[:line]) + character


def apply_to_disk(edit: dict[str, Any]) -> None:
    """Apply a WorkspaceEdit (documentChanges) to the files on disk, as an editor that saves
    would (the tests' texts are ASCII: UTF-16 columns are characters)."""
    for change in edit.get("documentChanges") or []:
        kind = change.get("kind")
        if kind == "create":
            path = path_of(change["uri"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("", encoding="utf-8")
        elif kind == "delete":
            path_of(change["uri"]).unlink()
        elif kind == "rename":
            path_of(change["oldUri"]).rename(path_of(change["newUri"]))
        else:
            path = path_of(change["textDocument"]["uri"])
            text = path.read_text(encoding="utf-8")
            for e in sorted(
                change["edits"],
                key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]),
                reverse=True,
            ):
                start = _offset(text, e["range"]["start"]["line"], e["range"]["start"]["character"])
                end = _offset(text, e["range"]["end"]["line"], e["range"]["end"]["character"])
                text = text[:start] + e["newText"] + text[end:]
            path.write_text(text, encoding="utf-8")


def tool_results(body: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """tool_use id -> (result text, is_error) of an Anthropic request body."""
    out = {}
    for message in body.get("messages", []):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            if block.get("type") == "tool_result":
                inner = block.get("content")
                if isinstance(inner, list):
                    inner = "".join(b.get("text", "") for b in inner)
                out[block["tool_use_id"]] = (str(inner), bool(block.get("is_error")))
    return out


def results_text(body: dict[str, Any]) -> str:
    return json.dumps([v for v in tool_results(body).values()])


def tool_names(body: dict[str, Any]) -> list[str]:
    return [t["name"] for t in body.get("tools") or []]
