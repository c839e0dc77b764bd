"""Context: token accounting, compaction and per-turn bookkeeping on long sessions.

In-process, no LLM, no network:

- token accounting (``ContextCoordinator.count``) of 1k- and 10k-message sessions, cold (fresh
  messages) and warm (the per-message estimate is cached on the message);
- compaction of those sessions: ``ContextCoordinator.compact_session(force=True)`` with
  ``RecentMessagesCompactionStrategy`` (what runs when no summary is possible), 200k window;
- the request body a real provider builds from those sessions on every request
  (``AnthropicProvider._params``: conversion to the wire format, cache breakpoints, the
  lone-surrogate cleaning), which the instant provider below skips;
- per-turn bookkeeping at session lengths 100, 1k and 10k: one ``AgentOrchestrator`` turn with
  a stub provider that answers at once, so what is timed is everything Victor does around the
  model call (session resolution, prompt, accounting, the compaction check, storing the turn
  in SQLite, analytics). The window is large enough that no compaction happens. Growth is
  judged on CPU time (all threads): wall time also holds SQLite's fsync, which depends on
  the disk and other tenants.

Sessions are a repeating pattern of user question, assistant tool call, tool result (about
2 kB) and assistant answer.

    python bench/bench_context.py [--quick] [--json PATH]
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import _common as c


def make_messages(n: int, seed: int = 0) -> list[Any]:
    from victor.protocols import Message, ToolCall

    out: list[Any] = []
    i = 0
    while len(out) < n:
        k = seed * 1_000_000 + i
        out.append(
            Message(role="user", content=f"Question {k}: why does parse() fail on line {i}? " * 3)
        )
        call = ToolCall(id=f"call_{k}", name="read_file", arguments={"path": f"src/mod_{i}.py"})
        out.append(Message(role="assistant", content="Let me read the file.", tool_calls=[call]))
        body = "\n".join(f"def f_{i}_{j}(x):\n    return x * {j}" for j in range(60))
        out.append(
            Message(role="tool", content=body[:2000], tool_call_id=call.id, metadata={"tool": "r"})
        )
        out.append(
            Message(
                role="assistant",
                content=f"The function on line {i} returns early because the guard is wrong. " * 8,
            )
        )
        i += 1
    return out[:n]


def _timed(fn: Any, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


async def accounting(reps: int) -> tuple[list[c.Figure], dict[str, Any]]:
    from victor.agent.coordinators import ContextCoordinator, RecentMessagesCompactionStrategy

    figures: list[c.Figure] = []
    details: dict[str, Any] = {}
    for n in (1_000, 10_000):
        coordinator = ContextCoordinator(RecentMessagesCompactionStrategy(), window=200_000)
        cold = []
        for _ in range(reps):
            messages = make_messages(n)
            start = time.perf_counter()
            tokens = coordinator.count(messages)
            cold.append(time.perf_counter() - start)
        warm = _timed(lambda m=messages, cc=coordinator: cc.count(m), reps)
        compaction = []
        report = None
        for _ in range(reps):
            coordinator.load("s", make_messages(n))
            coordinator.count(coordinator.get_context("s").messages)  # as after a turn
            start = time.perf_counter()
            report = await coordinator.compact_session("s", overhead=2_000, force=True)
            compaction.append(time.perf_counter() - start)
        assert report is not None
        label = f"{n // 1000}k messages"
        g = "context"
        figures += [
            c.Figure(
                g,
                f"count tokens, {label}, cold",
                c.ms(c.median(cold)),
                "ms",
                note=f"{tokens} tokens",
            ),
            c.Figure(g, f"count tokens, {label}, cached", c.ms(c.median(warm)), "ms"),
            c.Figure(
                g,
                f"compact (recent), {label}",
                c.ms(c.median(compaction)),
                "ms",
                "< 100 ms" if n == 10_000 else "",
                c.check(c.median(compaction), 0.1) if n == 10_000 else None,
                f"{report.before_messages} -> {report.after_messages} messages, "
                f"{report.before_tokens} -> {report.after_tokens} tokens",
            ),
        ]
        details[str(n)] = {
            "tokens": tokens,
            "count_cold_s": cold,
            "count_cached_s": warm,
            "compact_s": compaction,
            "after_messages": report.after_messages,
            "after_tokens": report.after_tokens,
        }
    return figures, details


def request_body(reps: int) -> tuple[list[c.Figure], dict[str, Any]]:
    from victor.protocols import ToolSpec
    from victor.providers.anthropic import AnthropicProvider

    provider = AnthropicProvider(api_key="bench-key")  # builds bodies only: nothing is sent
    tools = [ToolSpec("read_file", "Read a file.", {"type": "object", "properties": {}})]
    figures: list[c.Figure] = []
    details: dict[str, Any] = {}
    for n in (1_000, 10_000):
        messages = make_messages(n)
        times = _timed(lambda m=messages: provider._params(m, "m", "system", tools), reps)
        label = f"{n // 1000}k messages"
        figures.append(
            c.Figure(
                "context",
                f"Anthropic request body, {label}",
                c.ms(c.median(times)),
                "ms",
                note="per request: wire format, breakpoints, lone-surrogate cleaning",
            )
        )
        details[str(n)] = times
    return figures, details


class InstantProvider:
    """A provider that answers at once (no network): the turn's own work is what is timed."""

    name = "bench"
    default_model = "bench"

    async def chat(self, messages: Sequence[Any], **kwargs: Any) -> Any:
        from victor.providers.base import ChatResponse, Usage

        return ChatResponse("ok", Usage(100, 1))

    def stream(self, messages: Sequence[Any], **kwargs: Any) -> AsyncIterator[Any]:
        return self._stream()

    async def _stream(self) -> AsyncIterator[Any]:
        from victor.providers.base import ChatResponse, StreamEvent, Usage

        yield StreamEvent("text", text="ok")
        yield StreamEvent("done", response=ChatResponse("ok", Usage(100, 1)))

    async def count_tokens(self, *args: Any, **kwargs: Any) -> None:
        return None

    def context_window(self, model: str) -> int:
        return 200_000

    async def aclose(self) -> None:
        return None


async def bookkeeping(turns: int) -> tuple[list[c.Figure], dict[str, Any]]:
    from victor.agent.orchestrator import AgentOrchestrator
    from victor.config.settings import Settings
    from victor.providers.base import Provider
    from victor.storage.session_store import SessionStore

    Provider.register(InstantProvider)  # it implements the interface; the ABC need not know
    tmp = Path(tempfile.mkdtemp(prefix="victor-bench-ctx-"))
    per_turn: dict[int, list[float]] = {}
    cpu_turn: dict[int, list[float]] = {}
    loads: dict[int, float] = {}
    try:
        for n in (100, 1_000, 10_000):
            store = SessionStore(tmp / f"s{n}.sqlite3")
            settings = Settings(
                provider="anthropic",
                context_window=50_000_000,
                enable_tools=False,
                compaction_strategy="recent",
                data_dir=tmp,
            )
            orch = AgentOrchestrator(settings, InstantProvider(), "bench", store=store)
            sid = store.create_session(title="long").id
            store.append_messages(sid, make_messages(n))
            start = time.perf_counter()
            await orch.chat("first turn", session_id=sid)  # loads the session from SQLite
            loads[n] = time.perf_counter() - start
            for _ in range(3):
                await orch.chat("warm-up", session_id=sid)
            times, cpu = [], []
            for i in range(turns):
                start, cpu_start = time.perf_counter(), time.process_time()
                await orch.chat(f"turn {i}: what next?", session_id=sid)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
            per_turn[n], cpu_turn[n] = times, cpu
            await orch.aclose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    g = "bookkeeping"
    figures = []
    for n, times in per_turn.items():
        label = "100 messages" if n == 100 else f"{n // 1000}k messages"
        figures.append(
            c.Figure(
                g,
                f"per turn, {label}",
                c.ms(c.median(times)),
                "ms",
                note=f"CPU {c.ms(c.median(cpu_turn[n])):.2f} ms; "
                f"p90 {c.ms(c.percentile(times, 90)):.2f} ms; "
                f"first turn (load) {c.ms(loads[n]):.1f} ms",
            )
        )
    base_cpu, base_wall = c.median(cpu_turn[100]), c.median(per_turn[100])
    for n in (1_000, 10_000):
        ratio = c.median(cpu_turn[n]) / base_cpu
        figures.append(
            c.Figure(
                g,
                f"per turn {n // 1000}k / per turn 100 (CPU time)",
                round(ratio, 3),
                "x",
                "<= 1.5x (no growth)",
                c.check(ratio, 1.5),
                f"wall-clock {c.median(per_turn[n]) / base_wall:.2f}x (includes the fsync)",
            )
        )
    details = {
        "turns": turns,
        "per_turn_s": {str(k): v for k, v in per_turn.items()},
        "per_turn_cpu_s": {str(k): v for k, v in cpu_turn.items()},
        "first_turn_s": {str(k): v for k, v in loads.items()},
    }
    return figures, details


async def run(quick: bool) -> tuple[list[c.Figure], dict[str, Any]]:
    reps = 3 if quick else 7
    figs, det = await accounting(reps)
    figs1, det1 = request_body(reps)
    figs2, det2 = await bookkeeping(10 if quick else 40)
    return figs + figs1 + figs2, {
        "repetitions": reps,
        "accounting": det,
        "request_body_s": det1,
        "bookkeeping": det2,
    }


def main(argv: list[str] | None = None) -> dict:
    args = c.parser(__doc__.splitlines()[0]).parse_args(argv)
    figs, det = asyncio.run(run(args.quick))
    return c.report("context", figs, det, args.json)


if __name__ == "__main__":
    c.ensure_venv()
    main(sys.argv[1:])
