"""Concurrency: 1, 4 and 8 sessions streaming at once through one daemon.

For each level k, k ``victor/chat`` requests (each in its own session, each with a
partialResultToken) start together; the figure is the median time of one stream (request ->
final response) divided by the median time of a lone stream. Two kinds of answer:

- at a model's pace: a scripted answer of N deltas 10 ms apart (about 100 deltas/s per
  stream, as a fast hosted model streams); the target applies here;
- at full speed (``[[deltas:N]]``): a stress case where the model server, the daemon and
  this client all compete for the machine's 2 cores.

The same levels through the bare Anthropic SDK (k concurrent streams from this process, same
model server) are the baseline: they show what the machine and the model server themselves
allow.

    python bench/bench_concurrency.py [--quick] [--json PATH]
"""

from __future__ import annotations

import asyncio
import sys
import time
import warnings
from typing import Any

import _common as c
from _daemon import Bench, new_session, timed_chat, victor_daemon

LEVELS = (1, 4, 8)
DELAY = 0.01


def _reply(deltas: int) -> dict[str, Any]:
    return {"deltas": [f"w{i} " for i in range(deltas)], "delay": DELAY}


async def daemon_level(bench: Bench, k: int, mode: str, deltas: int) -> list[float]:
    sessions = [await new_session(bench.client) for _ in range(k)]
    if mode == "paced":
        await asyncio.to_thread(bench.model.script, *[_reply(deltas) for _ in range(k)])
        message = "paced answer"
    else:
        message = f"fast answer [[deltas:{deltas}]]"
    timings = await asyncio.gather(*(timed_chat(bench.client, message, s) for s in sessions))
    for t in timings:
        if t.result is None or t.streamed != t.result.get("content"):
            raise RuntimeError("streamed deltas differ from the final content")
    return [t.last_s for t in timings]


async def sdk_level(bench: Bench, sdk: Any, k: int, mode: str, deltas: int) -> list[float]:
    if mode == "paced":
        await asyncio.to_thread(bench.model.script, *[_reply(deltas) for _ in range(k)])
        message = "paced answer"
    else:
        message = f"fast answer [[deltas:{deltas}]]"

    async def one() -> float:
        sent = time.perf_counter()
        stream = await sdk.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=4096,
            messages=[{"role": "user", "content": message}],
            stream=True,
        )
        async for _ in stream:
            pass
        return time.perf_counter() - sent

    return list(await asyncio.gather(*(one() for _ in range(k))))


async def run(quick: bool) -> tuple[list[c.Figure], dict[str, Any]]:
    import anthropic

    warnings.simplefilter("ignore", DeprecationWarning)  # the SDK's model deprecation notice
    rounds = 2 if quick else 5
    sizes = {"paced": 100 if quick else 200, "fast": 2000 if quick else 4000}
    data: dict[str, dict[str, dict[int, list[float]]]] = {}
    async with victor_daemon() as bench:
        sdk = anthropic.AsyncAnthropic(api_key="bench-key", base_url=bench.model.url, max_retries=0)
        try:
            await timed_chat(bench.client, "warm up [[deltas:50]]", await new_session(bench.client))
            for mode in ("paced", "fast"):
                data[mode] = {"daemon": {k: [] for k in LEVELS}, "sdk": {k: [] for k in LEVELS}}
                for _ in range(rounds):
                    for k in LEVELS:
                        data[mode]["daemon"][k] += await daemon_level(bench, k, mode, sizes[mode])
                        data[mode]["sdk"][k] += await sdk_level(bench, sdk, k, mode, sizes[mode])
                print(f"  concurrency: {mode} done", flush=True)
        finally:
            await sdk.close()
    figures: list[c.Figure] = []
    for mode in ("paced", "fast"):
        label = (
            f"{sizes[mode]} deltas at 100/s" if mode == "paced" else f"{sizes[mode]} deltas, full"
        )
        lone = c.median(data[mode]["daemon"][1])
        sdk_lone = c.median(data[mode]["sdk"][1])
        figures.append(c.Figure("concurrency", f"lone stream ({label})", c.ms(lone), "ms"))
        for k in LEVELS[1:]:
            ratio = c.median(data[mode]["daemon"][k]) / lone
            sdk_ratio = c.median(data[mode]["sdk"][k]) / sdk_lone
            worst = max(data[mode]["daemon"][k]) / lone
            target, met = ("", None)
            if k == 8:
                target, met = "<= 1.5x", c.check(ratio, 1.5)
                if mode == "fast":
                    target += " (stress)"
            figures.append(
                c.Figure(
                    "concurrency",
                    f"{k} at once, per stream vs lone ({mode})",
                    round(ratio, 3),
                    "x",
                    target,
                    met,
                    f"slowest {worst:.2f}x; bare SDK {sdk_ratio:.2f}x",
                )
            )
    details = {
        "rounds": rounds,
        "deltas": sizes,
        "delay_s": DELAY,
        "stream_seconds": {
            mode: {who: {str(k): v for k, v in per.items()} for who, per in d.items()}
            for mode, d in data.items()
        },
    }
    return figures, details


def main(argv: list[str] | None = None) -> dict:
    args = c.parser(__doc__.splitlines()[0]).parse_args(argv)
    figs, det = asyncio.run(run(args.quick))
    return c.report("concurrency", figs, det, args.json)


if __name__ == "__main__":
    c.ensure_venv()
    main(sys.argv[1:])
