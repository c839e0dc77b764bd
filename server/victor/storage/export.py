"""Markdown rendering of a session, for ``victor/sessions/export``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from victor.protocols import Message

if TYPE_CHECKING:
    from victor.storage.change_log import ChangeRecord

_HEADINGS = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool result"}


def iso_utc(timestamp: float) -> str:
    """ISO 8601 UTC, second precision (what the protocol shows users)."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fence(text: str, info: str = "") -> str:
    # A fence longer than any backtick run inside keeps code or tool output from closing it.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def render_markdown(
    *,
    session_id: str,
    title: str | None,
    created_at: float,
    updated_at: float,
    summary: str | None,
    messages: list[Message],
    changes: list[ChangeRecord] | None = None,
) -> str:
    lines = [f"# {title or 'Untitled session'}", ""]
    lines.append(
        f"Session `{session_id}` · created {iso_utc(created_at)} · "
        f"updated {iso_utc(updated_at)} · {len(messages)} messages"
    )
    lines.append("")
    if summary:
        lines += ["## Summary of earlier conversation", "", summary.strip(), ""]
    for message in messages:
        lines += _render_message(message)
    if changes:
        lines += _render_changes(changes)
    return "\n".join(lines).rstrip() + "\n"


def _render_changes(changes: list[ChangeRecord]) -> list[str]:
    """What agent mode changed: file, kind, outcome and the hashes of the text before/after."""
    out = ["## Changes made by the agent", ""]
    out.append("| turn | file | change | status | before sha256 | after sha256 |")
    out.append("|---|---|---|---|---|---|")
    for c in changes:
        name = f"{c.path} -> {c.new_path}" if c.new_path else c.path
        status = f"{c.status} ({c.reason})" if c.reason else c.status
        cells = [c.turn_id[:8], name, c.kind, status, c.before_sha256, c.after_sha256]
        out.append("| " + " | ".join(_cell(v) for v in cells) + " |")
    out.append("")
    return out


def _cell(value: str | None) -> str:
    if value is None:
        return "—"
    return f"`{value}`" if len(value) == 64 else value.replace("|", "\\|").replace("\n", " ")


def _render_message(message: Message) -> list[str]:
    heading = _HEADINGS.get(message.role, message.role.capitalize())
    extras = []
    if message.role == "tool" and message.tool_call_id:
        extras.append(f"`{message.tool_call_id}`")
    if message.is_error:
        extras.append("error")
    if message.pinned:
        extras.append("pinned")
    suffix = f" ({', '.join(extras)})" if extras else ""
    out = [f"### {heading}{suffix} · {iso_utc(message.created_at)}", ""]
    if message.role == "tool":
        # Tool output is raw file text or listings: fenced so Markdown does not reinterpret it.
        out.append(_fence(message.content))
    elif message.content:
        out.append(message.content)
    if message.interrupted:
        out += ["", "*[interrupted: this answer was cut off before it finished]*"]
    for call in message.tool_calls:
        arguments = json.dumps(call.arguments, ensure_ascii=False, indent=2)
        out += ["", f"**Tool call** `{call.name}` (`{call.id}`)", "", _fence(arguments, "json")]
    out.append("")
    return out
