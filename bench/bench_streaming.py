"""Streaming overhead: a long answer through the daemon against the bare Anthropic SDK.

The local model server (tests/support/model_server.py, its own process) streams an answer of
exactly N deltas (``[[deltas:N]]``) as fast as it can. In the same run, interleaved:

- through the daemon: ``victor/chat`` with a partialResultToken in a fresh session; time from
  sending the request to the first ``$/progress`` delta and to the final response, as the LSP
  client sees them;
- bare SDK: ``anthropic.AsyncAnthropic(...).messages.create(stream=True)`` against the same
  server from this process; time to the first text delta and to the end of the stream.

Both are medians. The daemon's stream is checked: the deltas concatenated equal the content.

To see where the difference comes from (best of the runs), the same stream is also consumed
in this process one layer at a time (same model server, interleaved with the above): Victor's
``AnthropicProvider.stream`` (SSE events -> StreamEvents, retry wrapper), then
``AgentOrchestrator.stream_chat`` (chat coordinator, turn bookkeeping; in-memory store, no
workspace, no tools). Daemon minus orchestrator is then the LSP layer: workspace prompt and
tools, SQLite on disk, ``$/progress`` serialization, the pipe, and this client's parsing.

    python bench/bench_streaming.py [--quick] [--json PATH] [--deltas N]
"""

from __future__ import annotations

import asyncio
import sys
import time
import warnings
from typing import Any

import _common as c
from _daemon import new_session, timed_chat, victor_daemon
from _lsp import cpu_seconds, rss_kib


async def sdk_stream(client: Any, message: str) -> tuple[float, float, int, str]:
    """(first text delta s, end of stream s, text events, text) for one bare SDK stream."""
    sent = time.perf_counter()
    first = None
    parts: list[str] = []
    stream = await client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=4096,
        messages=[{"role": "user", "content": message}],
        stream=True,
    )
    async for event in stream:
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            if first is None:
                first = time.perf_counter()
            parts.append(event.delta.text)
    end = time.perf_counter()
    assert first is not None
    return first - sent, end - sent, len(parts), "".join(parts)


async def provider_stream(provider: Any, message: str) -> tuple[float, float]:
    from victor.protocols import Message

    sent = time.perf_counter()
    first = None
    events = provider.stream([Message(role="user", content=message)], model="claude-sonnet-4-5")
    async for event in events:
        if event.type == "text" and first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    assert first is not None
    return first - sent, end - sent


async def orchestrator_stream(orchestrator: Any, message: str) -> tuple[float, float]:
    from victor.agent.events import TextDelta

    sent = time.perf_counter()
    first = None
    session = orchestrator._session_coordinator.new_session("bench").id
    async for event in orchestrator.stream_chat(message, session_id=session):
        if isinstance(event, TextDelta) and first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    assert first is not None
    return first - sent, end - sent


def in_process(url: str) -> tuple[Any, Any]:
    from victor.agent.orchestrator import AgentOrchestrator
    from victor.config.settings import Settings
    from victor.providers.anthropic import AnthropicProvider

    provider = AnthropicProvider(api_key="bench-key", base_url=url, max_retries=0)
    settings = Settings(provider="anthropic", enable_tools=False, compaction_strategy="recent")
    orchestrator = AgentOrchestrator(settings, provider, "claude-sonnet-4-5")
    return provider, orchestrator


async def run(quick: bool, deltas: int) -> tuple[list[c.Figure], dict[str, Any]]:
    import anthropic

    warnings.simplefilter("ignore", DeprecationWarning)  # the SDK's model notice
    reps = 5 if quick else 15
    message = f"Write a long answer. [[deltas:{deltas}]]"
    daemon_first, daemon_last, sdk_first, sdk_last = [], [], [], []
    notifications: list[int] = []
    mismatches = 0
    layers: dict[str, list[tuple[float, float]]] = {"provider": [], "orchestrator": []}
    cpu = {"daemon": 0.0, "sdk": 0.0}
    async with victor_daemon() as bench:
        sdk = anthropic.AsyncAnthropic(api_key="bench-key", base_url=bench.model.url, max_retries=0)
        provider, orchestrator = in_process(bench.model.url)
        try:
            # warm-up: connection pools, first-turn set-up (prompt, tools), imports
            await timed_chat(bench.client, message, await new_session(bench.client))
            await sdk_stream(sdk, message)
            await provider_stream(provider, message)
            await orchestrator_stream(orchestrator, message)
            for rep in range(reps):
                sid = await new_session(bench.client)
                order = ["daemon", "sdk", "provider", "orchestrator"]
                order = order[rep % 4 :] + order[: rep % 4]
                for which in order:
                    if which == "provider":
                        layers["provider"].append(await provider_stream(provider, message))
                    elif which == "orchestrator":
                        layers["orchestrator"].append(
                            await orchestrator_stream(orchestrator, message)
                        )
                    elif which == "daemon":
                        cpu0 = cpu_seconds(bench.client.pid)
                        t = await timed_chat(bench.client, message, sid)
                        cpu["daemon"] += cpu_seconds(bench.client.pid) - cpu0
                        daemon_first.append(t.first_s)
                        daemon_last.append(t.last_s)
                        notifications.append(t.progress)
                        if t.result is None or t.streamed != t.result.get("content"):
                            mismatches += 1
                    else:
                        cpu0 = time.process_time()
                        first, last, _, _ = await sdk_stream(sdk, message)
                        cpu["sdk"] += time.process_time() - cpu0
                        sdk_first.append(first)
                        sdk_last.append(last)
            rss_after = rss_kib(bench.client.pid)[0] / 1024
        finally:
            await sdk.close()
            await orchestrator.aclose()
    d_first, d_last = c.median(daemon_first), c.median(daemon_last)
    s_first, s_last = c.median(sdk_first), c.median(sdk_last)
    ratio = d_last / s_last
    added_first = d_first - s_first
    g = "streaming"
    figures = [
        c.Figure(g, f"bare SDK: first delta ({deltas} deltas)", c.ms(s_first), "ms"),
        c.Figure(g, "bare SDK: last byte", c.ms(s_last), "ms"),
        c.Figure(g, "daemon: first $/progress delta", c.ms(d_first), "ms"),
        c.Figure(g, "daemon: final response", c.ms(d_last), "ms"),
        c.Figure(
            g, "daemon/SDK time to last byte", round(ratio, 3), "x", "<= 1.1x", c.check(ratio, 1.1)
        ),
        c.Figure(
            g,
            "first delta added by the daemon",
            c.ms(added_first),
            "ms",
            "< 10 ms",
            c.check(added_first, 0.010),
        ),
        *breakdown(
            list(zip(sdk_first, sdk_last, strict=True)),
            list(zip(daemon_first, daemon_last, strict=True)),
            layers,
        ),
        c.Figure(
            g,
            "CPU per answer: daemon / bare SDK",
            round(cpu["daemon"] / cpu["sdk"], 3) if cpu["sdk"] else None,
            "x",
            note=f"daemon {c.ms(cpu['daemon'] / reps):.0f} ms, SDK in this process "
            f"{c.ms(cpu['sdk'] / reps):.0f} ms per answer (less sensitive to load than wall time)",
        ),
        c.Figure(
            g,
            "daemon RSS after these streams",
            round(rss_after, 1),
            "MB",
            note="the model SDK is loaded by now (compare idle RSS)",
        ),
        c.Figure(
            g,
            "$/progress notifications per answer",
            c.median(notifications),
            "",
            note=f"{deltas} model deltas, coalesced; {mismatches} content mismatches",
        ),
    ]
    details = {
        "deltas": deltas,
        "repetitions": reps,
        "daemon_first_s": daemon_first,
        "daemon_last_s": daemon_last,
        "sdk_first_s": sdk_first,
        "sdk_last_s": sdk_last,
        "progress_notifications": notifications,
        "content_mismatches": mismatches,
        "layers_first_last_s": layers,
        "daemon_rss_after_mb": rss_after,
        "cpu_total_s": cpu,
    }
    return figures, details


def breakdown(
    sdk: list[tuple[float, float]],
    daemon: list[tuple[float, float]],
    layers: dict[str, list[tuple[float, float]]],
) -> list[c.Figure]:
    """Added time to last byte (and to first delta) of each layer over the one below.

    Best of the runs (minimum), not medians: on a busy machine a difference of medians of a
    few milliseconds is mostly noise, while the minimum approaches each layer's own cost."""
    best = {
        "sdk": sdk,
        "provider": layers["provider"],
        "orchestrator": layers["orchestrator"],
        "daemon": daemon,
    }
    first = {k: min(x[0] for x in v) for k, v in best.items()}
    last = {k: min(x[1] for x in v) for k, v in best.items()}
    rows = [
        ("AnthropicProvider over bare SDK", "provider", "sdk"),
        ("AgentOrchestrator over provider", "orchestrator", "provider"),
        ("daemon (LSP, workspace) over orchestrator", "daemon", "orchestrator"),
    ]
    out = [
        c.Figure(
            "streaming",
            f"layer: {name}, last byte +",
            c.ms(last[upper] - last[lower]),
            "ms",
            note=f"first delta {c.ms(first[upper] - first[lower]):+.2f} ms (best of runs)",
        )
        for name, upper, lower in rows
    ]
    out.append(
        c.Figure(
            "streaming",
            "daemon/SDK time to last byte, best of runs",
            round(last["daemon"] / last["sdk"], 3),
            "x",
            note=f"first delta added {c.ms(first['daemon'] - first['sdk']):.2f} ms",
        )
    )
    return out


def main(argv: list[str] | None = None) -> dict:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--deltas", type=int, default=4000)
    args = p.parse_args(argv)
    figs, det = asyncio.run(run(args.quick, args.deltas))
    return c.report("streaming", figs, det, args.json)


if __name__ == "__main__":
    c.ensure_venv()
    main(sys.argv[1:])
