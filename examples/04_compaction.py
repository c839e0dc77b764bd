"""Seed example 04: verbatim from the coordinator examples, globals supplied."""

from _globals import *  # noqa: F403  (settings, provider, model, your_db)

import asyncio
from victor.protocols import Context
from victor.agent.coordinators.context_coordinator import BaseCompactionStrategy
from victor.agent.orchestrator import AgentOrchestrator

class RecentMessagesCompactionStrategy(BaseCompactionStrategy):
    """Keep only the most recent N messages."""

    def __init__(self, keep_last_n: int = 10):
        self.keep_last_n = keep_last_n

    async def compact(self, context: Context) -> Context:
        """Compaction strategy: Keep only recent messages."""
        if len(context.messages) <= self.keep_last_n:
            return context  # No compaction needed

        # Keep system messages + recent messages
        system_messages = [m for m in context.messages if m.role == "system"]
        recent_messages = context.messages[-self.keep_last_n:]

        return Context(messages=system_messages + recent_messages)

class SemanticCompactionStrategy(BaseCompactionStrategy):
    """Use semantic similarity to keep important messages."""

    def __init__(self, embedding_service):
        self.embedding_service = embedding_service

    async def compact(self, context: Context) -> Context:
        """Compaction strategy: Keep semantically diverse messages."""
        if len(context.messages) <= 10:
            return context

        # Compute embeddings for all messages
        embeddings = await self._compute_embeddings(context.messages)

        # Select diverse messages using clustering
        selected_indices = await self._select_diverse_messages(
            context.messages,
            embeddings,
            target_count=10
        )

        selected_messages = [context.messages[i] for i in selected_indices]
        return Context(messages=selected_messages)

    async def _compute_embeddings(self, messages):
        # Simplified: use actual embedding service in practice
        return [self.embedding_service.embed(m.content) for m in messages]

    async def _select_diverse_messages(self, messages, embeddings, target_count):
        # Simplified: use k-means or similar in practice
        # For now, just return the last N messages
        return list(range(-target_count, 0))

class TaskAwareCompactionStrategy(BaseCompactionStrategy):
    """Keep messages relevant to the current task."""

    async def compact(self, context: Context) -> Context:
        """Compaction strategy: Keep task-relevant messages."""
        current_task = context.metadata.get("current_task")

        if not current_task:
            # No task identified, use default strategy
            return await self._default_compaction(context)

        # Keep task-relevant messages
        relevant_messages = [
            m for m in context.messages
            if self._is_relevant_to_task(m, current_task)
        ]

        # Always keep system messages
        system_messages = [m for m in context.messages if m.role == "system"]

        return Context(messages=system_messages + relevant_messages)

    def _is_relevant_to_task(self, message, task):
        """Check if message is relevant to the current task."""
        # Simplified: use keyword matching
        # In practice, use semantic similarity
        task_keywords = task.lower().split()
        message_content = message.content.lower()
        return any(keyword in message_content for keyword in task_keywords)

    async def _default_compaction(self, context):
        """Fallback to recent messages strategy."""
        if len(context.messages) <= 10:
            return context
        return Context(messages=context.messages[-10:])

async def custom_compaction_example():
    """Use custom compaction strategies."""

    # Step 1: Create custom compaction strategy
    recent_strategy = RecentMessagesCompactionStrategy(keep_last_n=15)

    # Step 2: Create context coordinator with custom strategy
    from victor.agent.coordinators import ContextCoordinator

    context_coordinator = ContextCoordinator(
        compaction_strategy=recent_strategy
    )

    # Step 3: Use with orchestrator
    orchestrator = AgentOrchestrator(
        settings=settings,
        provider=provider,
        model=model,
        _context_coordinator=context_coordinator
    )

    # Step 4: Use the orchestrator
    # Context will be automatically compacted when it exceeds thresholds
    response = await orchestrator.chat("Have a long conversation...")

if __name__ == "__main__":
    asyncio.run(custom_compaction_example())
