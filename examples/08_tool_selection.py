"""Seed example 08: tool selection strategies (globals supplied by _globals)."""

from _globals import *  # noqa: F403  (settings, provider, model, your_db)

import asyncio
import tempfile
from pathlib import Path

from victor.agent.orchestrator import AgentOrchestrator
from victor.config.settings import Settings


async def tool_selection_example():
    workspace = Path(tempfile.mkdtemp(prefix="victor-example-"))
    (workspace / "app.py").write_text("def main():\n    print('hello')\n")

    for strategy in ["keyword", "semantic", "hybrid"]:
        strategy_settings = Settings(
            tool_selection_strategy=strategy,
            tool_selection_hybrid_alpha=0.7,
            max_tools_per_request=2,
            data_dir=workspace / ".data",
        )
        orchestrator = AgentOrchestrator(
            settings=strategy_settings, provider=provider, model=model, workspace=workspace
        )
        tools = orchestrator._tool_coordinator.select_tools("read the file app.py")
        print(f"{strategy:8s} -> {[t.name for t in tools]}")
        assert tools and tools[0].name == "read_file"
        response = await orchestrator.chat("What does app.py do?")
        print(f"         answer: {response.content[:60]}")
        await orchestrator.aclose()


if __name__ == "__main__":
    asyncio.run(tool_selection_example())
