"""A small user script, type-checked with ``mypy --strict`` by tests/agent/test_typing.py.

It imports what the seed examples import, the way a library user writes it.
"""

from __future__ import annotations

import asyncio

from victor.agent.coordinators import (
    AnalyticsCoordinator,
    ConfigCoordinator,
    ContextCoordinator,
    PromptCoordinator,
)
from victor.agent.coordinators.analytics_coordinator import BaseAnalyticsExporter
from victor.agent.coordinators.context_coordinator import BaseCompactionStrategy
from victor.agent.coordinators.prompt_coordinator import BasePromptContributor
from victor.agent.orchestrator import AgentOrchestrator
from victor.config.loader import ConfigError as LoaderConfigError
from victor.config.settings import Settings
from victor.errors import ConfigError, InvalidArgumentError, VictorError
from victor.protocols import (
    AnalyticsEvent,
    Context,
    ExportResult,
    IConfigProvider,
    PromptContext,
)
from victor.providers.anthropic import AnthropicProvider
from victor.providers.errors import ProviderConnectionError, ProviderError


class KeepRecent(BaseCompactionStrategy):
    async def compact(self, context: Context) -> Context:
        return Context(messages=context.messages[-4:])


class TeamConfig(IConfigProvider):
    def priority(self) -> int:
        return 10

    async def get_config(self, session_id: str) -> dict[str, object]:
        return {"model": "claude-sonnet-4-5", "max_tokens": 1024}


class Team(BasePromptContributor):
    async def get_contribution(self, context: PromptContext) -> str:
        return f"Team: {context.get('team', 'core')}"


class Console(BaseAnalyticsExporter):
    async def export(self, events: list[AnalyticsEvent]) -> ExportResult:
        for event in events:
            print(event.type, event.model_dump()["data"])
        return ExportResult(success=True, exported_count=len(events))


async def main() -> int:
    provider = AnthropicProvider(api_key="sk-ant-...")
    async with AgentOrchestrator(
        settings=Settings(max_tokens=2048),
        provider=provider,
        model="claude-sonnet-4-5",
        _config_coordinator=ConfigCoordinator(providers=[TeamConfig()]),
        _prompt_coordinator=PromptCoordinator(contributors=[Team()]),
        _context_coordinator=ContextCoordinator(compaction_strategy=KeepRecent()),
        _analytics_coordinator=AnalyticsCoordinator(exporters=[Console()]),
    ) as orchestrator:
        try:
            response = await orchestrator.chat(
                "Explain coordinators.", prompt_context={"team": "core"}, task="chat", pinned=True
            )
        except ProviderConnectionError as exc:
            print(f"network: {exc}")
            return 1
        except ProviderError as exc:
            print(f"{exc.kind}: {exc}")
            return 1
        except (ConfigError, LoaderConfigError, InvalidArgumentError) as exc:
            print(f"usage: {exc}")
            return 2
        except VictorError as exc:
            print(exc)
            return 3
        print(response.content, response.usage.total_tokens)
        context = orchestrator._context_coordinator.get_context()
        print(len(context.messages))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
