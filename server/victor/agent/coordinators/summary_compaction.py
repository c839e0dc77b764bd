"""The summary compaction strategy: older messages replaced by a summary the model writes.

The summary request continues the conversation when it can: the session's last request
(same system prompt, tools and messages, as sent) with one more user message asking for the
summary. The prompt cache (Anthropic) or the server's KV cache (vLLM, llama.cpp, Ollama) then
reads the conversation instead of processing a transcript of it again: on Anthropic about a
tenth of the price of the transcript request; on a local server seconds instead of a full
prefill. The model also sees the conversation whole (tool results, code), not a transcript cut
to 1500 characters a message. When there is no such request to continue (a session loaded
from the store, another model, no room left in the window) or the model answers with a tool
call instead of a summary, a transcript of the older messages goes in a request of its own,
without cache breakpoints (a one-off).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from victor.agent.coordinators.compaction import (
    BaseCompactionStrategy,
    RecentMessagesCompactionStrategy,
    flatten_units,
    group_units,
    keep_always,
    keep_recent_within,
    strategy_name,
    token_budget,
    token_counter,
)
from victor.protocols import (
    SUMMARY_KIND,
    Context,
    ICompactionStrategy,
    Message,
    ToolSpec,
    opening_exchange,
    stable_head,
)
from victor.providers.base import Provider, SystemPrompt
from victor.providers.errors import ContextTooLongError, InvalidRequestError

__all__ = [
    "CONVERSATION_PREFIX",
    "SUMMARY_PREFIX",
    "SUMMARY_REQUEST_START",
    "SUMMARY_SYSTEM_PROMPT",
    "ConversationPrefix",
    "SummarizationCompactionStrategy",
    "summary_transcript",
]

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

#: The metadata key under which the context coordinator hands the strategy the request to
#: continue (a ConversationPrefix).
CONVERSATION_PREFIX = "conversation_prefix"
#: What the continued conversation's last user message asks; its first words mark a summary
#: request in the recorded requests of the benchmarks.
SUMMARY_REQUEST_START = "Before we go on: this conversation is about to be shortened"
SUMMARY_REQUEST = (
    SUMMARY_REQUEST_START + ", so summarize it for the "
    "assistant that continues it without the original. Keep decisions, file names, code "
    "identifiers, open questions and the user's preferences. {kept}Be concise; use bullet "
    "points. Do not call tools: answer with the summary only."
)


@dataclass(frozen=True, slots=True)
class ConversationPrefix:
    """A session's last request as it was sent: what a summary request continues."""

    system: str
    tools: tuple[ToolSpec, ...]
    messages: tuple[Message, ...]
    model: str
    #: how many of ``messages`` are the current turn's (its question, tool calls and results:
    #: kept after the compaction, like the recent messages)
    turn_messages: int = 0


class SummarizationCompactionStrategy(BaseCompactionStrategy):
    """Replace older messages with an LLM-written summary; keep the recent ones verbatim,
    and the stable head too (the opening exchange and earlier compactions' summaries,
    ``stable_head``) while it takes at most ``head_share`` of the budget and fits beside
    the recent messages and the summary: the new summary goes after the earlier ones.

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
        head_share: float = 1 / 3,
        fallback: ICompactionStrategy | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.recent_share = recent_share
        self.head_share = head_share
        self.keep_last_n = keep_last_n
        self.fallback = fallback or RecentMessagesCompactionStrategy(keep_last_n)

    async def compact(self, context: Context) -> Context:
        counter, budget = token_counter(context), token_budget(context)
        units = group_units(context.messages)
        recent_budget = int(budget * self.recent_share) if budget else None
        for head in self._heads(units, context):  # the longest that leaves room
            rest_units = units[len(head) :]
            recent = keep_recent_within(rest_units, recent_budget, counter, self.keep_last_n)
            if not head or budget is None:
                break
            room = budget - summary_limit(budget) - counter.messages(flatten_units(recent))
            if counter.messages(flatten_units(head)) <= room:
                break
        recent_ids = {id(u[0]) for u in recent}
        older = [u for u in rest_units if id(u[0]) not in recent_ids]
        if not older:
            kept = flatten_units(head) + flatten_units(recent)
            return Context(messages=kept, metadata=dict(context.metadata))
        try:
            summary = await self._summarize(
                flatten_units(older),
                context,
                kept=len(flatten_units(recent)),
                head=len(flatten_units(head)),
            )
        except Exception as exc:  # the user keeps chatting even when the summary fails
            log.warning("summary failed, falling back to %s: %s", strategy_name(self.fallback), exc)
            result = await self.fallback.compact(context)
            result.metadata["strategy"] = strategy_name(self.fallback)
            result.metadata["fallback_reason"] = str(exc)
            return result
        note = Message(
            role="user", content=f"{SUMMARY_PREFIX}\n{summary}", metadata={"kind": SUMMARY_KIND}
        )
        fixed = [u for u in recent if keep_always(u)]
        rest = [u for u in recent if not keep_always(u)]
        messages = flatten_units(head) + flatten_units(fixed) + [note] + flatten_units(rest)
        return Context(
            messages=messages,
            metadata={**context.metadata, "strategy": self.name, "summary": summary},
        )

    def _heads(self, units: list[list[Message]], context: Context) -> list[list[list[Message]]]:
        """What may stay as it is at the start, longest first, within ``head_share`` of
        the budget: the stable head (the opening exchange and earlier summaries,
        ``protocols.stable_head``), the opening exchange alone (the earlier summaries are
        then summarized again, into one), nothing. ``compact`` takes the first that leaves
        room for the recent messages and the summary."""
        counts = dict.fromkeys((stable_head(context.messages), opening_exchange(context.messages)))
        heads = [self._leading_units(units, count, context) for count in counts]
        return [head for head in heads if head] + [[]]

    def _leading_units(
        self, units: list[list[Message]], count: int, context: Context
    ) -> list[list[Message]]:
        """The first units holding exactly ``count`` messages, if they may stay verbatim."""
        if not count:
            return []
        taken, size = [], 0
        for unit in units:
            if size >= count:
                break
            taken.append(unit)
            size += len(unit)
        if size != count or any(keep_always(u) for u in taken):
            return []
        budget = token_budget(context)
        if budget is not None:
            tokens = token_counter(context).messages(flatten_units(taken))
            if tokens > budget * self.head_share:
                return []
        return taken

    async def _summarize(
        self, older: list[Message], context: Context, *, kept: int, head: int = 0
    ) -> str:
        budget = token_budget(context)
        if budget is not None and budget < MIN_SUMMARY_TOKENS:
            # No room for a useful summary in the compacted context: not worth a paid call.
            raise ValueError(f"only {budget} tokens left for the summary")
        max_tokens = summary_limit(budget)
        # The summary request is a request of its own: what it reads is bounded by the
        # window (minus its answer), not by the budget of the compacted context.
        window = context.metadata.get("context_window")
        window = int(window) if isinstance(window, int | float) else max(8000, budget or 0)
        prefix = context.metadata.get(CONVERSATION_PREFIX)
        if isinstance(prefix, ConversationPrefix) and prefix.model == self.model:
            try:
                return await self._continue(prefix, context, kept, head, window, max_tokens)
            except (_NoContinuation, ContextTooLongError, InvalidRequestError) as exc:
                # what the transcript request does not share; an API that is down or a key
                # that is refused fails it too, so those go to the fallback strategy
                log.info("summary from a transcript: %s", exc)
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

    async def _continue(
        self,
        prefix: ConversationPrefix,
        context: Context,
        kept: int,
        head: int,
        window: int,
        limit: int,
    ) -> str:
        """The summary as the next answer of the conversation (see the module's doc)."""
        counter = token_counter(context)
        ask = SUMMARY_REQUEST.format(kept=kept_note(head, kept + prefix.turn_messages))
        messages = [*prefix.messages, Message(role="user", content=ask)]
        size = counter.text(prefix.system) + counter.tools(prefix.tools)
        size += counter.messages(messages)
        if size + limit > window:
            raise _NoContinuation(f"the conversation ({size} tokens) leaves no room to answer")
        response = await self.provider.chat(
            messages,
            model=prefix.model,
            # reads what the last request wrote; its tail is replaced by the compaction
            system=SystemPrompt.continuing(prefix.system),
            tools=prefix.tools,
            max_tokens=limit,
        )
        if response.tool_calls or not response.content.strip():
            raise _NoContinuation("the model did not answer with a summary")
        return response.content.strip()


def summary_limit(budget: int | None) -> int:
    """The summary's max_tokens: about half the budget (the other half keeps the recent
    messages verbatim), within MIN_SUMMARY_TOKENS..MAX_SUMMARY_TOKENS."""
    return max(MIN_SUMMARY_TOKENS, min(MAX_SUMMARY_TOKENS, (budget or 4096) // 2))


def kept_note(first: int, latest: int) -> str:
    """What the summary request says stays verbatim, so the summary covers the rest."""
    if first and latest:
        return (
            f"The first {first} and the latest {latest} messages stay as they are; the "
            "summary is for what came between them, and for what the whole conversation "
            "decided. "
        )
    if first:
        return (
            f"The first {first} messages stay as they are; the summary is for what came "
            "after them, and for what the whole conversation decided. "
        )
    if latest:
        return (
            f"The latest {latest} messages stay as they are; the summary is for what came "
            "before them, and for what the whole conversation decided. "
        )
    return ""


class _NoContinuation(Exception):
    """The conversation cannot be continued for its summary: use a transcript."""


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
