"""AgentOrchestrator: the facade over Victor's coordinators."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from victor.agent.cache_keeper import PromptCacheKeeper
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
from victor.agent.coordinators.context_coordinator import strategy_for
from victor.agent.coordinators.prompt_coordinator import BuiltPrompt, PromptLayout
from victor.agent.coordinators.summary_compaction import ConversationPrefix
from victor.agent.events import AgentEvent, CompactionReport, ContextUsage, TurnDone
from victor.agent.turn import compact_stored, run_turn
from victor.config.settings import Settings
from victor.errors import InvalidArgumentError
from victor.protocols import IPromptContributor, Message, PromptContext, ToolSpec
from victor.providers.base import ChatResponse, Provider, Usage

__all__ = ["MAX_SESSIONS_IN_MEMORY", "AgentOrchestrator"]

log = logging.getLogger(__name__)

# Working contexts kept in memory; older sessions are reloaded from the store when used.
MAX_SESSIONS_IN_MEMORY = 32


class AgentOrchestrator:
    """One long-lived agent: settings, a provider and a model, plus seven coordinators.

    Every coordinator can be injected (``_config_coordinator=`` ...), as in the seed
    examples; whatever is not injected is built from ``settings``.

    ``workspace`` is the folder the read-only tools (read_file, list_directory,
    search_text) work in; it defaults to the current directory, as ``victor chat`` does.
    Sessions are persisted in that folder's SQLite store only when ``workspace`` (or
    ``store``) is given; otherwise they live in memory for the orchestrator's lifetime.

    ``async with AgentOrchestrator(...) as o:`` closes what the orchestrator opened on exit
    (a provider it built, its session store, pending analytics exports); ``aclose()`` does
    the same.
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
        # Tools need a folder: without one the guide's tool examples would select among
        # nothing, silently. Sessions are persisted only for an explicit workspace.
        persist = workspace is not None
        self.workspace: Path = Path(workspace if workspace is not None else Path.cwd()).resolve()
        if not self.workspace.is_dir():
            raise InvalidArgumentError(f"workspace: {self.workspace} is not a directory")
        # A provider passed in belongs to the caller (it may be shared); one built here is
        # closed with the orchestrator.
        self._owns_provider = provider is None
        if provider is None:
            from victor.providers import create_provider

            provider = create_provider(self.settings)
        self.provider = provider
        self.model = model or self.settings.model or getattr(provider, "default_model", "") or ""

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
        if tools is None and self.settings.enable_tools:
            from victor.tools import workspace_tools

            tools = workspace_tools(self.workspace, open_document)
        self._tool_coordinator = _tool_coordinator or ToolCoordinator(tools)
        self._analytics_coordinator = _analytics_coordinator or AnalyticsCoordinator()
        self._settings_exporters: list[Any] = []  # built from analytics_jsonl/_webhook
        self._exporter_key: tuple[Any, Any] = (None, None)
        # The store is closed with the orchestrator only when it was opened here.
        self._owns_store = _session_coordinator is None and store is None
        if _session_coordinator is None:
            if store is None and persist:
                from victor.storage.session_store import SessionStore

                store = SessionStore.for_workspace(self.workspace, self.settings.data_dir)
            _session_coordinator = SessionCoordinator(store)
        self._session_coordinator = _session_coordinator
        self._session_coordinator.on_reset(self._forget_session)
        self._context_coordinator.on_reset(self._context_was_reset)
        self._turn_lock: dict[str, asyncio.Lock] = {}
        self._cache_keeper = PromptCacheKeeper(self._cache_refreshed)
        # per session: the system prompt, tools and model its last turn's requests carried
        self._sent: dict[str, tuple[str, tuple[ToolSpec, ...], str]] = {}
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
        if settings.prompt_cache_keep_warm == 0:
            self._cache_keeper.cancel()  # a refresh pending from before is not wanted now
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
        self._cache_keeper.cancel()
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
        """The model's context window in tokens (or the ``context_window`` setting)."""
        return self._context_coordinator.budget.window

    # ------------------------------------------------------------------ sessions

    @property
    def session_id(self) -> str:
        """The current session (the most recent one, created when there is none)."""
        return self._session_coordinator.resolve(None)

    def _forget_session(self, session_id: str) -> None:
        self._cache_keeper.cancel(session_id)
        self._sent.pop(session_id, None)
        self._context_coordinator.forget(session_id)
        self._analytics_coordinator.forget_session(session_id)

    def _context_was_reset(self, session_id: str) -> None:
        """``ContextCoordinator.reset()``: record the empty context in the store, so neither
        the next turn nor a restart brings the earlier messages back. Synchronous (the seed
        calls ``reset()`` synchronously); one small SQLite write."""
        self._cache_keeper.cancel(session_id)
        sessions = self._session_coordinator
        if sessions.store.has_session(session_id):
            sessions.save_context_now(session_id, [], None)

    def reset(self, session_id: str | None = None) -> None:
        """Start a session's conversation over (the current one by default): the next turn
        sends no earlier messages, nor does a restart. The stored transcript is kept;
        ``_session_coordinator.reset_session`` deletes it."""
        sid = session_id or self._session_coordinator.current_session_id
        self._context_coordinator.reset(sid)

    async def _activate(self, session_id: str | None) -> str:
        sid = await self._session_coordinator.aresolve(session_id)
        contexts = self._context_coordinator
        if not contexts.has_session(sid):
            contexts.load(sid, await self._session_coordinator.load_context(sid))
        contexts.set_current(sid)
        busy = {s for s, lock in self._turn_lock.items() if lock.locked()}
        for evicted in contexts.evict_idle(busy | {sid}, MAX_SESSIONS_IN_MEMORY):
            self._turn_lock.pop(evicted, None)
            self._sent.pop(evicted, None)
        return sid

    # ------------------------------------------------------------------ prompt

    async def build_system_prompt(
        self, prompt_context: dict[str, Any] | None = None, *, session_id: str | None = None
    ) -> BuiltPrompt:
        """Every contribution for ``prompt_context`` in one system prompt (the legacy
        layout's; ``build_prompt`` gives the turn layout)."""
        return await self._prompt_coordinator.build(
            self._prompt_context(prompt_context, session_id)
        )

    async def build_prompt(
        self, prompt_context: dict[str, Any] | None = None, *, session_id: str | None = None
    ) -> PromptLayout:
        """The system prompt and the editor-context block a turn with ``prompt_context``
        would carry (what ``victor/prompt`` shows)."""
        ctx = self._prompt_context(prompt_context, session_id)
        return await self._prompt_coordinator.build_layout(ctx)

    def _prompt_context(
        self, values: dict[str, Any] | None, session_id: str | None
    ) -> PromptContext:
        ctx = PromptContext(values or {})
        ctx.setdefault("task", "chat")
        ctx.setdefault("workspace", str(self.workspace))
        if session_id:
            ctx["session_id"] = session_id
        return ctx

    # ------------------------------------------------------------------ chat

    async def chat(
        self,
        text: str,
        session_id: str | None = None,
        *,
        prompt_context: dict[str, Any] | None = None,
        task: str = "chat",
        pinned: bool = False,
    ) -> ChatResponse:
        """One turn; returns the whole answer (``.content``, ``.usage.total_tokens``).

        ``session_id`` names the session (created when new; default: the current one),
        ``prompt_context`` is handed to prompt contributors, ``task`` tells them what the
        turn is for ("chat", "code_generation" ...), and a ``pinned`` question survives
        every compaction. Raises ProviderError (typed) when the model API fails after
        retries, ConfigError when a config provider answers something unusable,
        InvalidArgumentError for bad arguments.
        """
        done: TurnDone | None = None
        async for event in self.stream_chat(
            text, session_id, prompt_context=prompt_context, task=task, pinned=pinned
        ):
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
        agent: Any = None,
    ) -> AsyncIterator[AgentEvent]:
        """One turn as events: TurnStarted, then TextDelta / ToolCallStarted /
        ToolResultReady / Compacted as they happen, and TurnDone last.

        Arguments as for ``chat``. Closing the iterator or cancelling its consumer aborts
        the upstream request; the partial answer is stored, marked interrupted. Provider
        errors propagate (typed) after the partial answer, if any, was stored. ``agent`` (an
        ``agent.agent_mode.AgentTurn``) runs the turn in agent mode.
        """
        if not isinstance(text, str) or not text.strip():
            raise InvalidArgumentError("message: expected a non-empty string")
        if session_id is not None and (not isinstance(session_id, str) or not session_id):
            raise InvalidArgumentError("session_id: expected a non-empty string or None")
        if prompt_context is not None and not isinstance(prompt_context, dict):
            raise InvalidArgumentError("prompt_context: expected a dict or None")
        sid = await self._activate(session_id)
        lock = self._turn_lock.setdefault(sid, asyncio.Lock())
        async with lock:
            turn = run_turn(self, sid, text, prompt_context, task, pinned, agent)
            async with contextlib.aclosing(turn):
                async for event in turn:
                    yield event

    # ------------------------------------------------------------------ compaction

    async def compact(self, session_id: str | None = None) -> CompactionReport:
        """Compact a session now (the ``victor/compact`` request), whatever its size."""
        sid = await self._activate(session_id)
        prefix = self._last_request(sid, self._context_coordinator.get_context(sid).messages)
        overhead = await self._overhead(sid)
        report = await compact_stored(self, sid, overhead, force=True, prefix=prefix)
        assert report is not None
        return report

    async def context_usage(self, session_id: str | None = None) -> ContextUsage:
        """How full the window is for a session: its context plus prompt and tools."""
        sid = await self._activate(session_id)
        return self._context_coordinator.usage(sid, await self._overhead(sid))

    async def _overhead(self, sid: str) -> int:
        """Tokens every request of this session carries besides messages: the system prompt
        and the tools the latest question would select (as ``_turn`` counts them)."""
        from victor.agent.turn import turn_prompt

        contexts = self._context_coordinator
        system, _ = await turn_prompt(self, {}, sid)
        last_user = next(
            (m.content for m in reversed(contexts.get_context(sid).messages) if m.role == "user"),
            "",
        )
        tools = self._tool_coordinator.select_tools(last_user)
        return contexts.counter.text(system) + contexts.counter.tools(tools)

    def _last_request(
        self, session_id: str, messages: Sequence[Message]
    ) -> ConversationPrefix | None:
        """The session's last request as sent (its messages are the session's context until
        it is compacted or reset), for a summary that continues it; None if unknown."""
        sent = self._sent.get(session_id)
        if sent is None or not messages:
            return None
        system, tools, model = sent
        return ConversationPrefix(system, tools, tuple(messages), model)

    def _cache_refreshed(self, session_id: str, usage: Usage) -> None:
        """A keep-warm request of an idle session was answered (cache_keeper.py): its cost
        goes into the analytics like a turn's, and the log says it happened."""
        log.info(
            "kept the idle session %s's prompt cache warm: %d tokens read, %d written",
            session_id,
            usage.cache_read_tokens,
            usage.cache_write_tokens,
        )
        self._analytics_coordinator.record(
            session_id,
            "cache_refresh",
            model=self.model,
            **asdict(usage),  # the same token fields as a turn's chat_end
        )

    # ------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        """Close what the orchestrator opened: pending analytics exports are sent, then a
        provider it built and its session store are closed. Injected ones stay open."""
        await self._cache_keeper.aclose()
        await self._analytics_coordinator.aclose()
        if self._owns_provider:
            await self.provider.aclose()
        if self._owns_store:
            await asyncio.to_thread(self._session_coordinator.close)

    async def __aenter__(self) -> AgentOrchestrator:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
