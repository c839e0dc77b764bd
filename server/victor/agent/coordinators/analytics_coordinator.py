"""AnalyticsCoordinator: records session events and hands them to exporters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from victor.protocols import AnalyticsEvent, ExportResult, IAnalyticsExporter

log = logging.getLogger(__name__)

# Keys whose values never go into analytics, whatever a caller passes in data.
_REDACTED_KEYS = ("key", "token", "secret", "password", "authorization", "content", "prompt")
_MAX_EVENTS_PER_SESSION = 10_000


class BaseAnalyticsExporter(IAnalyticsExporter):
    """Base for exporters (the seed's extension point).

    ``export`` stays abstract: a subclass that does not define it cannot be instantiated
    (TypeError), instead of reporting exports that never happened.
    """


@dataclass(slots=True)
class SessionAnalytics:
    """The events recorded for one session, oldest first, with running ``totals``."""

    session_id: str
    events: list[AnalyticsEvent] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, Any]:
        """Turns, token figures, tool calls, errors, compactions and prompt cache refreshes
        (their tokens count with the turns': the user pays for them), summed over events."""
        out: dict[str, Any] = {
            "turns": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_read_tokens": 0,
            "cache_write_tokens": 0,
            "tool_calls": 0,
            "errors": 0,
            "compactions": 0,
            "cache_refreshes": 0,
        }
        for event in self.events:
            if event.type in ("chat_end", "cache_refresh"):
                out["turns" if event.type == "chat_end" else "cache_refreshes"] += 1
                for k in (
                    "input_tokens",
                    "output_tokens",
                    "cache_read_tokens",
                    "cache_write_tokens",
                ):
                    out[k] += int(event.data.get(k, 0) or 0)
            elif event.type == "tool_call":
                out["tool_calls"] += 1
            elif event.type == "error":
                out["errors"] += 1
            elif event.type == "compaction":
                out["compactions"] += 1
        return out


class AnalyticsCoordinator:
    """Keeps events per session; exports them concurrently, off the chat path.

    ``record`` is synchronous and cheap. ``export_analytics`` sends pending events to every
    exporter at once; one exporter failing (or raising) is reported in its result and never
    reaches the chat. With ``auto_export`` (the default, whoever builds the coordinator) the
    orchestrator schedules an export in the background after each turn; pass
    ``auto_export=False`` to export only when ``export_analytics`` is called.
    """

    def __init__(
        self,
        exporters: Iterable[IAnalyticsExporter] = (),
        *,
        enabled: bool = True,
        auto_export: bool = True,
    ) -> None:
        self.exporters = list(exporters)
        self.enabled = enabled
        self.auto_export = auto_export
        self._sessions: dict[str, SessionAnalytics] = {}
        self._pending: list[AnalyticsEvent] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.last_results: list[ExportResult] = []

    def add_exporter(self, exporter: IAnalyticsExporter) -> None:
        """Send future events to ``exporter`` too."""
        self.exporters.append(exporter)

    def record(self, session_id: str, type: str, **data: Any) -> AnalyticsEvent | None:
        """Record one event (keys naming secrets or message text are dropped from ``data``);
        None when analytics are disabled."""
        if not self.enabled:
            return None
        event = AnalyticsEvent(session_id=session_id, type=type, data=_clean(data))
        session = self._sessions.setdefault(session_id, SessionAnalytics(session_id))
        session.events.append(event)
        if len(session.events) > _MAX_EVENTS_PER_SESSION:
            del session.events[: len(session.events) - _MAX_EVENTS_PER_SESSION]
        if self.exporters:
            self._pending.append(event)
        return event

    async def get_session_analytics(self, session_id: str) -> SessionAnalytics:
        """The events recorded for ``session_id`` (empty for an unknown session)."""
        return self._sessions.get(session_id) or SessionAnalytics(session_id)

    def forget_session(self, session_id: str) -> None:
        """Drop a session's events, exported or not (its session was reset or deleted)."""
        self._sessions.pop(session_id, None)
        self._pending = [e for e in self._pending if e.session_id != session_id]

    async def export_analytics(self, session_id: str | None = None) -> ExportResult:
        """Export pending events (of one session, or all) to every exporter concurrently.

        ``exported_count`` is the number of events handed over; ``success`` is False if any
        exporter failed, with the errors joined in ``error``.
        """
        if session_id is None:
            batch, self._pending = self._pending, []
        else:
            batch = [e for e in self._pending if e.session_id == session_id]
            self._pending = [e for e in self._pending if e.session_id != session_id]
        if not batch or not self.exporters:
            return ExportResult(success=True, exported_count=0)
        results = await asyncio.gather(*(self._run(exporter, batch) for exporter in self.exporters))
        self.last_results = list(results)
        errors = [r.error for r in results if not r.success and r.error]
        ok = all(r.success for r in results)
        return ExportResult(
            success=ok,
            exported_count=len(batch) if any(r.success for r in results) else 0,
            error="; ".join(errors) or None,
        )

    def schedule_export(self) -> None:
        """Export in the background (used after each turn when ``auto_export`` is on)."""
        if not (self.auto_export and self._pending and self.exporters):
            return
        task = asyncio.get_running_loop().create_task(self.export_analytics())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Wait for background exports, then export what is still pending."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pending:
            await self.export_analytics()

    @staticmethod
    async def _run(exporter: IAnalyticsExporter, batch: list[AnalyticsEvent]) -> ExportResult:
        name = type(exporter).__name__
        try:
            result = await exporter.export(list(batch))
        except Exception as exc:
            log.warning("analytics exporter %s failed: %s", name, exc)
            return ExportResult(success=False, exported_count=0, error=f"{name}: {exc}")
        if not isinstance(result, ExportResult):
            return ExportResult(success=False, error=f"{name}: returned {type(result).__name__}")
        return result


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if any(word in key.lower() for word in _REDACTED_KEYS) and not key.endswith("_tokens"):
            continue
        out[key] = value
    return out
