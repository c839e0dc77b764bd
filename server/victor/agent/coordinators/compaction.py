"""Compaction strategies and the invariants every compaction result must keep.

Strategies work on *units*: an assistant message that calls tools together with the tool
results answering it, or any other single message. Selecting units, never single messages,
is what keeps a tool result next to its call.

The context coordinator passes two metadata entries to strategies: ``token_budget`` (how many
tokens the messages may take) and ``token_counter`` (a TokenCounter). Strategies written
against the seed API may ignore both; the coordinator enforces the budget afterwards.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import replace

from victor.agent.tokens import TokenCounter
from victor.protocols import Context, ICompactionStrategy, IEmbeddingService, Message

log = logging.getLogger(__name__)


class BaseCompactionStrategy(ICompactionStrategy):
    """Base for compaction strategies (the seed's extension point).

    ``compact`` stays abstract: a subclass that does not define it cannot be instantiated
    (TypeError), instead of silently compacting nothing.
    """


# --------------------------------------------------------------------------- helpers


def group_units(messages: Sequence[Message]) -> list[list[Message]]:
    units: list[list[Message]] = []
    for message in messages:
        if message.role == "tool" and units and _is_tool_unit(units[-1]):
            units[-1].append(message)
        else:
            units.append([message])
    return units


def _is_tool_unit(unit: list[Message]) -> bool:
    return unit[0].role == "assistant" and bool(unit[0].tool_calls)


def flatten_units(units: Sequence[Sequence[Message]]) -> list[Message]:
    return [m for unit in units for m in unit]


def token_counter(context: Context) -> TokenCounter:
    counter = context.metadata.get("token_counter")
    return counter if isinstance(counter, TokenCounter) else TokenCounter()


def token_budget(context: Context) -> int | None:
    budget = context.metadata.get("token_budget")
    return int(budget) if isinstance(budget, int | float) else None


def keep_always(unit: list[Message]) -> bool:
    return any(m.pinned or m.role == "system" for m in unit)


def keep_recent_within(
    units: list[list[Message]], budget: int | None, counter: TokenCounter, keep_last: int
) -> list[list[Message]]:
    """Always-kept units plus the newest units that fit ``budget`` (at most ``keep_last``)."""
    fixed = [u for u in units if keep_always(u)]
    used = counter.messages(m for u in fixed for m in u)
    chosen: set[int] = {i for i, u in enumerate(units) if keep_always(u)}
    taken = 0
    for index in range(len(units) - 1, -1, -1):
        if index in chosen:
            continue
        cost = counter.messages(units[index])
        if taken >= keep_last or (budget is not None and used + cost > budget and taken > 0):
            break
        chosen.add(index)
        used += cost
        taken += 1
    return [u for i, u in enumerate(units) if i in chosen]


# --------------------------------------------------------------------------- strategies


class RecentMessagesCompactionStrategy(BaseCompactionStrategy):
    """Keep system and pinned messages plus the most recent ``keep_last_n`` units that fit."""

    name = "recent"

    def __init__(self, keep_last_n: int = 10) -> None:
        self.keep_last_n = keep_last_n

    async def compact(self, context: Context) -> Context:
        units = group_units(context.messages)
        kept = keep_recent_within(
            units, token_budget(context), token_counter(context), self.keep_last_n
        )
        return Context(messages=flatten_units(kept), metadata=dict(context.metadata))


class TaskAwareCompactionStrategy(BaseCompactionStrategy):
    """Keep messages that mention the current task's words, plus the latest ones.

    The task is ``metadata["current_task"]``, else the latest user message.
    """

    name = "task"

    def __init__(self, keep_recent: int = 6) -> None:
        self.keep_recent = keep_recent

    async def compact(self, context: Context) -> Context:
        task = context.metadata.get("current_task") or _last_user_text(context.messages)
        words = {w for w in _words(task) if len(w) > 2}
        units = group_units(context.messages)
        recent = keep_recent_within(units, None, token_counter(context), self.keep_recent)
        keep_ids = {id(u[0]) for u in recent}
        for unit in units:
            if words and any(words & _words(m.content) for m in unit):
                keep_ids.add(id(unit[0]))
        kept = [u for u in units if id(u[0]) in keep_ids]
        return Context(messages=flatten_units(kept), metadata=dict(context.metadata))


class SemanticCompactionStrategy(BaseCompactionStrategy):
    """Keep the units most similar to the latest user message, in their original order.

    ``embedding_service`` is pluggable; the built-in LexicalEmbedder compares words, not
    meaning, and is named so.
    """

    name = "semantic"

    def __init__(
        self, embedding_service: IEmbeddingService | None = None, target_count: int = 10
    ) -> None:
        if embedding_service is None:
            from victor.tools.embedding import LexicalEmbedder

            embedding_service = LexicalEmbedder()
        self.embedding_service = embedding_service
        self.target_count = target_count

    async def compact(self, context: Context) -> Context:
        units = group_units(context.messages)
        if len(units) <= self.target_count:
            return context
        query = self.embedding_service.embed(_last_user_text(context.messages))
        scored = []
        for index, unit in enumerate(units[:-2]):
            text = " ".join(m.content for m in unit)
            scored.append((_cosine(query, self.embedding_service.embed(text)), index))
        best = {i for _, i in sorted(scored, reverse=True)[: max(0, self.target_count - 2)]}
        best |= {len(units) - 2, len(units) - 1}
        kept = [u for i, u in enumerate(units) if i in best or keep_always(u)]
        return Context(messages=flatten_units(kept), metadata=dict(context.metadata))


# --------------------------------------------------------------------------- invariants


def enforce_invariants(
    original: Sequence[Message], compacted: Sequence[Message], budget: int, counter: TokenCounter
) -> list[Message]:
    """Make any strategy's result safe to send.

    Pinned and system messages that were dropped come back; tool results without their call
    and calls without their results are removed; the conversation starts with a user
    message; then old tool output is pruned, old units dropped, and long texts truncated
    until the messages fit ``budget``. Never raises.
    """
    present = {id(m) for m in compacted}
    restored = [m for m in original if (m.pinned or m.role == "system") and id(m) not in present]
    messages = _repair_tool_pairs(restored + list(compacted))
    messages = _start_with_user(messages)
    return fit_budget(messages, budget, counter)


def _repair_tool_pairs(messages: list[Message]) -> list[Message]:
    answered = {m.tool_call_id for m in messages if m.role == "tool"}
    called: set[str] = set()
    out: list[Message] = []
    for message in messages:
        if message.role == "assistant" and message.tool_calls:
            calls = [c for c in message.tool_calls if c.id in answered]
            if len(calls) != len(message.tool_calls):
                message = replace(message, tool_calls=calls, metadata=dict(message.metadata))
            called.update(c.id for c in calls)
            if not calls and not message.content.strip():
                continue
        elif message.role == "tool" and message.tool_call_id not in called:
            continue
        out.append(message)
    return out


def _start_with_user(messages: list[Message]) -> list[Message]:
    units = group_units(messages)
    while (
        len(units) > 1 and units[0][0].role not in ("user", "system") and not keep_always(units[0])
    ):
        units.pop(0)
    return flatten_units(units)


def prune_tool_output(messages: list[Message], keep_recent_units: int = 2) -> list[Message]:
    """Shorten the output of old tool results (cheapest loss: the model can re-run a tool)."""
    units = group_units(messages)
    cutoff = max(0, len(units) - keep_recent_units)
    out: list[Message] = []
    for index, unit in enumerate(units):
        for message in unit:
            if index < cutoff and message.role == "tool" and len(message.content) > 400:
                message = replace(
                    message,
                    content=message.content[:200]
                    + f"\n[tool output pruned: {len(message.content)} characters]",
                    metadata={"pruned": True},
                )
            out.append(message)
    return out


def fit_budget(messages: list[Message], budget: int, counter: TokenCounter) -> list[Message]:
    if counter.messages(messages) <= budget:
        return messages
    messages = prune_tool_output(messages)
    units = group_units(messages)
    # Drop the oldest droppable unit until it fits; the newest unit always stays.
    while counter.messages(flatten_units(units)) > budget:
        droppable = [i for i, u in enumerate(units[:-1]) if not keep_always(u)]
        if not droppable:
            break
        units.pop(droppable[0])
    messages = _start_with_user(flatten_units(units))
    # Still too big: truncate the longest texts (pinned included as the last resort).
    while counter.messages(messages) > budget:
        longest = max(range(len(messages)), key=lambda i: len(messages[i].content))
        text = messages[longest].content
        if len(text) < 200:
            break
        excess = counter.messages(messages) - budget
        keep = max(100, len(text) - int(excess * 4) - 100)
        head = text[: keep // 2]
        tail = text[-(keep // 2) :]
        messages[longest] = replace(
            messages[longest],
            content=f"{head}\n[... {len(text) - keep} characters cut to fit the context ...]\n"
            f"{tail}",
            metadata={},
        )
    return messages


# --------------------------------------------------------------------------- small utilities


def _last_user_text(messages: Sequence[Message]) -> str:
    for message in reversed(messages):
        if message.role == "user":
            return message.content
    return ""


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9_]+", text.lower()))


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def strategy_name(strategy: ICompactionStrategy) -> str:
    return getattr(strategy, "name", None) or type(strategy).__name__
