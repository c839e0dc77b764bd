"""An orchestrator wired for one workspace folder: style, rules and file context
contributors, workspace tools, the folder's session store, and its watcher."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from victor.agent.orchestrator import AgentOrchestrator
from victor.config.settings import Settings
from victor.config.trust import WorkspaceTrust
from victor.protocols import IAgentHost
from victor.providers.base import Provider

if TYPE_CHECKING:
    from victor.agent.agent_mode import AgentTurn
    from victor.tools.command import Allowlist

log = logging.getLogger(__name__)


class WorkspaceAgent:
    """Owns a folder's ``WorkspaceStyle`` (scan + watcher) and its orchestrator.

    Construction is cheap and does no I/O on the caller's thread beyond opening SQLite;
    ``start()`` begins the background scan and watcher.
    """

    def __init__(
        self,
        root: Path,
        settings: Settings,
        *,
        provider: Provider | None = None,
        open_document: Callable[[Path], str | None] | None = None,
        trust: WorkspaceTrust | None = None,
    ) -> None:
        from victor.workspace import (
            FileContextContributor,
            RulesContributor,
            StyleCardContributor,
            WorkspaceStyle,
        )
        from victor.workspace.git_ignore import GitIgnoreChecker

        self.root = root.resolve()
        #: whether the folder may run its own programs (formatters, later check commands);
        #: the LSP layer updates it in place when the user grants or revokes trust
        self.trust = trust if trust is not None else WorkspaceTrust()
        self.style = WorkspaceStyle(self.root)
        #: which open files git ignores (a running `git check-ignore`, ended in aclose)
        self.git_ignore = GitIgnoreChecker()
        self.orchestrator = AgentOrchestrator(
            settings,
            provider,
            workspace=self.root,
            open_document=open_document,
            contributors=[
                RulesContributor(self.style),
                StyleCardContributor(self.style),
                FileContextContributor(self.root, git_ignore=self.git_ignore),
            ],
        )
        self.style.add_listener(self._style_changed)
        self._change_listeners: list[Callable[[set[Path]], None]] = []

    @classmethod
    async def create(
        cls,
        root: Path,
        settings: Settings,
        *,
        provider: Provider | None = None,
        open_document: Callable[[Path], str | None] | None = None,
        watch: bool = True,
        trust: WorkspaceTrust | None = None,
    ) -> WorkspaceAgent:
        # Opening the store touches the disk: keep it off the event loop.
        agent = await asyncio.to_thread(
            cls, root, settings, provider=provider, open_document=open_document, trust=trust
        )
        await agent.style.start(watch=watch)
        return agent

    def agent_turn(self, host: IAgentHost, *, allowlist: Allowlist | None = None) -> AgentTurn:
        """Agent mode for one turn of this folder: edits reviewed through ``host``; commands
        only when the folder is trusted, checked against ``allowlist`` (default: the user's
        allowlist file, see config/command_allowlist.py)."""
        from victor.agent.agent_mode import AgentTurn
        from victor.agent.edit_style import EditStyle

        if allowlist is None:
            from victor.config.command_allowlist import CommandAllowlist

            allowlist = CommandAllowlist()
        settings = self.orchestrator.settings
        style = EditStyle(
            self.root,
            self.style.style_card,
            self.trust,
            format_code=settings.format_generated_code,
        )
        return AgentTurn(
            self.root, host, settings=settings, trust=self.trust, style=style, allowlist=allowlist
        )

    def on_change(self, callback: Callable[[set[Path]], None]) -> None:
        self._change_listeners.append(callback)

    def _style_changed(self, paths: set[Path]) -> None:
        self.orchestrator._prompt_coordinator.invalidate()
        for callback in self._change_listeners:
            callback(paths)

    async def aclose(self) -> None:
        await self.style.stop()
        await asyncio.to_thread(self.git_ignore.close)
        await self.orchestrator.aclose()
