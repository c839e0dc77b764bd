"""AgentOrchestrator: the facade over Victor's coordinators."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

from victor.agent.coordinators import (
    AnalyticsCoordinator,
    ChatCoordinator,
    ConfigCoordinator,
    ContextCoordinator,
    PromptCoordinator,
    SessionCoordinator,
    SummarizationCompactionStrategy,
    ToolCoordinator,
)
from victor.agent.coordinators.chat_coordinator import TurnState
from victor.agent.coordinators.context_coordinator import strategy_for
from victor.agent.coordinators.prompt_coordinator import BuiltPrompt
from victor.agent.events import (
    AgentEvent,
    Compacted,
    CompactionReport,
    ContextUsage,
    TextDelta,
    ToolResultReady,
    TurnDone,
    TurnStarted,
)
from victor.config.settings import Settings
from victor.protocols import Context, IPromptContributor, Message, PromptContext
from victor.providers.base import ChatResponse, Provider
from victor.providers.errors import ProviderError

log = logging.getLogger(__name__)

# Working contexts kept in memory; older sessions are reloaded from the store when used.
MAX_SESSIONS_IN_MEMORY = 32


class AgentOrchestrator:
    """One long-lived agent: settings, a provider and a model, plus seven coordinators.

    Every coordinator can be injected (``_config_coordinator=`` ...), as in the seed
    examples; whatever is not injected is built from ``settings``. With ``workspace`` the
    orchestrator gets that folder's session store and read-only tools; without one it keeps
    sessions in memory.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        provider: Provider | None = None,
        model: str | None = None,
        *,
        workspace: Path | str | None = None,
        store: Any = None,
        tools: Any = None,
        contributors: Iterable[IPromptContributor] = (),
        open_document: Callable[[Path], str | None] | None = None,
        _config_coordinator: ConfigCoordinator | None = None,
        _prompt_coordinator: PromptCoordinator | None = None,
        _context_coordinator: ContextCoordinator | None = None,
        _chat_coordinator: ChatCoordinator | None = None,
        _tool_coordinator: ToolCoordinator | None = None,
        _analytics_coordinator: AnalyticsCoordinator | None = None,
        _session_coordinator: SessionCoordinator | None = None,
    ) -> None:
        self.settings = settings or Settings()
        # A provider passed in belongs to the caller (it may be shared); one built here is
        # closed with the orchestrator.
        self._owns_provider = provider is None
        if provider is None:
            from victor.providers import create_provider

            provider = create_provider(self.settings)
        self.provider = provider
        self.model = model or self.settings.model or getattr(provider, "default_model", "") or ""
        self.workspace = Path(workspace).resolve() if workspace else None

        self._config_coordinator = _config_coordinator or ConfigCoordinator(
            defaults=self.settings.public_dump()
        )
        self._prompt_coordinator = _prompt_coordinator or PromptCoordinator()
        for contributor in contributors:
            self._prompt_coordinator.add_contributor(contributor)
        self._context_coordinator = _context_coordinator or ContextCoordinator()
        self._chat_coordinator = _chat_coordinator or ChatCoordinator(
            provider, self.model, max_tokens=self.settings.max_tokens
        )
        if tools is None and self.workspace is not None and self.settings.enable_tools:
            from victor.tools import workspace_tools

            tools = workspace_tools(self.workspace, open_document)
        self._tool_coordinator = _tool_coordinator or ToolCoordinator(tools)
        self._analytics_coordinator = _analytics_coordinator or AnalyticsCoordinator(
            auto_export=True
        )
        self._settings_exporters: list[Any] = []  # built from analytics_jsonl/_webhook
        self._exporter_key: tuple[Any, Any] = (None, None)
        if _session_coordinator is None:
            if store is None and self.workspace is not None:
                from victor.storage.session_store import SessionStore

                store = SessionStore.for_workspace(self.workspace, self.settings.data_dir)
            _session_coordinator = SessionCoordinator(store)
        self._session_coordinator = _session_coordinator
        self._session_coordinator.on_reset(self._forget_session)
        self._turn_lock: dict[str, asyncio.Lock] = {}
        self.apply_settings(self.settings)

    # ------------------------------------------------------------------ settings

    def apply_settings(self, settings: Settings) -> None:
        """Apply (new) settings to every coordinator; used for changes without restart."""
        self.settings = settings
        window = settings.context_window or self.provider.context_window(self.model)
        self._context_coordinator.configure(
            window=window,
            threshold=settings.context_compaction_threshold,
            target=min(settings.context_compaction_target, settings.context_compaction_threshold),
            reserve=min(settings.max_tokens, window // 4),
        )
        if self._context_coordinator.compaction_strategy is None:
            self._context_coordinator.compaction_strategy = strategy_for(
                settings.compaction_strategy, self.provider, self.model
            )
        self._chat_coordinator.max_tokens = settings.max_tokens
        tools = self._tool_coordinator
        tools.enabled = settings.enable_tools
        tools.max_tools = settings.max_tools_per_request
        tools.max_rounds = settings.max_tool_rounds
        if tools.registry is not None and tools.selection is None:
            from victor.tools.selection import make_tool_selection

            tools.selection = make_tool_selection(
                settings.tool_selection_strategy, settings.tool_selection_hybrid_alpha
            )
        self._analytics_coordinator.enabled = settings.enable_analytics
        self._apply_exporter_settings(settings)
        self._config_coordinator.set_defaults(settings.public_dump())

    def _apply_exporter_settings(self, settings: Settings) -> None:
        """Exporters named in the settings (a JSONL file, a webhook), replaced on change."""
        from victor.agent.exporters import exporters_from_settings

        key = (settings.analytics_jsonl, settings.analytics_webhook)
        if key == self._exporter_key:
            return
        wanted = exporters_from_settings(settings)
        coordinator = self._analytics_coordinator
        kept = [e for e in coordinator.exporters if e not in self._settings_exporters]
        coordinator.exporters = kept + wanted
        self._settings_exporters, self._exporter_key = wanted, key

    def set_provider(self, provider: Provider, model: str | None = None) -> None:
        """Switch to another provider/model (settings changed in the editor)."""
        old, owned = self.provider, self._owns_provider
        self.provider = provider
        self._owns_provider = True
        self.model = model or getattr(provider, "default_model", "") or self.model
        self._chat_coordinator.provider = provider
        self._chat_coordinator.model = self.model
        strategy = self._context_coordinator.compaction_strategy
        if isinstance(strategy, SummarizationCompactionStrategy):
            strategy.provider, strategy.model = provider, self.model
        self.apply_settings(self.settings)
        if old is not provider and owned:
            task = asyncio.get_running_loop().create_task(old.aclose())
            task.add_done_callback(lambda t: t.exception())

    @property
    def context_window(self) -> int:
        return self._context_coordinator.budget.window

    # ------------------------------------------------------------------ sessions

    @property
    def session_id(self) -> str:
        """The current session (the most recent one, created when there is none)."""
        return self._session_coordinator.resolve(None)

    def _forget_session(self, session_id: str) -> None:
        self._context_coordinator.reset(session_id)
        self._analytics_coordinator.forget_session(session_id)

    async def _activate(self, session_id: str | None) -> str:
        sid = await self._session_coordinator.aresolve(session_id)
        contexts = self._context_coordinator
        if not contexts.has_session(sid):
            contexts.load(sid, await self._session_coordinator.load_context(sid))
        contexts.set_current(sid)
        busy = {s for s, lock in self._turn_lock.items() if lock.locked()}
        for evicted in contexts.evict_idle(busy | {sid}, MAX_SESSIONS_IN_MEMORY):
            self._turn_lock.pop(evicted, None)
        return sid

    # ------------------------------------------------------------------ prompt

    async def build_system_prompt(
        self, prompt_context: dict[str, Any] | None = None, *, session_id: str | None = None
    ) -> BuiltPrompt:
        ctx = PromptContext(prompt_context or {})
        ctx.setdefault("task", "chat")
        if self.workspace is not None:
            ctx.setdefault("workspace", str(self.workspace))
        if session_id:
            ctx["session_id"] = session_id
        return await self._prompt_coordinator.build(ctx)

    # ------------------------------------------------------------------ chat

    async def chat(self, text: str, session_id: str | None = None, **kwargs: Any) -> ChatResponse:
        """One turn; returns the whole answer (``.content``, ``.usage.total_tokens``)."""
        done: TurnDone | None = None
        async for event in self.stream_chat(text, session_id=session_id, **kwargs):
            if isinstance(event, TurnDone):
                done = event
        assert done is not None
        return done.response

    async def stream_chat(
        self,
        text: str,
        session_id: str | None = None,
        *,
        prompt_context: dict[str, Any] | None = None,
        task: str = "chat",
        pinned: bool = False,
    ) -> AsyncIterator[AgentEvent]:
        """One turn as events: TurnStarted, then TextDelta / ToolCallStarted /
        ToolResultReady / Compacted as they happen, and TurnDone last.

        Closing the iterator or cancelling its consumer aborts the upstream request; the
        partial answer is stored, marked interrupted. Provider errors propagate (typed)
        after the partial answer, if any, was stored.
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError("message: expected a non-empty string")
        sid = await self._activate(session_id)
        lock = self._turn_lock.setdefault(sid, asyncio.Lock())
        async with lock:
            async for event in self._turn(sid, text, prompt_context, task, pinned):
                yield event

    async def _turn(
        self,
        sid: str,
        text: str,
        prompt_context: dict[str, Any] | None,
        task: str,
        pinned: bool,
    ) -> AsyncIterator[AgentEvent]:
        turn_id = uuid.uuid4().hex
        yield TurnStarted(sid, turn_id)
        config = await self._config_coordinator.load_config(session_id=sid)
        chat = self._chat_coordinator
        if isinstance(config.get("model"), str) and config["model"]:
            chat.model = config["model"]
        built = await self.build_system_prompt(
            {**(prompt_context or {}), "task": task}, session_id=sid
        )
        tools = self._tool_coordinator.select_tools(text)
        contexts = self._context_coordinator
        overhead = contexts.counter.text(built.text) + contexts.counter.tools(tools)
        user = Message(role="user", content=text, pinned=pinned)
        user_tokens = contexts.count([user])
        compacted = False
        if overhead + contexts.session_tokens(sid) + user_tokens > contexts.budget.trigger_tokens:
            report = await self._compact(sid, overhead)
            if report is not None:
                compacted = True
                yield Compacted(report)
        history = contexts.get_context(sid).messages
        history_tokens = contexts.session_tokens(sid)  # counted once per turn
        state = TurnState(history=list(history), new_messages=[user])
        analytics = self._analytics_coordinator
        analytics.record(
            sid, "chat_start", turn_id=turn_id, model=chat.model, task=task, tools=len(tools)
        )
        started = time.perf_counter()
        estimate = overhead + history_tokens + user_tokens

        async def prepare(turn: TurnState) -> tuple[list[Message], int]:
            messages = turn.history + turn.new_messages
            tokens = history_tokens + contexts.count(turn.new_messages)
            if overhead + tokens <= contexts.budget.trigger_tokens:
                return messages, tokens
            # Tool output piled up within the turn: send a compacted copy this round.
            compacted_ctx = await contexts.compact_context(
                Context(messages=messages), overhead=overhead
            )
            return compacted_ctx.messages, contexts.count(compacted_ctx.messages)

        events = chat.run_turn(
            state,
            system=built.system,
            tools=tools,
            tool_coordinator=self._tool_coordinator,
            window=contexts.budget.window,
            overhead=overhead,
            prepare=prepare,
        )
        try:
            # aclosing: a consumer that stops early must close the upstream stream now,
            # not whenever the garbage collector finalizes the generator.
            async with contextlib.aclosing(events):
                async for event in events:
                    if not isinstance(event, TextDelta):
                        self._record_tool_event(sid, event)
                    yield event
        except (asyncio.CancelledError, GeneratorExit):
            self._store_interrupted(sid, state, "cancelled")
            raise
        except ProviderError as exc:
            analytics.record(sid, "error", kind=exc.kind, turn_id=turn_id)
            if state.partial_text or len(state.new_messages) > 1:
                self._store_interrupted(sid, state, exc.kind)
            raise
        if state.usage.input_tokens:
            contexts.counter.calibrate(
                estimate,
                state.usage.input_tokens
                + state.usage.cache_read_tokens
                + state.usage.cache_write_tokens,
            )
        await self._session_coordinator.append(sid, state.new_messages)
        contexts.append(sid, state.new_messages)
        usage = state.usage
        analytics.record(
            sid,
            "chat_end",
            turn_id=turn_id,
            model=chat.model,
            rounds=state.rounds,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            stop_reason=state.stop_reason,
        )
        analytics.schedule_export()
        response = ChatResponse(
            content=state.content,
            usage=usage,
            stop_reason=state.stop_reason,
            model=chat.model,
            tool_calls=[],
        )
        yield TurnDone(
            session_id=sid,
            turn_id=turn_id,
            response=response,
            context=contexts.usage(sid, overhead),
            compacted=compacted,
            tool_rounds=state.rounds,
        )

    def _record_tool_event(self, sid: str, event: AgentEvent) -> None:
        if isinstance(event, ToolResultReady):
            self._analytics_coordinator.record(
                sid, "tool_call", tool=event.name, is_error=event.is_error
            )

    def _store_interrupted(self, sid: str, state: TurnState, reason: str) -> None:
        """Keep what the user saw. Synchronous: this runs while the task is cancelled."""
        messages = state.interrupted_messages()
        messages[-1].metadata["interrupted_reason"] = reason
        try:
            self._session_coordinator.append_now(sid, messages)
        except Exception:  # never mask the original error
            log.exception("could not store the interrupted turn")
            return
        self._context_coordinator.append(sid, messages)
        self._analytics_coordinator.record(sid, "interrupted", reason=reason)

    # ------------------------------------------------------------------ compaction

    async def _compact(
        self, sid: str, overhead: int, force: bool = False
    ) -> CompactionReport | None:
        report = await self._context_coordinator.compact_session(
            sid, overhead=overhead, force=force
        )
        if report is None:
            return None
        messages = self._context_coordinator.get_context(sid).messages
        await self._session_coordinator.save_context(sid, messages, report.summary)
        self._analytics_coordinator.record(
            sid,
            "compaction",
            strategy=report.strategy,
            before_tokens=report.before_tokens,
            after_tokens=report.after_tokens,
            before_messages=report.before_messages,
            after_messages=report.after_messages,
        )
        return report

    async def compact(self, session_id: str | None = None) -> CompactionReport:
        """Compact a session now (the ``victor/compact`` request)."""
        sid = await self._activate(session_id)
        report = await self._compact(sid, await self._overhead(sid), force=True)
        assert report is not None
        return report

    async def context_usage(self, session_id: str | None = None) -> ContextUsage:
        sid = await self._activate(session_id)
        return self._context_coordinator.usage(sid, await self._overhead(sid))

    async def _overhead(self, sid: str) -> int:
        """Tokens every request of this session carries besides messages: the system prompt
        and the tools the latest question would select (as ``_turn`` counts them)."""
        contexts = self._context_coordinator
        built = await self.build_system_prompt(session_id=sid)
        last_user = next(
            (m.content for m in reversed(contexts.get_context(sid).messages) if m.role == "user"),
            "",
        )
        tools = self._tool_coordinator.select_tools(last_user)
        return contexts.counter.text(built.text) + contexts.counter.tools(tools)

    # ------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        await self._analytics_coordinator.aclose()
        if self._owns_provider:
            await self.provider.aclose()
        await asyncio.to_thread(self._session_coordinator.close)
