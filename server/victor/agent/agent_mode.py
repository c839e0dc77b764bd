"""Agent mode for one turn: the edit and command tools, the change set, its review.

Plain Python: the editor is reached through ``IAgentHost`` (protocols.py), which the LSP layer
implements (``lsp/agent_review.py``). A turn in agent mode:

- offers read_file, list_directory, search_text (seeing the turn's changes), edit_file,
  create_file, delete_file, rename_file and, in trusted folders only, run_command;
- collects edits in a ChangeSet; the host reviews the pending changes before a command runs
  and when the turn ends; the outcomes go to the run_command result or, for the end of the
  turn, to the start of the session's next user turn (``review_note``);
- records every outcome in the session store (file, hashes, status);
- on cancel, drops what was not reviewed yet, records it as ``dropped`` and tells the host.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from victor.agent.coordinators.tool_coordinator import ToolCoordinator
from victor.protocols import ChangeOutcome, FileChange, IAgentHost, ToolCall, ToolSpec
from victor.storage.change_log import ChangeLog, ChangeRecord, sha256_of
from victor.tools.base import ToolRegistry, ToolResult
from victor.tools.change_set import ChangeSet, ChangeSetAccess
from victor.tools.edit_tools import edit_tools
from victor.tools.files import ListDirectoryTool, ReadFileTool
from victor.tools.search import SearchTextTool

if TYPE_CHECKING:
    from victor.agent.edit_style import EditStyle
    from victor.agent.orchestrator import AgentOrchestrator
    from victor.config.settings import Settings
    from victor.config.trust import WorkspaceTrust
    from victor.tools.command import Allowlist

log = logging.getLogger(__name__)


class AgentToolCoordinator(ToolCoordinator):
    """Every agent tool on every request, in a stable order: the model needs all of them
    whatever the question's words, and a stable tool list keeps prompt caching working."""

    def select_tools(
        self, query: str, *, enabled: bool | None = None, limit: int | None = None
    ) -> list[ToolSpec]:
        return self.registry.specs() if self.registry is not None else []

    async def execute(self, calls: list[ToolCall]) -> list[ToolResult]:
        """One call after the other, in the model's order: two edits of one file in one round
        apply in sequence, and the change set lists files in the order they were changed."""
        assert self.registry is not None
        return [await self.registry.execute(call) for call in calls]


class AgentTurn:
    def __init__(
        self,
        root: Path,
        host: IAgentHost,
        *,
        settings: Settings,
        trust: WorkspaceTrust,
        style: EditStyle | None = None,
        allowlist: Allowlist | None = None,
    ) -> None:
        self.root = Path(root)
        self.host = host
        self.max_rounds = settings.agent_max_tool_rounds

        def buffer_text(path: Path) -> str | None:
            buffer = host.open_text(path)
            return buffer.text if buffer is not None else None

        access = ChangeSetAccess(self.root, buffer_text)
        self.changes = ChangeSet(access, host.open_text, settings.agent_max_files)
        access.change_set = self.changes
        tools = [ReadFileTool(access), ListDirectoryTool(access), SearchTextTool(access)]
        tools += edit_tools(
            self.changes,
            polish=style.polish if style is not None else None,
            check=style.check if style is not None else None,
            changed=self._changed,
        )
        #: whether run_command is offered (trusted folders only, decided when the turn starts)
        self.commands = bool(trust.trusted) and allowlist is not None
        if self.commands:
            from victor.tools.command import RunCommandTool

            assert allowlist is not None
            tools.append(
                RunCommandTool(
                    access,
                    allowlist=allowlist,
                    approve=self._approve,
                    before_run=self._review_before_command,
                    output=host.command_output,
                    timeout=settings.agent_command_timeout,
                    trusted=lambda: trust.trusted,
                )
            )
        self.tool_coordinator = AgentToolCoordinator(
            ToolRegistry(tools), max_rounds=self.max_rounds, max_tools=len(tools)
        )
        #: every outcome of this turn, in order (the chat result shows them)
        self.outcomes: list[ChangeOutcome] = []
        self._log: ChangeLog | None = None
        self._sid = ""
        self._turn_id = ""

    # ------------------------------------------------------------------ turn hooks

    def begin(self, o: AgentOrchestrator, sid: str, turn_id: str) -> None:
        self._log = ChangeLog(o._session_coordinator.store)
        self._sid, self._turn_id = sid, turn_id

    async def finish(self) -> list[ChangeOutcome]:
        """The turn ended: review what is still pending. The model hears of it at the start
        of its next turn (``review_note``)."""
        await self._review(told=False)
        return self.outcomes

    def cancelled(self, reason: str = "the turn was cancelled") -> list[ChangeOutcome]:
        """Drop the changes nobody reviewed. Synchronous: runs while the task is cancelled."""
        dropped = self.changes.drop_pending()
        outcomes = [self._outcome(c, "dropped", f"not reviewed: {reason}") for c in dropped]
        if outcomes:
            self.outcomes += outcomes
            try:
                self._record_now(dropped, outcomes, told=False)
            except Exception:  # never mask the cancellation
                log.exception("could not record the dropped changes")
            self.host.reviewed(outcomes)
        return outcomes

    # ------------------------------------------------------------------ review

    def _changed(self) -> None:
        with self.changes.lock:
            pending = self.changes.pending()
        self.host.changes_pending(pending)

    async def _approve(self, argv: list[str], cwd: Path) -> Any:
        return await self.host.approve_command(argv, cwd)

    async def _review_before_command(self) -> str | None:
        outcomes = await self._review(told=True)
        return describe_outcomes(outcomes, self.root) if outcomes else None

    async def _review(self, *, told: bool) -> list[ChangeOutcome]:
        pending = await asyncio.to_thread(self._pending_locked)
        if not pending:
            return []
        try:
            answered = await self.host.review(pending)
        except Exception as exc:  # the editor side failed: nothing is known to have landed
            log.warning("review failed: %s", exc)
            reason = f"the review failed: {exc}"
            answered = [self._outcome(c, "failed", reason) for c in pending]
        outcomes = complete_outcomes(pending, answered)
        await asyncio.to_thread(self._settle_locked, outcomes)
        self.outcomes += outcomes
        await asyncio.to_thread(self._record_now, pending, outcomes, told=told)
        self.host.reviewed(outcomes)
        return outcomes

    def _pending_locked(self) -> list[FileChange]:
        with self.changes.lock:
            return self.changes.pending()

    def _settle_locked(self, outcomes: list[ChangeOutcome]) -> None:
        with self.changes.lock:
            self.changes.settle(outcomes)

    def _record_now(
        self, changes: list[FileChange], outcomes: list[ChangeOutcome], *, told: bool
    ) -> None:
        if self._log is None:
            return
        by_id = {o.id: o for o in outcomes}
        records = []
        for change in changes:
            outcome = by_id[change.id]
            records.append(
                ChangeRecord(
                    turn_id=self._turn_id,
                    change_id=change.id,
                    kind=change.kind,
                    path=relative(change.path, self.root),
                    new_path=relative(change.new_path, self.root) if change.new_path else None,
                    status=outcome.status,
                    reason=outcome.reason,
                    before_sha256=sha256_of(change.before),
                    after_sha256=sha256_of(change.after),
                )
            )
        self._log.record(self._sid, records)
        if told:
            self._log.mark_told(self._sid)

    @staticmethod
    def _outcome(change: FileChange, status: Any, reason: str | None = None) -> ChangeOutcome:
        return ChangeOutcome(change.id, change.kind, change.path, status, reason, change.new_path)


def complete_outcomes(
    changes: list[FileChange], answered: list[ChangeOutcome]
) -> list[ChangeOutcome]:
    """One outcome per change, in the changes' order; a change the host left out failed."""
    by_id = {o.id: o for o in answered}
    out = []
    for change in changes:
        outcome = by_id.get(change.id)
        if outcome is None:
            outcome = ChangeOutcome(
                change.id,
                change.kind,
                change.path,
                "failed",
                "the editor gave no answer for this change",
                change.new_path,
            )
        out.append(outcome)
    return out


def relative(path: Any, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


def describe_outcomes(outcomes: list[ChangeOutcome], root: Path) -> str:
    """``Review of your edits: accepted a.py; rejected b.py (reason: too broad)``."""
    parts = []
    for o in outcomes:
        name = relative(o.path, root)
        if o.new_path is not None:
            name = f"{name} -> {relative(o.new_path, root)}"
        what = {"rename": "rename of ", "create": "new file ", "delete": "deletion of "}.get(
            o.kind, ""
        )
        text = f"{o.status} {what}{name}"
        if o.reason:
            text += f" (reason: {o.reason})"
        parts.append(text)
    return "Review of your edits: " + "; ".join(parts)


def _records_note(records: list[ChangeRecord]) -> str:
    parts = []
    for r in records:
        name = f"{r.path} -> {r.new_path}" if r.new_path else r.path
        text = f"{r.status} {r.kind} of {name}"
        if r.reason:
            text += f" (reason: {r.reason})"
        parts.append(text)
    return "Review of your edits: " + "; ".join(parts)


async def review_note(o: AgentOrchestrator, sid: str, text: str) -> str:
    """``text`` with the outcomes of the session's last review the model was not told yet
    in front of it (the review at the end of an agent turn happens after its answer)."""
    log_ = ChangeLog(o._session_coordinator.store)
    if log_.all_told(sid):  # known without a query (change_log.py): no thread hop
        return text

    def untold() -> list[ChangeRecord]:
        records = log_.changes(sid, untold=True)
        if records:
            log_.mark_told(sid)
        return records

    records = await asyncio.to_thread(untold)
    if not records:
        return text
    return f"[{_records_note(records)}]\n\n{text}"
