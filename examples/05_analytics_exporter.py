"""Seed example 05: a custom analytics exporter (globals supplied by _globals)."""

from _globals import *  # noqa: F403  (settings, provider, model, your_db)

import asyncio
from typing import List

from victor.protocols import IAnalyticsExporter, ExportResult, AnalyticsEvent
from victor.agent.coordinators.analytics_coordinator import BaseAnalyticsExporter
from victor.agent.orchestrator import AgentOrchestrator


class ConsoleAnalyticsExporter(BaseAnalyticsExporter):
    """Print analytics events to the console."""

    async def export(self, events: List[AnalyticsEvent]) -> ExportResult:
        for event in events:
            print(f"[analytics] {event.type}: {event.model_dump()['data']}")
        return ExportResult(success=True, exported_count=len(events), error=None)


class FailingExporter(BaseAnalyticsExporter):
    """An exporter whose backend is down: it must never break the chat."""

    async def export(self, events: List[AnalyticsEvent]) -> ExportResult:
        raise ConnectionError("analytics backend unreachable")


async def custom_analytics_example():
    from victor.agent.coordinators import AnalyticsCoordinator

    analytics_coordinator = AnalyticsCoordinator(
        exporters=[
            ConsoleAnalyticsExporter(),
            FailingExporter(),  # exporters run concurrently; one failing never breaks chat
        ]
    )

    orchestrator = AgentOrchestrator(
        settings=settings,
        provider=provider,
        model=model,
        _analytics_coordinator=analytics_coordinator,
    )

    response = await orchestrator.chat("Summarize what analytics Victor records.")
    print(f"Response: {response.content[:80]}")

    result = await analytics_coordinator.export_analytics(session_id=orchestrator.session_id)
    print(f"Exported {result.exported_count} events (success={result.success})")
    assert isinstance(IAnalyticsExporter, type)
    assert result.exported_count > 0


if __name__ == "__main__":
    asyncio.run(custom_analytics_example())
