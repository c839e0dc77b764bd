"""Seed example 09: session management (globals supplied by _globals)."""

from _globals import *  # noqa: F403  (settings, provider, model, your_db)

import asyncio

from victor.agent.orchestrator import AgentOrchestrator


async def session_example():
    orchestrator = AgentOrchestrator(settings=settings, provider=provider, model=model)

    # Two users, two isolated sessions
    await orchestrator.chat("My name is Ada.", session_id="session-ada")
    await orchestrator.chat("My name is Linus.", session_id="session-linus")
    await orchestrator.chat("What is my name?", session_id="session-ada")

    ada = await orchestrator._analytics_coordinator.get_session_analytics("session-ada")
    linus = await orchestrator._analytics_coordinator.get_session_analytics("session-linus")
    print(f"session-ada events: {len(ada.events)}, session-linus events: {len(linus.events)}")
    assert len(ada.events) > len(linus.events)

    ada_context = orchestrator._context_coordinator.get_context("session-ada")
    assert all("Linus" not in m.content for m in ada_context.messages)

    # Reset one session (synchronous); the other is untouched
    orchestrator._session_coordinator.reset_session("session-ada")
    print(
        f"after reset: {len(orchestrator._context_coordinator.get_context('session-ada').messages)}"
        f" / {len(orchestrator._context_coordinator.get_context('session-linus').messages)}"
    )


if __name__ == "__main__":
    asyncio.run(session_example())
