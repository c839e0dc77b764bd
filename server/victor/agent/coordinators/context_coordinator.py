"""ContextCoordinator: holds each session's working context and keeps it inside the window."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from victor.agent.coordinators.compaction import (
    BaseCompactionStrategy,
    RecentMessagesCompactionStrategy,
    SemanticCompactionStrategy,
    TaskAwareCompactionStrategy,
    enforce_invariants,
    strategy_name,
)
from victor.agent.coordinators.running_totals import RunningTotals, held_views
from victor.agent.coordinators.summary_compaction import (
    CONVERSATION_PREFIX,
    ConversationPrefix,
    SummarizationCompactionStrategy,
)
from victor.agent.events import CompactionReport, ContextUsage
from victor.agent.tokens import TokenCounter
from victor.protocols import (
    EDITOR_CONTEXT,
    EDITOR_VIEWS,
    Context,
    ICompactionStrategy,
    Message,
    opening_exchange,
)
from victor.providers.base import Provider

__all__ = [
    "BaseCompactionStrategy",
    "ContextBudget",
    "ContextCoordinator",
    "RecentMessagesCompactionStrategy",
    "SemanticCompactionStrategy",
    "SummarizationCompactionStrategy",
    "TaskAwareCompactionStrategy",
    "held_views",
]

log = logging.getLogger(__name__)
_DEFAULT_SESSION = "default"
# Metadata the coordinator hands strategies; not part of a compaction's result.
_WORKING_KEYS = ("token_budget", "token_counter", "context_window", CONVERSATION_PREFIX)


@dataclass(slots=True)
class ContextBudget:
    """Window arithmetic for one request.

    ``overhead`` is what every request carries besides messages (system prompt, tools).
    Compaction starts when ``overhead + messages`` passes ``threshold * window`` and aims at
    ``target * window``; ``reserve`` tokens stay free for the answer.
    """

    window: int
    threshold: float = 0.75
    target: float = 0.5
    reserve: int = 0

    @property
    def trigger_tokens(self) -> int:
        """Request size (overhead + messages) above which the session is compacted."""
        return min(int(self.window * self.threshold), self.window - self.reserve)

    def messages_target(self, overhead: int) -> int:
        """How many tokens the messages may take after a compaction.

        ``target * window - overhead``, but never less than half the room the threshold
        leaves the messages: a large system prompt (a big open buffer) must not squeeze the
        compacted conversation, and its summary, down to nothing."""
        half_the_room = (self.trigger_tokens - overhead) // 2
        return max(64, int(self.window * self.target) - overhead, half_the_room)


class ContextCoordinator:
    """Per-session message contexts, token accounting and automatic compaction.

    One check decides when to compact (``needs_compaction``: overhead + the session's
    context + the incoming messages past ``budget.trigger_tokens``), and a compaction
    replaces the session's stored context (``compact_session``) down to the target, leaving
    room for the incoming messages; requests are then built from that context, so the model
    never sees a compacted and an uncompacted history on alternate turns.

    The strategy decides *what* to keep; the coordinator guarantees the invariants whatever
    the strategy returns (see ``enforce_invariants``): pinned and system messages stay, tool
    results stay with their calls, and the result fits the budget. When the strategy raises,
    a recent-messages fallback runs, so compaction never fails a turn.
    """

    def __init__(
        self,
        compaction_strategy: ICompactionStrategy | None = None,
        *,
        threshold: float | None = None,
        target: float | None = None,
        window: int | None = None,
        counter: TokenCounter | None = None,
        fallback_strategy: ICompactionStrategy | None = None,
    ) -> None:
        self.compaction_strategy = compaction_strategy
        self.fallback_strategy = fallback_strategy or RecentMessagesCompactionStrategy(8)
        self.counter = counter or TokenCounter()
        self._threshold = threshold
        self._target = target
        self.budget = ContextBudget(window or 200_000, threshold or 0.75, target or 0.5)
        self._contexts: dict[str, Context] = {}
        # session -> running token total and held editor views of its context: per-turn
        # bookkeeping must not walk a 10k-message history (bench/bench_context.py)
        self._running: dict[str, RunningTotals] = {}
        self._current = _DEFAULT_SESSION
        self._reset_listeners: list[Callable[[str], None]] = []

    # ------------------------------------------------------------------ configuration

    def configure(self, *, window: int, threshold: float, target: float, reserve: int = 0) -> None:
        """Apply settings; explicit constructor arguments win over them."""
        self.budget = ContextBudget(
            window=window,
            threshold=self._threshold if self._threshold is not None else threshold,
            target=self._target if self._target is not None else target,
            reserve=reserve,
        )

    # ------------------------------------------------------------------ contexts

    @property
    def current_session(self) -> str:
        """The session the last turn used (``get_context()`` without an id reads it)."""
        return self._current

    def set_current(self, session_id: str) -> None:
        """Make ``session_id`` the current session (the orchestrator does, at each turn)."""
        self._current = session_id
        if session_id in self._contexts:  # most recently used last (see evict_idle)
            self._contexts[session_id] = self._contexts.pop(session_id)

    def evict_idle(self, keep: set[str], max_sessions: int) -> list[str]:
        """Forget the working contexts of the least recently used sessions beyond
        ``max_sessions``, except those in ``keep``; they are loaded again from the store
        when next used. Bounds a long-lived daemon's memory."""
        evicted: list[str] = []
        for sid in list(self._contexts):
            if len(self._contexts) <= max_sessions:
                break
            if sid not in keep and sid != self._current:
                self.forget(sid)
                evicted.append(sid)
        return evicted

    def has_session(self, session_id: str) -> bool:
        """Whether the session's working context is in memory."""
        return session_id in self._contexts

    def load(self, session_id: str, messages: list[Message]) -> None:
        """Set a session's working context (the orchestrator loads it from the store)."""
        self._contexts[session_id] = Context(messages=list(messages))
        self._running.pop(session_id, None)

    def get_context(self, session_id: str | None = None) -> Context:
        """A session's working context (the current session's by default); the live
        object, not a copy."""
        sid = session_id or self._current
        return self._contexts.setdefault(sid, Context())

    def append(self, session_id: str, messages: list[Message]) -> None:
        """Add messages at the end of a session's working context (the running totals
        take them in when next read)."""
        self.get_context(session_id).messages.extend(messages)

    def reset(self, session_id: str | None = None) -> None:
        """Start a session's conversation over (the current session by default).

        Its working context becomes empty and stays so: the next turn of that session sends
        no earlier messages, and the orchestrator records the empty context in the session
        store (see ``on_reset``), so a restart does not bring them back either. The stored
        transcript is kept (``victor/sessions/get`` still shows it); to delete it use
        ``SessionCoordinator.reset_session``.
        """
        sid = session_id or self._current
        self._contexts[sid] = Context()
        self._running.pop(sid, None)
        for callback in self._reset_listeners:
            callback(sid)

    def on_reset(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(session_id)`` whenever ``reset`` starts a session over."""
        self._reset_listeners.append(callback)

    def forget(self, session_id: str) -> None:
        """Drop a session's working context from memory; it is loaded again (from the
        store) when the session is next used."""
        self._contexts.pop(session_id, None)
        self._running.pop(session_id, None)

    def forget_all(self) -> None:
        """Drop every working context from memory."""
        self._contexts.clear()
        self._running.clear()

    # ------------------------------------------------------------------ accounting

    def count(self, messages: Sequence[Message]) -> int:
        """Estimated tokens of ``messages``."""
        return self.counter.messages(messages)

    def session_tokens(self, session_id: str | None = None) -> int:
        """Tokens of a session's context, from a running total (``count`` of its messages;
        recounted only when the message list was rewritten behind the coordinator's back)."""
        running = self._caught_up(session_id or self._current)
        return self.counter.from_raw(running.raw, running.length)

    def held_views(self, session_id: str | None = None) -> dict[str, str]:
        """The editor sections the model holds in a session's context (``held_views`` of
        its messages), kept up to date as messages are appended."""
        return self._caught_up(session_id or self._current).views

    def _caught_up(self, sid: str) -> RunningTotals:
        """The session's running totals with the messages appended since they were last
        read taken in (all of them when the list was replaced or rewritten)."""
        messages = self.get_context(sid).messages
        running = self._running.get(sid)
        if running is None or not running.follows(messages):
            running = self._running[sid] = RunningTotals(messages)
        running.take_in(self.counter)
        return running

    def usage(self, session_id: str | None = None, overhead: int = 0) -> ContextUsage:
        """How full the window is with a session's context plus ``overhead``."""
        tokens = overhead + self.session_tokens(session_id)
        return ContextUsage(tokens=tokens, window=self.budget.window)

    def needs_compaction(self, messages: Sequence[Message], overhead: int = 0) -> bool:
        """The one trigger check: would a request of ``overhead`` + ``messages`` pass the
        compaction threshold?"""
        return overhead + self.count(messages) > self.budget.trigger_tokens

    def session_needs_compaction(
        self,
        session_id: str,
        *,
        overhead: int = 0,
        incoming: Sequence[Message] = (),
        growth: int = 0,
    ) -> bool:
        """``needs_compaction`` for a session's context followed by ``incoming`` (the
        turn's new messages) and ``growth`` more tokens (``expected_growth``), from the
        running total."""
        tokens = overhead + self.session_tokens(session_id) + self.count(incoming) + growth
        return tokens > self.budget.trigger_tokens

    def expected_growth(self, session_id: str, *, overhead: int = 0, turns: int = 8) -> int:
        """What the session's next turn will likely send after its question: the most that
        one of its last ``turns`` turns added before its final answer (tool calls and their
        results; the final answer is not sent within its turn).

        A turn that passes the threshold halfway is compacted between two of its rounds:
        its question is written to the cache twice (as asked, then with every text in full
        once the views it referred to are summarized), and its rounds before the compaction
        read the whole uncompacted history. Compacting at the start of the turn that will
        likely pass it avoids both. At most half the room between the compaction target
        and the trigger, so a compaction is never followed by another on the next turn
        because one earlier turn was large. Walks back over those turns only."""
        messages = self.get_context(session_id).messages
        most = growth = seen = 0
        answered = False  # walking back: the turn's final answer was passed
        for message in reversed(messages):
            if message.role == "user":  # a question (or a summary note) opened that turn
                most, growth, seen, answered = max(most, growth), 0, seen + 1, False
                if seen >= turns:
                    break
            elif message.role == "assistant" and not answered:
                answered = True
            else:
                growth += self.counter.message(message)
        room = self.budget.trigger_tokens - overhead - self.budget.messages_target(overhead)
        return min(most, max(0, room // 2))

    # ------------------------------------------------------------------ compaction

    async def compact_context(
        self,
        context: Context | None = None,
        *,
        overhead: int = 0,
        budget: int | None = None,
        strategy: ICompactionStrategy | None = None,
    ) -> Context:
        """Compact ``context`` (the current session's by default) with the strategy.

        The messages are brought within ``budget`` tokens (default: the target minus
        ``overhead``). Returns a new Context; the coordinator's own state is not changed
        (see ``compact_session`` for that).
        """
        ctx = context if context is not None else self.get_context()
        if budget is None:
            budget = self.budget.messages_target(overhead)
        working = Context(
            messages=list(ctx.messages),
            metadata={
                **ctx.metadata,
                "token_budget": budget,
                "token_counter": self.counter,
                "context_window": self.budget.window,
            },
        )
        strategy = strategy or self.compaction_strategy or self.fallback_strategy
        try:
            result = await strategy.compact(working)
            name = str(result.metadata.get("strategy") or strategy_name(strategy))
        except Exception as exc:
            log.warning(
                "compaction strategy %s failed (%s); using fallback", strategy_name(strategy), exc
            )
            result = await self.fallback_strategy.compact(working)
            name = strategy_name(self.fallback_strategy)
        messages = enforce_invariants(ctx.messages, result.messages, budget, self.counter)
        metadata = {k: v for k, v in result.metadata.items() if k not in _WORKING_KEYS}
        metadata["strategy"] = name
        return Context(messages=messages, metadata=metadata)

    async def compact_session(
        self,
        session_id: str,
        *,
        overhead: int = 0,
        incoming: Sequence[Message] = (),
        force: bool = True,
        strategy: ICompactionStrategy | None = None,
        prefix: ConversationPrefix | None = None,
    ) -> CompactionReport | None:
        """Compact a session's working context in place; None if nothing was needed.

        Without ``force`` it compacts only when ``session_needs_compaction`` says so. The
        context is brought down to the target minus ``incoming`` (the messages about to be
        appended), so the request that follows sits at the target, well below the threshold,
        and the next turns grow from there. ``strategy`` overrides the configured one.
        ``prefix`` is the session's last request as sent, for a summary that continues it
        (summary_compaction.py).
        """
        ctx = self.get_context(session_id)
        if not force and not self.session_needs_compaction(
            session_id, overhead=overhead, incoming=incoming
        ):
            return None
        before_tokens = self.session_tokens(session_id)
        budget = max(64, self.budget.messages_target(overhead) - self.count(incoming))
        # The history is rewritten, so the prompt cache misses from the opening exchange on
        # whatever is kept: drop the later turns' editor snapshots now (stale file text),
        # then let the strategy compact the rest, decisively. Only shortening old tool
        # output (no model call) often just fits the target: the whole history is written to
        # the cache again at 1.25x, every later turn reads more, and the next compaction
        # comes sooner. The cost bench measured 5-10% more per session that way
        # (docs/design.md, "Compaction"). The opening keeps its snapshot: kept verbatim
        # (summary strategy), it stays a cached prefix, and the editor views the model holds
        # are then its own (the next turn sends what changed since).
        metadata = {**ctx.metadata, CONVERSATION_PREFIX: prefix} if prefix else ctx.metadata
        opening = opening_exchange(ctx.messages)
        messages = [*ctx.messages[:opening], *without_editor_context(ctx.messages[opening:])]
        source = Context(messages=messages, metadata=metadata)
        new = await self.compact_context(source, budget=budget, strategy=strategy)
        self._contexts[session_id] = Context(messages=new.messages, metadata={})
        self._running.pop(session_id, None)
        return CompactionReport(
            before_messages=len(ctx.messages),
            before_tokens=before_tokens,
            after_messages=len(new.messages),
            after_tokens=self.session_tokens(session_id),
            strategy=str(new.metadata.get("strategy", "")),
            summary=new.metadata.get("summary"),
        )

    def fit_turn(
        self, history: Sequence[Message], turn: Sequence[Message], *, overhead: int = 0
    ) -> list[Message]:
        """The messages of a request whose own turn (question, tool calls and results)
        overflows the window: older tool output pruned, then old units dropped and long
        texts cut, down to the target. The turn's question (``turn[0]``) is pinned for this
        request, so it always survives. The stored context is not changed."""
        if not turn:
            return list(history)
        question = replace(turn[0], pinned=True, metadata=dict(turn[0].metadata))
        messages = [*history, question, *turn[1:]]
        budget = self.budget.messages_target(overhead)
        return enforce_invariants(messages, messages, budget, self.counter)


def without_editor_context(messages: Sequence[Message]) -> list[Message]:
    """``messages`` with their editor snapshots dropped (new objects where one was dropped):
    what the store keeps, and what a compaction starts from (it rewrites the history anyway,
    so the next turn sends the editor's text in full again; docs/design.md, "Prompt
    layout")."""
    out = []
    for m in messages:
        if EDITOR_CONTEXT in m.metadata or EDITOR_VIEWS in m.metadata:
            metadata = {
                k: v for k, v in m.metadata.items() if k not in (EDITOR_CONTEXT, EDITOR_VIEWS)
            }
            m = replace(m, metadata=metadata)
        out.append(m)
    return out


def strategy_for(name: str, provider: Provider, model: str) -> ICompactionStrategy:
    """The built-in strategy a ``compaction_strategy`` setting names."""
    if name == "recent":
        return RecentMessagesCompactionStrategy()
    if name == "task":
        return TaskAwareCompactionStrategy()
    return SummarizationCompactionStrategy(provider, model)
