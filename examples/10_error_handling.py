"""Seed example 10: error handling (globals supplied by _globals)."""

from _globals import *  # noqa: F403  (settings, provider, model, your_db)

import asyncio

from victor.agent.orchestrator import AgentOrchestrator
from victor.providers.anthropic import AnthropicProvider
from victor.providers.errors import ProviderConnectionError, ProviderError


async def error_handling_example():
    # A provider whose API cannot be reached (nothing listens on port 9)
    unreachable = AnthropicProvider(
        api_key="sk-ant-example", base_url="http://127.0.0.1:9", max_retries=2
    )
    orchestrator = AgentOrchestrator(settings=settings, provider=unreachable, model=model)

    try:
        await orchestrator.chat("Hello?")
    except ProviderConnectionError as exc:
        print(f"Network error after retries: {exc}")
    except ProviderError as exc:
        print(f"Provider error ({exc.kind}): {exc}")
    else:
        raise AssertionError("expected a provider error")

    # The orchestrator still answers synchronously
    print(f"Config still available: {bool(orchestrator._config_coordinator.get_config())}")
    print(
        f"Context still available: {len(orchestrator._context_coordinator.get_context().messages)} messages"
    )


if __name__ == "__main__":
    asyncio.run(error_handling_example())
