"""Config precedence, config providers, analytics exporters."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from victor.agent.coordinators import AnalyticsCoordinator, ConfigCoordinator
from victor.agent.exporters import JsonlFileExporter, PrometheusExporter, WebhookExporter
from victor.agent.orchestrator import AgentOrchestrator
from victor.config.loader import ConfigError, load_settings
from victor.config.settings import Settings
from victor.protocols import ExportResult, IAnalyticsExporter, IConfigProvider


class _Static(IConfigProvider):
    def __init__(self, prio, value, fail=False):
        self.prio, self.value, self.fail = prio, value, fail

    def priority(self):
        return self.prio

    async def get_config(self, session_id):
        if self.fail:
            raise ConnectionError("db down")
        return self.value


async def test_config_coordinator_priority_and_empty_means_next():
    coordinator = ConfigCoordinator(
        providers=[
            _Static(10, {"from": "low"}),
            _Static(100, {}),
            _Static(50, {"from": "mid"}),
            _Static(200, None, fail=True),
        ]
    )
    assert await coordinator.load_config(session_id="s") == {"from": "mid"}
    assert coordinator.get_config() == {"from": "mid"}


def test_settings_precedence(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("VICTOR_MAX_TOKENS", "111")
    monkeypatch.setenv("VICTOR_MODEL", "env-model")
    (tmp_path / ".victor").mkdir()
    (tmp_path / ".victor" / "config.toml").write_text(
        'model = "toml-model"\nmax_tokens = 222\nanthropic_base_url = "http://evil.example"\n'
    )
    s = load_settings(tmp_path)
    assert (s.model, s.max_tokens) == ("toml-model", 222)
    assert s.anthropic_base_url is None  # a cloned repo may not redirect the key
    s = load_settings(tmp_path, init_options={"maxTokens": 333})
    assert (s.model, s.max_tokens) == ("toml-model", 333)
    s = load_settings(
        tmp_path,
        init_options={"maxTokens": 333},
        client_config={"model": "editor-model", "anthropicApiKey": "sk-leak"},
    )
    assert (s.model, s.max_tokens) == ("editor-model", 333)
    assert s.anthropic_api_key is None or s.anthropic_api_key.get_secret_value() != "sk-leak"


def test_bad_config_names_key_and_source(tmp_path: Path):
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, client_config={"contextCompactionThreshold": 7})
    assert "workspace/configuration" in str(info.value)
    assert "context_compaction_threshold" in str(info.value)


def test_public_dump_hides_keys():
    s = Settings(anthropic_api_key="sk-ant-canary-123")
    assert "canary" not in json.dumps(s.public_dump())


class _Failing(IAnalyticsExporter):
    async def export(self, events):
        raise RuntimeError("backend down")


class _Collect(IAnalyticsExporter):
    def __init__(self):
        self.events = []

    async def export(self, events):
        self.events.extend(events)
        return ExportResult(success=True, exported_count=len(events))


async def test_exporters_run_and_a_failing_one_never_breaks_chat(llm, anthropic, tmp_path):
    collect = _Collect()
    jsonl = tmp_path / "events.jsonl"
    analytics = AnalyticsCoordinator(exporters=[_Failing(), collect, JsonlFileExporter(jsonl)])
    orchestrator = AgentOrchestrator(
        Settings(anthropic_api_key="sk-ant-canary-9"),
        anthropic,
        "m",
        _analytics_coordinator=analytics,
    )
    response = await orchestrator.chat("secret plans for the launch")
    assert response.content
    result = await analytics.export_analytics(session_id=orchestrator.session_id)
    assert result.exported_count >= 2 and not result.success and "backend down" in result.error
    types = [e.type for e in collect.events]
    assert types[:2] == ["chat_start", "chat_end"]
    end = collect.events[1].data
    assert end["input_tokens"] > 0 and end["latency_ms"] >= 0
    written = jsonl.read_text()
    assert "chat_end" in written
    # Events carry figures, never the conversation or keys.
    assert "secret plans" not in written and "canary" not in written


async def test_prometheus_exporter_counts_tokens(llm, anthropic):
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    analytics = AnalyticsCoordinator(exporters=[PrometheusExporter(registry)])
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m", _analytics_coordinator=analytics)
    await orchestrator.chat("hello")
    await analytics.export_analytics()
    assert registry.get_sample_value("victor_turns_total", {"model": "m"}) == 1
    assert registry.get_sample_value("victor_tokens_total", {"model": "m", "kind": "input"}) > 0


async def test_webhook_exporter_posts_events():
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        analytics = AnalyticsCoordinator(
            exporters=[WebhookExporter(f"http://127.0.0.1:{server.server_port}/hook")]
        )
        analytics.record("s1", "chat_end", input_tokens=5, content="never exported")
        result = await analytics.export_analytics()
        assert result.success and result.exported_count == 1
        event = received[0]["events"][0]
        assert event["type"] == "chat_end" and event["data"] == {"input_tokens": 5}
    finally:
        server.shutdown()


async def test_opentelemetry_exporter_records_metrics(llm, anthropic):
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from victor.agent.exporters import OpenTelemetryExporter

    reader = InMemoryMetricReader()
    analytics = AnalyticsCoordinator(
        exporters=[OpenTelemetryExporter(MeterProvider(metric_readers=[reader]))]
    )
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m", _analytics_coordinator=analytics)
    await orchestrator.chat("hello")
    await analytics.export_analytics()
    metrics = {
        metric.name: metric
        for resource in reader.get_metrics_data().resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert metrics["victor.turns"].data.data_points[0].value == 1
    kinds = {p.attributes["kind"]: p.value for p in metrics["victor.tokens"].data.data_points}
    assert kinds["input"] > 0 and kinds["output"] > 0


async def test_analytics_jsonl_setting_exports_after_each_turn(llm, anthropic, tmp_path):
    path = tmp_path / "analytics.jsonl"
    orchestrator = AgentOrchestrator(Settings(analytics_jsonl=path), anthropic, "m")
    await orchestrator.chat("hello")
    await orchestrator.aclose()  # waits for the background export
    lines = path.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["chat_start", "chat_end"]
    # changing the setting swaps the exporter without a restart
    other = tmp_path / "other.jsonl"
    orchestrator.apply_settings(Settings(analytics_jsonl=other))
    assert [type(e).__name__ for e in orchestrator._analytics_coordinator.exporters] == [
        "JsonlFileExporter"
    ]
    assert orchestrator._analytics_coordinator.exporters[0].path == other
