"""Seed example 06: combining custom coordinators (globals supplied by _globals)."""

from _globals import *  # noqa: F403  (settings, provider, model, your_db)

import asyncio

from victor.agent.coordinators import (
    AnalyticsCoordinator,
    ConfigCoordinator,
    ContextCoordinator,
    PromptCoordinator,
)
from victor.agent.coordinators.analytics_coordinator import BaseAnalyticsExporter
from victor.agent.coordinators.context_coordinator import RecentMessagesCompactionStrategy
from victor.agent.coordinators.prompt_coordinator import BasePromptContributor
from victor.agent.orchestrator import AgentOrchestrator
from victor.config.settings import Settings
from victor.protocols import ExportResult, IConfigProvider


class StaticConfigProvider(IConfigProvider):
    def priority(self) -> int:
        return 10

    async def get_config(self, session_id: str) -> dict:
        return {"team": "platform", "session": session_id}


class TeamPromptContributor(BasePromptContributor):
    def priority(self) -> int:
        return 60

    async def get_contribution(self, context) -> str:
        return "## Team conventions\n- Prefer small, pure functions."


class CountingExporter(BaseAnalyticsExporter):
    def __init__(self):
        self.count = 0

    async def export(self, events) -> ExportResult:
        self.count += len(events)
        return ExportResult(success=True, exported_count=len(events), error=None)


async def combined_example():
    combined_settings = Settings(enable_analytics=True, context_compaction_threshold=0.8)
    exporter = CountingExporter()

    orchestrator = AgentOrchestrator(
        settings=combined_settings,
        provider=provider,
        model=model,
        _config_coordinator=ConfigCoordinator(providers=[StaticConfigProvider()]),
        _prompt_coordinator=PromptCoordinator(contributors=[TeamPromptContributor()]),
        _context_coordinator=ContextCoordinator(
            compaction_strategy=RecentMessagesCompactionStrategy(keep_last_n=10)
        ),
        _analytics_coordinator=AnalyticsCoordinator(exporters=[exporter]),
    )

    response = await orchestrator.chat("How should I structure a new module?")
    print(f"Response: {response.content[:80]}")
    print(f"Config: {orchestrator._config_coordinator.get_config()}")
    await orchestrator._analytics_coordinator.export_analytics(session_id=orchestrator.session_id)
    print(f"Exported events: {exporter.count}")
    assert exporter.count > 0


if __name__ == "__main__":
    asyncio.run(combined_example())
