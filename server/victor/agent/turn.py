"""One chat turn of an AgentOrchestrator: config, prompt, compaction, the model and tools,
then persistence and analytics. Kept apart from the facade so each stays readable."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from victor.agent.agent_mode import review_note
from victor.agent.cache_keeper import CachedPrompt
from victor.agent.coordinators.chat_coordinator import TurnState
from victor.agent.coordinators.context_coordinator import without_editor_context
from victor.agent.coordinators.prompt_coordinator import Contribution
from victor.agent.coordinators.summary_compaction import ConversationPrefix
from victor.agent.editor_delta import editor_turn
from victor.agent.events import (
    AgentEvent,
    Compacted,
    CompactionReport,
    ToolResultReady,
    TurnDone,
    TurnStarted,
)
from victor.agent.turn_config import TurnConfig
from victor.protocols import EDITOR_CONTEXT, EDITOR_VIEWS, Message, ToolSpec
from victor.providers.base import ChatResponse, SystemPrompt
from victor.providers.errors import ProviderError

if TYPE_CHECKING:
    from victor.agent.agent_mode import AgentTurn
    from victor.agent.orchestrator import AgentOrchestrator

log = logging.getLogger(__name__)


async def run_turn(
    o: AgentOrchestrator,
    sid: str,
    text: str,
    prompt_context: dict[str, Any] | None,
    task: str,
    pinned: bool,
    agent: AgentTurn | None = None,
) -> AsyncIterator[AgentEvent]:
    """The events of one turn of session ``sid`` (its lock is held by the caller).

    Compaction: the session's stored context is compacted at most once per turn, when the
    request would pass the threshold, down to the target with room for the turn's messages
    (so at most one summary request per turn). Should the turn's own tool output overflow
    after that, the request is fitted for that round only, keeping the turn's question.
    """
    turn_id = uuid.uuid4().hex
    o._cache_keeper.cancel()  # this turn (or another session's) reads or replaces it
    yield TurnStarted(sid, turn_id)
    # Agent mode: what the user's review of the last turn decided, told before the question.
    text = await review_note(o, sid, text)
    if agent is not None:
        agent.begin(o, sid, turn_id)
    tool_coordinator = agent.tool_coordinator if agent is not None else o._tool_coordinator
    overrides = await o._config_coordinator.session_overrides(session_id=sid)
    config = TurnConfig.resolve(o.settings, o.model, overrides)
    system, editor = await turn_prompt(o, {**(prompt_context or {}), "task": task}, sid)
    # The strategy chooses which tools; the order is fixed here, in one place: the tool list
    # opens the prompt, and in the strategy's order (best first for this question) it
    # changed on almost every request, so the prompt cache missed from the first byte.
    tools = tool_coordinator.select_tools(
        text, enabled=config.enable_tools, limit=config.max_tools_per_request
    )
    if o.settings.prompt_layout != "legacy":  # legacy: as before, to measure against
        tools = sorted(tools, key=lambda spec: spec.name)
    contexts = o._context_coordinator
    overhead = contexts.counter.text(system) + contexts.counter.tools(tools)
    # The editor context travels with the question, beside what the user typed; earlier
    # turns stay as sent, so it refers to the texts they hold instead of repeating them
    # (editor_delta.py). ``fresh`` has every text in full: a compaction drops the snapshots
    # but the opening's (the one it keeps, if any), so it makes room for that and the
    # question then refers to what is left.
    user = _question(text, pinned, editor, contexts.held_views(sid))
    fresh = _question(text, pinned, editor, {})
    reports: list[CompactionReport] = []
    report = None
    # before the question when this turn would likely pass the threshold halfway (its tool
    # rounds): a compaction between rounds writes the question twice (expected_growth)
    growth = contexts.expected_growth(sid, overhead=overhead)
    if contexts.session_needs_compaction(sid, overhead=overhead, incoming=[user], growth=growth):
        prefix = o._last_request(sid, contexts.get_context(sid).messages)
        report = await compact_stored(o, sid, overhead, incoming=[fresh], force=True, prefix=prefix)
    if report is not None:
        user = _question(text, pinned, editor, contexts.held_views(sid))
        reports.append(report)
        yield Compacted(report)
    # The live list, not a copy (per-turn work must not grow with the session): it changes
    # only at the end of this turn (``contexts.append``, under the session's lock); a
    # compaction or a reset replaces the list instead.
    state = TurnState(history=contexts.get_context(sid).messages, new_messages=[user])
    history_tokens = contexts.session_tokens(sid)
    analytics = o._analytics_coordinator
    analytics.record(
        sid, "chat_start", turn_id=turn_id, model=config.model, task=task, tools=len(tools)
    )
    started = time.perf_counter()
    estimate = overhead + history_tokens + contexts.count([user])

    async def prepare(turn: TurnState) -> tuple[list[Message], int]:
        nonlocal history_tokens
        tokens = history_tokens + contexts.count(turn.new_messages)
        if overhead + tokens <= contexts.budget.trigger_tokens:
            return turn.history + turn.new_messages, tokens
        # Tool output piled up within the turn. The stored context is compacted once per
        # turn at most (with room for the turn so far); the rest is fitted per round.
        if not reports and turn.history:
            sent = ConversationPrefix(  # the last round's request, for the summary
                system,
                tuple(tools),
                (*turn.history, *turn.new_messages),
                config.model,
                turn_messages=len(turn.new_messages),
            )
            turn.new_messages[0] = fresh  # the snapshots it referred to are gone
            found = await compact_stored(
                o, sid, overhead, incoming=turn.new_messages, force=True, prefix=sent
            )
            if found is not None:
                reports.append(found)
                turn.new_messages[0] = _question(text, pinned, editor, contexts.held_views(sid))
                turn.history = list(contexts.get_context(sid).messages)
                history_tokens = contexts.session_tokens(sid)
                tokens = history_tokens + contexts.count(turn.new_messages)
                if overhead + tokens <= contexts.budget.trigger_tokens:
                    return turn.history + turn.new_messages, tokens
        # Fitting may leave earlier snapshots out of this request: the question goes in full.
        fitted = [fresh, *turn.new_messages[1:]]
        messages = contexts.fit_turn(turn.history, fitted, overhead=overhead)
        return messages, contexts.count(messages)

    events = o._chat_coordinator.run_turn(
        state,
        system=system,
        tools=tools,
        tool_coordinator=tool_coordinator,
        window=contexts.budget.window,
        overhead=overhead,
        prepare=prepare,
        model=config.model,
        max_tokens=config.max_tokens,
        max_rounds=agent.max_rounds if agent is not None else config.max_tool_rounds,
    )
    reported = len(reports)
    try:
        # aclosing: a consumer that stops early must close the upstream stream now,
        # not whenever the garbage collector finalizes the generator.
        async with contextlib.aclosing(events):
            async for event in events:
                while reported < len(reports):  # compacted within the turn (prepare)
                    yield Compacted(reports[reported])
                    reported += 1
                if isinstance(event, ToolResultReady):
                    analytics.record(sid, "tool_call", tool=event.name, is_error=event.is_error)
                yield event
    except (asyncio.CancelledError, GeneratorExit):
        if agent is not None:
            agent.cancelled()
        store_interrupted(o, sid, state, "cancelled")
        raise
    except ProviderError as exc:
        if agent is not None:
            agent.cancelled(f"the model request failed ({exc.kind})")
        analytics.record(sid, "error", kind=exc.kind, turn_id=turn_id)
        if state.partial_text or len(state.new_messages) > 1:
            store_interrupted(o, sid, state, exc.kind)
        raise
    extra: dict[str, object] = {}
    if agent is not None:
        extra["changes"] = await agent.finish()
    if state.usage.input_tokens:
        usage = state.usage
        actual = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
        contexts.counter.calibrate(estimate, actual)
    # The store keeps what the user typed: snapshots live in memory (they are file text,
    # and a session loaded from the store then gets the full text on its next turn).
    await o._session_coordinator.append(sid, without_editor_context(state.new_messages))
    contexts.append(sid, state.new_messages)
    usage = state.usage
    analytics.record(
        sid,
        "chat_end",
        turn_id=turn_id,
        model=config.model,
        rounds=state.rounds,
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
        **asdict(usage),  # input, output, cache read and cache write tokens
        stop_reason=state.stop_reason,
    )
    analytics.schedule_export()
    o._sent[sid] = (system, tuple(tools), config.model)
    cached = usage.cache_read_tokens + usage.cache_write_tokens
    keep_cache_warm(o, sid, system, tools, config.model, cached=cached)
    response = ChatResponse(
        content=state.content,
        usage=usage,
        stop_reason=state.stop_reason,
        model=config.model,
        tool_calls=[],
    )
    yield TurnDone(
        session_id=sid,
        turn_id=turn_id,
        response=response,
        context=contexts.usage(sid, overhead),
        compacted=bool(reports),
        tool_rounds=state.rounds,
        extra=extra,
    )


def keep_cache_warm(
    o: AgentOrchestrator,
    sid: str,
    system: SystemPrompt,
    tools: list[ToolSpec],
    model: str,
    *,
    cached: int,
) -> None:
    """After a turn: keep the session's cached prompt warm while the user is idle
    (cache_keeper.py), unless there is nothing to keep: the provider's API has no expiring
    cache, or the turn's requests cached nothing (``cached``: tokens read from or written to
    the cache; none below the model's minimum length). Also when the next turn compacts:
    its summary continues this conversation and reads it from the cache
    (summary_compaction.py)."""
    settings = o.settings
    # a provider of the library user's own need not derive from Provider (the seed API)
    lifetime = getattr(o.provider, "prompt_cache_lifetime", None)
    if settings.prompt_cache_keep_warm <= 0 or lifetime is None:
        return
    if settings.prompt_layout == "legacy":  # its prefix ends before the editor context
        return
    if not cached:
        return
    messages = tuple(o._context_coordinator.get_context(sid).messages)
    prompt = CachedPrompt(sid, messages, system, tuple(tools), model)
    every = min(settings.prompt_cache_keep_warm_after, lifetime - 10)
    o._cache_keeper.keep(prompt, o.provider, times=settings.prompt_cache_keep_warm, every=every)


async def turn_prompt(
    o: AgentOrchestrator, prompt_context: dict[str, Any], sid: str
) -> tuple[SystemPrompt, list[Contribution]]:
    """The system prompt of a turn and the editor contributions its user message carries.

    The turn layout: the system prompt holds what stays put (base prompt, rules, the
    workspace's style card), the editor context (file text, cursor, selection, diagnostics,
    the file's own card) goes with the new question, so tools, system prompt and earlier
    turns form a prefix the prompt cache reads on every turn. ``prompt_layout = "legacy"``
    keeps the earlier layout (editor context at the end of the system prompt) to measure
    against."""
    if o.settings.prompt_layout == "legacy":
        return (await o.build_system_prompt(prompt_context, session_id=sid)).system, []
    layout = await o.build_prompt(prompt_context, session_id=sid)
    return layout.system, layout.editor_contributions


def _question(text: str, pinned: bool, editor: list[Contribution], held: dict[str, str]) -> Message:
    """The turn's user message: what the user typed, with the editor context beside it
    (``EDITOR_CONTEXT``) and what the model holds once it is sent (``EDITOR_VIEWS``)."""
    metadata: dict[str, Any] = {}
    if editor:
        context = editor_turn(editor, held)
        metadata = {EDITOR_CONTEXT: context.text, EDITOR_VIEWS: context.views}
    return Message(role="user", content=text, pinned=pinned, metadata=metadata)


async def compact_stored(
    o: AgentOrchestrator,
    sid: str,
    overhead: int,
    *,
    incoming: list[Message] | None = None,
    force: bool = False,
    prefix: ConversationPrefix | None = None,
) -> CompactionReport | None:
    """Compact a session's stored context (memory and store); None if it was not needed.
    ``prefix``: the session's last request as sent, for a summary that continues it."""
    report = await o._context_coordinator.compact_session(
        sid, overhead=overhead, incoming=incoming or [], force=force, prefix=prefix
    )
    if report is None:
        return None
    o._sent.pop(sid, None)  # the context is no longer what the last request sent
    o._cache_keeper.cancel(sid)  # nor what a pending refresh would read
    messages = o._context_coordinator.get_context(sid).messages
    await o._session_coordinator.save_context(sid, messages, report.summary)
    o._analytics_coordinator.record(
        sid,
        "compaction",
        strategy=report.strategy,
        before_tokens=report.before_tokens,
        after_tokens=report.after_tokens,
        before_messages=report.before_messages,
        after_messages=report.after_messages,
    )
    return report


def store_interrupted(o: AgentOrchestrator, sid: str, state: TurnState, reason: str) -> None:
    """Keep what the user saw. Synchronous: this runs while the task is cancelled."""
    messages = state.interrupted_messages()
    messages[-1].metadata["interrupted_reason"] = reason
    try:
        o._session_coordinator.append_now(sid, without_editor_context(messages))
    except Exception:  # never mask the original error
        log.exception("could not store the interrupted turn")
        return
    o._context_coordinator.append(sid, messages)
    o._analytics_coordinator.record(sid, "interrupted", reason=reason)
