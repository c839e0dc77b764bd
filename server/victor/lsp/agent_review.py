"""Agent mode's editor side: review of the change set, command approval, progress.

``LspAgentHost`` implements ``IAgentHost`` for one ``victor/chat`` request. A review first
checks every change against the editor's view *now* (a document the user edited since the
agent read it is a ``conflict``, never sent), then either sends ``victor/reviewChanges`` (a
client that set ``initializationOptions.victor.agentReview``: the VS Code extension) or one
standard ``workspace/applyEdit`` with change annotations that need confirmation (see
``lsp/workspace_edit.py``). Commands are approved with ``window/showMessageRequest``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types

from victor.lsp.documents import find_open, uri_of_path
from victor.lsp.folders import Folder
from victor.lsp.server import VictorServer
from victor.lsp.streaming import PartialResults
from victor.protocols import ChangeOutcome, CommandDecision, FileChange, IAgentHost, OpenText

log = logging.getLogger(__name__)

RUN_ONCE, ALWAYS, DENY = "Run once", "Always allow", "Deny"
_DECISIONS: dict[str, CommandDecision] = {RUN_ONCE: "once", ALWAYS: "always", DENY: "deny"}
_STATUSES = {"accepted", "rejected", "conflict", "failed"}


def wants_review_request(ls: VictorServer) -> bool:
    """``initializationOptions.victor.agentReview: true``: the client reviews changes itself."""
    victor = ls.folders.init_options.get("victor")
    return isinstance(victor, dict) and victor.get("agentReview") is True


class LspAgentHost(IAgentHost):
    def __init__(self, ls: VictorServer, folder: Folder, partial: PartialResults) -> None:
        self.ls = ls
        self.folder = folder
        self.partial = partial

    # ------------------------------------------------------------------ the view

    def open_text(self, path: Any) -> OpenText | None:
        doc = find_open(self.ls.workspace, uri_of_path(path))
        return OpenText(doc.source, doc.version) if doc is not None else None

    # ------------------------------------------------------------------ review

    async def review(self, changes: list[FileChange]) -> list[ChangeOutcome]:
        from victor.lsp.workspace_edit import apply_with_workspace_edit, check_against_editor

        ready, outcomes = await asyncio.to_thread(check_against_editor, self, changes)
        if not ready:
            return outcomes
        if wants_review_request(self.ls):
            return outcomes + await self._review_request(ready)
        return outcomes + await apply_with_workspace_edit(self.ls, ready, self.partial.turn_id)

    async def _review_request(self, ready: list[tuple[FileChange, int | None]]) -> list[Any]:
        params = {
            "sessionId": self.partial.session_id,
            "turnId": self.partial.turn_id,
            "folder": self.folder.uri,
            "changes": [_wire_change(change, version) for change, version in ready],
        }
        try:
            answer = await self.ls.protocol.send_request_async("victor/reviewChanges", params)
        except Exception as exc:  # (a cancel is a BaseException: it goes through)
            reason = f"the editor's review failed: {exc}"
            return [_outcome(c, "failed", reason) for c, _ in ready]
        return _parse_review(answer, [c for c, _ in ready])

    # ------------------------------------------------------------------ commands

    async def approve_command(self, command: list[str], cwd: Any) -> CommandDecision:
        from victor.tools.command import shown_command

        where = ""
        if Path(cwd) != self.folder.path:
            where = f" (in {Path(cwd).relative_to(self.folder.path).as_posix()})"
        message = (
            f"Victor agent wants to run in {self.folder.path.name}: {shown_command(command)}{where}"
        )
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=message,
            actions=[types.MessageActionItem(title=t) for t in (RUN_ONCE, ALWAYS, DENY)],
        )
        try:
            answer = await self.ls.window_show_message_request_async(params)
        except Exception as exc:
            log.warning("window/showMessageRequest failed: %s", exc)
            return "deny"
        title = getattr(answer, "title", None)
        if title is None and isinstance(answer, dict):
            title = answer.get("title")
        return _DECISIONS.get(title or "", "deny")

    # ------------------------------------------------------------------ progress

    def changes_pending(self, changes: list[FileChange]) -> None:
        self.partial.send({"changes": [_change_ref(c) for c in changes]})

    def reviewed(self, outcomes: list[ChangeOutcome]) -> None:
        self.partial.send({"review": [outcome_json(o) for o in outcomes]})
        dropped = [o for o in outcomes if o.status == "dropped"]
        if dropped:
            names = ", ".join(Path(o.path).name for o in dropped)
            self.ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message=f"Victor: the agent turn stopped; {len(dropped)} unreviewed "
                    f"change(s) dropped: {names}",
                )
            )

    def command_output(self, call_id: str, text: str) -> None:
        self.partial.send({"toolOutput": {"id": call_id, "text": text}})


def _outcome(change: FileChange, status: Any, reason: str | None = None) -> ChangeOutcome:
    return ChangeOutcome(change.id, change.kind, change.path, status, reason, change.new_path)


def _change_ref(change: FileChange) -> dict[str, Any]:
    out = {"id": change.id, "kind": change.kind, "uri": uri_of_path(change.path)}
    if change.new_path is not None:
        out["newUri"] = uri_of_path(change.new_path)
    return out


def _wire_change(change: FileChange, version: int | None) -> dict[str, Any]:
    return {
        **_change_ref(change),
        "version": version,
        "before": change.before,
        "after": change.after,
    }


def outcome_json(outcome: ChangeOutcome) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": outcome.id,
        "kind": outcome.kind,
        "uri": uri_of_path(outcome.path),
        "status": outcome.status,
    }
    if outcome.new_path is not None:
        out["newUri"] = uri_of_path(outcome.new_path)
    if outcome.reason:
        out["reason"] = outcome.reason
    return out


def _parse_review(answer: Any, changes: list[FileChange]) -> list[ChangeOutcome]:
    """The client's ``{results: [{id, status, reason?}]}``; anything missing or malformed is
    a failed change (never an accepted one)."""
    answer = _plain(answer)
    results = answer.get("results") if isinstance(answer, dict) else None
    by_id: dict[str, dict[str, Any]] = {}
    for item in results if isinstance(results, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            by_id[item["id"]] = item
    out = []
    for change in changes:
        item = by_id.get(change.id)
        status = item.get("status") if item else None
        if status not in _STATUSES:
            out.append(_outcome(change, "failed", "the editor gave no valid answer for it"))
            continue
        reason = item.get("reason") if item else None
        out.append(_outcome(change, status, reason if isinstance(reason, str) else None))
    return out


def _plain(value: Any) -> Any:
    """pygls hands results of custom requests over as namedtuple-like objects: plain JSON."""
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
