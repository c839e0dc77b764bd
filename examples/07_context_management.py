"""Seed example 07: context management (globals supplied by _globals)."""

from _globals import *  # noqa: F403  (settings, provider, model, your_db)

import asyncio

from victor.agent.coordinators import ContextCoordinator
from victor.agent.coordinators.context_coordinator import RecentMessagesCompactionStrategy
from victor.agent.orchestrator import AgentOrchestrator


async def context_management_example():
    orchestrator = AgentOrchestrator(
        settings=settings,
        provider=provider,
        model=model,
        _context_coordinator=ContextCoordinator(
            compaction_strategy=RecentMessagesCompactionStrategy(keep_last_n=4)
        ),
    )

    for question in [
        "What is a coordinator?",
        "And a strategy?",
        "And a provider?",
        "How do they fit together?",
    ]:
        await orchestrator.chat(question)

    # Inspect the current context (synchronous)
    context = orchestrator._context_coordinator.get_context()
    print(f"Messages in context: {len(context.messages)}")
    for message in context.messages:
        print(f"  {message.role}: {message.content[:60]}")

    # Compact it by hand
    compacted = await orchestrator._context_coordinator.compact_context(context)
    print(f"After compaction: {len(compacted.messages)} messages")
    assert len(compacted.messages) < len(context.messages)

    # Start over (synchronous)
    orchestrator._context_coordinator.reset()
    print(f"After reset: {len(orchestrator._context_coordinator.get_context().messages)}")


if __name__ == "__main__":
    asyncio.run(context_management_example())
