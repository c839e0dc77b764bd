"""Responsiveness: request latency while an answer streams through the daemon.

One daemon, one open document (shop/app.py). Three kinds of request, interleaved and sent one
at a time with a short random pause between them:

- ``victor/status``;
- ``textDocument/didChange`` (an incremental edit) + a following ``textDocument/codeAction``
  on the changed text: time from sending the change to the code actions' answer;
- ``textDocument/codeAction`` on a selection.

Each is measured under three conditions: idle (no stream), during a stream at a model's pace
(100 deltas/s, scripted ``delay``) and during a stream at the model server's full speed
(``[[deltas:N]]``, thousands of deltas per second; a stress case). A background task keeps a
stream running for as long as the samples are taken. Figures: p50 and p99 per kind.

    python bench/bench_responsiveness.py [--quick] [--json PATH]
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from typing import Any

import _common as c
from _daemon import Bench, new_session, timed_chat, victor_daemon

KINDS = ("victor/status", "didChange + codeAction", "codeAction")
PACED_DELTAS, PACED_DELAY = 600, 0.01  # 100 deltas/s, 6 s per answer
FAST_DELTAS = 20000


class Doc:
    def __init__(self, bench: Bench) -> None:
        self.client = bench.client
        self.uri = bench.app_uri
        self.text = (bench.root / c.APP_URI_NAME).read_text()
        self.version = 1
        self.flip = False
        lines = self.text.splitlines()
        self.line = next(i for i, ln in enumerate(lines) if "def by_tag" in ln)
        self.col = lines[self.line].index("tag:")

    def open(self) -> None:
        self.client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": self.uri,
                    "languageId": "python",
                    "version": self.version,
                    "text": self.text,
                }
            },
        )

    def change(self) -> None:
        """Rename ``tag`` <-> ``tab`` in the signature (same length, so ranges stay valid)."""
        old, new = ("tag", "tab") if not self.flip else ("tab", "tag")
        self.flip = not self.flip
        self.version += 1
        start = {"line": self.line, "character": self.col}
        end = {"line": self.line, "character": self.col + len(old)}
        self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [{"range": {"start": start, "end": end}, "text": new}],
            },
        )

    def code_action_params(self) -> dict[str, Any]:
        return {
            "textDocument": {"uri": self.uri},
            "range": {
                "start": {"line": self.line, "character": 0},
                "end": {"line": self.line + 2, "character": 0},
            },
            "context": {"diagnostics": [], "triggerKind": 1},
        }


async def sample(doc: Doc, kind: str) -> float:
    client = doc.client
    if kind == "victor/status":
        sent = time.perf_counter()
        _, done = await client.request_timed("victor/status", {})
    elif kind == "codeAction":
        sent = time.perf_counter()
        _, done = await client.request_timed("textDocument/codeAction", doc.code_action_params())
    else:
        sent = time.perf_counter()
        doc.change()
        _, done = await client.request_timed("textDocument/codeAction", doc.code_action_params())
    return done - sent


async def keep_streaming(bench: Bench, mode: str, counter: list[int]) -> None:
    """Run answers back to back (each in a fresh session) until cancelled."""
    while True:
        sid = await new_session(bench.client)
        if mode == "paced":
            deltas = [f"w{i} " for i in range(PACED_DELTAS)]
            await asyncio.to_thread(bench.model.script, {"deltas": deltas, "delay": PACED_DELAY})
            message = "paced answer"
        else:
            message = f"fast answer [[deltas:{FAST_DELTAS}]]"
        await timed_chat(bench.client, message, sid, timeout=300)
        counter[0] += 1


async def measure(bench: Bench, doc: Doc, mode: str, per_kind: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in KINDS}
    counter = [0]
    streamer = None
    if mode != "idle":
        progress = asyncio.Event()
        undo = bench.client.on("$/progress", lambda *_: progress.set())
        streamer = asyncio.ensure_future(keep_streaming(bench, mode, counter))
        await asyncio.wait_for(progress.wait(), 30)  # the stream is flowing
        undo()
    try:
        order = [k for k in KINDS for _ in range(per_kind)]
        random.Random(7).shuffle(order)
        for kind in order:
            out[kind].append(await sample(doc, kind))
            await asyncio.sleep(random.uniform(0.002, 0.01))
            if streamer is not None and streamer.done():
                streamer.result()  # re-raise what stopped it
    finally:
        if streamer is not None:
            streamer.cancel()
            with contextlib.suppress(BaseException):
                await streamer
            # let the cancelled turn settle before the next condition
            await asyncio.sleep(0.3)
    out["_streams"] = [float(counter[0])]
    return out


async def run(quick: bool) -> tuple[list[c.Figure], dict[str, Any]]:
    per_kind = 60 if quick else 300
    results: dict[str, dict[str, list[float]]] = {}
    async with victor_daemon() as bench:
        doc = Doc(bench)
        doc.open()
        await timed_chat(bench.client, "warm up [[deltas:50]]", await new_session(bench.client))
        for kind in KINDS:  # warm-up of each request kind
            await sample(doc, kind)
        for mode in ("idle", "paced", "fast"):
            results[mode] = await measure(bench, doc, mode, per_kind)
            print(f"  responsiveness: {mode} done", flush=True)
    figures: list[c.Figure] = []
    labels = {
        "idle": "idle",
        "paced": "during a 100 deltas/s stream",
        "fast": "during a full-speed stream",
    }
    for mode, label in labels.items():
        for kind in KINDS:
            values = results[mode][kind]
            p50, p99 = c.percentile(values, 50), c.percentile(values, 99)
            target = "" if mode == "idle" else "p99 < 20 ms"
            met = None if mode == "idle" else c.check(p99, 0.020)
            figures.append(
                c.Figure(
                    "responsiveness",
                    f"{kind}, {label}: p99",
                    c.ms(p99),
                    "ms",
                    target,
                    met,
                    f"p50 {c.ms(p50):.2f} ms, max {c.ms(max(values)):.1f} ms, n={len(values)}",
                )
            )
    details = {
        "samples_per_kind": per_kind,
        "paced": {"deltas": PACED_DELTAS, "delay_s": PACED_DELAY},
        "fast_deltas": FAST_DELTAS,
        "latencies_s": results,
    }
    return figures, details


def main(argv: list[str] | None = None) -> dict:
    args = c.parser(__doc__.splitlines()[0]).parse_args(argv)
    figs, det = asyncio.run(run(args.quick))
    return c.report("responsiveness", figs, det, args.json)


if __name__ == "__main__":
    c.ensure_venv()
    main(sys.argv[1:])
