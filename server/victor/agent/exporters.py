"""Built-in analytics exporters: JSONL file, webhook, Prometheus, OpenTelemetry.

Events never carry message text or keys (the coordinator drops such fields), so exporting
them to a team's monitoring is safe.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from victor.agent.coordinators.analytics_coordinator import BaseAnalyticsExporter
from victor.protocols import AnalyticsEvent, ExportResult


def exporters_from_settings(settings: Any) -> list[BaseAnalyticsExporter]:
    """The exporters ``analytics_jsonl`` / ``analytics_webhook`` ask for."""
    out: list[BaseAnalyticsExporter] = []
    if settings.analytics_jsonl:
        out.append(JsonlFileExporter(settings.analytics_jsonl))
    if settings.analytics_webhook:
        out.append(WebhookExporter(settings.analytics_webhook))
    return out


class JsonlFileExporter(BaseAnalyticsExporter):
    """Appends one JSON object per event to a file (written in a thread)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    async def export(self, events: list[AnalyticsEvent]) -> ExportResult:
        lines = "".join(json.dumps(e.model_dump(), default=str) + "\n" for e in events)
        await asyncio.to_thread(self._append, lines)
        return ExportResult(success=True, exported_count=len(events))

    def _append(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(text)


class WebhookExporter(BaseAnalyticsExporter):
    """POSTs ``{"events": [...]}`` to a URL with httpx."""

    def __init__(
        self, url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 10.0
    ) -> None:
        self.url = url
        self.headers = dict(headers or {})
        self.timeout = timeout

    async def export(self, events: list[AnalyticsEvent]) -> ExportResult:
        import httpx

        payload = {"events": [e.model_dump() for e in events]}
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(self.url, json=payload, headers=self.headers)
        if response.status_code >= 400:
            return ExportResult(
                success=False, error=f"webhook {self.url} answered {response.status_code}"
            )
        return ExportResult(success=True, exported_count=len(events))


class PrometheusExporter(BaseAnalyticsExporter):
    """Counts turns, tokens, tool calls, errors and compactions in prometheus-client metrics.

    Pass a ``CollectorRegistry`` to keep metrics separate (tests do); serve them with
    ``prometheus_client.start_http_server`` or your existing exporter.
    """

    def __init__(self, registry: Any = None, *, namespace: str = "victor") -> None:
        try:
            from prometheus_client import REGISTRY, Counter, Histogram
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "PrometheusExporter needs prometheus-client: pip install 'victor-lsp[prometheus]'"
            ) from exc
        registry = registry if registry is not None else REGISTRY
        self.turns = Counter(
            "turns", "Chat turns", ["model"], namespace=namespace, registry=registry
        )
        self.tokens = Counter(
            "tokens", "Tokens by kind", ["model", "kind"], namespace=namespace, registry=registry
        )
        self.tool_calls = Counter(
            "tool_calls", "Tool calls", ["tool"], namespace=namespace, registry=registry
        )
        self.errors = Counter(
            "errors", "Errors by kind", ["kind"], namespace=namespace, registry=registry
        )
        self.compactions = Counter(
            "compactions", "Compactions", namespace=namespace, registry=registry
        )
        self.latency = Histogram(
            "turn_latency_seconds", "Turn latency", namespace=namespace, registry=registry
        )

    async def export(self, events: list[AnalyticsEvent]) -> ExportResult:
        for event in events:
            data = event.data
            if event.type == "chat_end":
                model = str(data.get("model", ""))
                self.turns.labels(model=model).inc()
                for kind in ("input", "output", "cache_read", "cache_write"):
                    value = int(data.get(f"{kind}_tokens", 0) or 0)
                    if value:
                        self.tokens.labels(model=model, kind=kind).inc(value)
                if "latency_ms" in data:
                    self.latency.observe(float(data["latency_ms"]) / 1000.0)
            elif event.type == "tool_call":
                self.tool_calls.labels(tool=str(data.get("tool", ""))).inc()
            elif event.type == "error":
                self.errors.labels(kind=str(data.get("kind", "unknown"))).inc()
            elif event.type == "compaction":
                self.compactions.inc()
        return ExportResult(success=True, exported_count=len(events))


class OpenTelemetryExporter(BaseAnalyticsExporter):
    """Records the same figures as OpenTelemetry metrics through the global (or given)
    MeterProvider, so an OTLP collector the team already runs receives them."""

    def __init__(self, meter_provider: Any = None) -> None:
        try:
            from opentelemetry import metrics
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "OpenTelemetryExporter needs opentelemetry-api: pip install 'victor-lsp[otel]'"
            ) from exc
        meter = (meter_provider or metrics.get_meter_provider()).get_meter("victor")
        self.turns = meter.create_counter("victor.turns")
        self.tokens = meter.create_counter("victor.tokens")
        self.tool_calls = meter.create_counter("victor.tool_calls")
        self.errors = meter.create_counter("victor.errors")
        self.compactions = meter.create_counter("victor.compactions")

    async def export(self, events: list[AnalyticsEvent]) -> ExportResult:
        for event in events:
            data = event.data
            if event.type == "chat_end":
                model = str(data.get("model", ""))
                self.turns.add(1, {"model": model})
                for kind in ("input", "output", "cache_read", "cache_write"):
                    value = int(data.get(f"{kind}_tokens", 0) or 0)
                    if value:
                        self.tokens.add(value, {"model": model, "kind": kind})
            elif event.type == "tool_call":
                self.tool_calls.add(1, {"tool": str(data.get("tool", ""))})
            elif event.type == "error":
                self.errors.add(1, {"kind": str(data.get("kind", "unknown"))})
            elif event.type == "compaction":
                self.compactions.add(1)
        return ExportResult(success=True, exported_count=len(events))
