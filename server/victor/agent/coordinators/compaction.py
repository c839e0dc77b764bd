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
from victor.providers.base import Provider, SystemPrompt

log = logging.getLogger(__name__)

SUMMARY_PREFIX = "[Summary of the earlier conversation]"
#: Fewest answer tokens worth paying a summary request for (a short bullet list); with less
#: room than this in the compacted context, the fallback strategy runs instead (no model call).
MIN_SUMMARY_TOKENS = 128
MAX_SUMMARY_TOKENS = 1024
SUMMARY_SYSTEM_PROMPT = (
    "Summarize this conversation between a user and a coding assistant so it can continue "
    "without the original. Keep decisions, file names, code identifiers, open questions and "
    "the user's preferences. Be concise; use bullet points."
)
#: Characters per token assumed when sizing the summary request's transcript (conservative:
#: the token counter's estimate is 3.6, real tokenizers go lower on code).
_SUMMARY_CHARS_PER_TOKEN = 3.0
_SUMMARY_LINE_CHARS = 1500


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


def _flatten(units: Sequence[Sequence[Message]]) -> list[Message]:
    return [m for unit in units for m in unit]


def _counter(context: Context) -> TokenCounter:
    counter = context.metadata.get("token_counter")
    return counter if isinstance(counter, TokenCounter) else TokenCounter()


def _budget(context: Context) -> int | None:
    budget = context.metadata.get("token_budget")
    return int(budget) if isinstance(budget, int | float) else None


def _keep_always(unit: list[Message]) -> bool:
    return any(m.pinned or m.role == "system" for m in unit)


def keep_recent_within(
    units: list[list[Message]], budget: int | None, counter: TokenCounter, keep_last: int
) -> list[list[Message]]:
    """Always-kept units plus the newest units that fit ``budget`` (at most ``keep_last``)."""
    fixed = [u for u in units if _keep_always(u)]
    used = counter.messages(m for u in fixed for m in u)
    chosen: set[int] = {i for i, u in enumerate(units) if _keep_always(u)}
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
        kept = keep_recent_within(units, _budget(context), _counter(context), self.keep_last_n)
        return Context(messages=_flatten(kept), metadata=dict(context.metadata))


class SummarizationCompactionStrategy(BaseCompactionStrategy):
    """Replace older messages with an LLM-written summary; keep the recent ones verbatim.

    If the summary request fails for any reason, ``fallback`` runs instead (recent messages
    by default) and the result's ``metadata["strategy"]`` says so.
    """

    name = "summarize"

    def __init__(
        self,
        provider: Provider,
        model: str,
        *,
        recent_share: float = 0.5,
        keep_last_n: int = 12,
        fallback: ICompactionStrategy | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.recent_share = recent_share
        self.keep_last_n = keep_last_n
        self.fallback = fallback or RecentMessagesCompactionStrategy(keep_last_n)

    async def compact(self, context: Context) -> Context:
        counter, budget = _counter(context), _budget(context)
        units = group_units(context.messages)
        recent_budget = int(budget * self.recent_share) if budget else None
        recent = keep_recent_within(units, recent_budget, counter, self.keep_last_n)
        recent_ids = {id(u[0]) for u in recent}
        older = [u for u in units if id(u[0]) not in recent_ids]
        if not older:
            return Context(messages=_flatten(recent), metadata=dict(context.metadata))
        try:
            summary = await self._summarize(_flatten(older), context)
        except Exception as exc:  # the user keeps chatting even when the summary fails
            log.warning("summary failed, falling back to %s: %s", _name(self.fallback), exc)
            result = await self.fallback.compact(context)
            result.metadata["strategy"] = _name(self.fallback)
            result.metadata["fallback_reason"] = str(exc)
            return result
        note = Message(
            role="user", content=f"{SUMMARY_PREFIX}\n{summary}", metadata={"kind": "summary"}
        )
        fixed = [u for u in recent if _keep_always(u)]
        rest = [u for u in recent if not _keep_always(u)]
        messages = _flatten(fixed) + [note] + _flatten(rest)
        return Context(
            messages=messages,
            metadata={**context.metadata, "strategy": self.name, "summary": summary},
        )

    async def _summarize(self, older: list[Message], context: Context) -> str:
        budget = _budget(context)
        if budget is not None and budget < MIN_SUMMARY_TOKENS:
            # No room for a useful summary in the compacted context: not worth a paid call.
            raise ValueError(f"only {budget} tokens left for the summary")
        # About half the budget: the other half keeps the recent messages verbatim.
        max_tokens = max(MIN_SUMMARY_TOKENS, min(MAX_SUMMARY_TOKENS, (budget or 4096) // 2))
        # The summary request is a request of its own: what it reads is bounded by the
        # window (minus its answer), not by the budget of the compacted context.
        window = context.metadata.get("context_window")
        window = int(window) if isinstance(window, int | float) else max(8000, budget or 0)
        reading_tokens = max(MIN_SUMMARY_TOKENS, window - max_tokens - 400)
        transcript = summary_transcript(older, int(reading_tokens * _SUMMARY_CHARS_PER_TOKEN))
        if not transcript.strip():
            # Never send an empty message (the API rejects it); the fallback needs no model.
            raise ValueError("nothing to summarize")
        response = await self.provider.chat(
            [Message(role="user", content=transcript)],
            model=self.model,
            # A one-off request: no prompt cache breakpoints (a write costs 1.25x, and
            # nothing reads this transcript again).
            system=SystemPrompt(SUMMARY_SYSTEM_PROMPT, cacheable=False),
            max_tokens=max_tokens,
        )
        if not response.content.strip():
            raise ValueError("the model returned an empty summary")
        return response.content.strip()


def summary_transcript(messages: Sequence[Message], max_chars: int) -> str:
    """The newest messages as ``ROLE: text`` lines within ``max_chars``.

    Each message is capped at 1500 characters; the oldest line that does not fit whole is
    cut to the room left, so one long message never empties the transcript.
    """
    lines: list[str] = []
    used = 0
    for message in reversed(messages):
        text = message.content
        if message.tool_calls:
            text += " " + ", ".join(f"[called {c.name}]" for c in message.tool_calls)
        text = text.strip()
        if not text:
            continue
        if len(text) > _SUMMARY_LINE_CHARS:
            text = text[:_SUMMARY_LINE_CHARS] + " [...]"
        line = f"{message.role.upper()}: {text}"
        room = max_chars - used - (2 if lines else 0)
        if len(line) > room:
            if room >= 80:  # a cut line still tells the summary something
                lines.append(line[: room - 6] + " [...]")
            break
        lines.append(line)
        used += len(line) + (2 if len(lines) > 1 else 0)
    return "\n\n".join(reversed(lines))


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
        recent = keep_recent_within(units, None, _counter(context), self.keep_recent)
        keep_ids = {id(u[0]) for u in recent}
        for unit in units:
            if words and any(words & _words(m.content) for m in unit):
                keep_ids.add(id(unit[0]))
        kept = [u for u in units if id(u[0]) in keep_ids]
        return Context(messages=_flatten(kept), metadata=dict(context.metadata))


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
        kept = [u for i, u in enumerate(units) if i in best or _keep_always(u)]
        return Context(messages=_flatten(kept), metadata=dict(context.metadata))


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
        len(units) > 1 and units[0][0].role not in ("user", "system") and not _keep_always(units[0])
    ):
        units.pop(0)
    return _flatten(units)


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
    while counter.messages(_flatten(units)) > budget:
        droppable = [i for i, u in enumerate(units[:-1]) if not _keep_always(u)]
        if not droppable:
            break
        units.pop(droppable[0])
    messages = _start_with_user(_flatten(units))
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


def _name(strategy: ICompactionStrategy) -> str:
    return getattr(strategy, "name", None) or type(strategy).__name__
