"""ToolCoordinator: which tools a request carries, and running the calls the model makes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from victor.protocols import IToolSelectionStrategy, ToolCall, ToolSpec

if TYPE_CHECKING:
    from victor.tools import ToolRegistry, ToolResult


class ToolCoordinator:
    """Selects tools per request with a strategy and executes calls concurrently.

    The registry's tools are read-only and confined to the workspace; execution never
    raises (a failing tool becomes an error result the model can read).
    """

    def __init__(
        self,
        registry: ToolRegistry | None = None,
        *,
        selection: IToolSelectionStrategy | None = None,
        max_tools: int = 8,
        max_rounds: int = 8,
        enabled: bool = True,
    ) -> None:
        self.registry = registry
        self.selection = selection
        self.max_tools = max_tools
        self.max_rounds = max_rounds
        self.enabled = enabled

    def select_tools(
        self, query: str, *, enabled: bool | None = None, limit: int | None = None
    ) -> list[ToolSpec]:
        """The tools a request about ``query`` carries, best first (none when tools are
        disabled). ``enabled`` and ``limit`` override the coordinator's settings for one
        request."""
        enabled = self.enabled if enabled is None else enabled
        limit = self.max_tools if limit is None else limit
        if not enabled or self.registry is None or self.max_rounds == 0:
            return []
        specs = self.registry.specs()
        if not specs or limit == 0:
            return []
        if self.selection is None:
            return specs[:limit]
        return self.selection.select(query, specs, limit)

    async def execute(self, calls: list[ToolCall]) -> list[ToolResult]:
        """Run ``calls`` concurrently; one result per call, in order (errors included)."""
        from victor.tools import ToolResult

        if self.registry is None:
            return [ToolResult(f"no tool named {c.name!r} is available", True) for c in calls]
        registry = self.registry
        return list(await asyncio.gather(*(registry.execute(call) for call in calls)))
