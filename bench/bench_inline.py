"""Inline completions: what the daemon adds to the model's time, and how it behaves while typing.

One daemon (Anthropic Messages against the local model server, in its own process), one open
document (shop/app.py with a function being written at its end). Figures:

- overhead: ``textDocument/inlineCompletion`` round trip minus the model server's own time
  for the same request (the recorded body posted again, straight to the model server, on a
  kept-alive connection), p50 and p99; every sample is a cache miss;
- abort: from the superseding keystroke (a didChange typing one more character, then its
  completion request) until the model server sees the first request's connection closed
  (``/_control/wait_client_close`` long-polled from a thread);
- cache hit rate: a 40-character suggestion typed through one keystroke at a time, a request
  after each keystroke; hits are answers given without a model request;
- ``victor/status`` p99 while a keystroke + completion request goes out every 125 ms
  (8 keystrokes/s; the model answers in 60 ms, so requests overlap and supersede).

    python bench/bench_inline.py [--quick] [--json PATH]
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import random
import sys
import time
import urllib.parse
import urllib.request
from typing import Any

import _common as c
from _daemon import Bench, victor_daemon

SUGGESTION = "return sum(i.price * i.qty for i in its)"  # 40 characters
TYPING_INTERVAL = 0.125  # 8 keystrokes/s
TYPING_MODEL_DELAY = 0.06


class Editor:
    """The open document: ``shop/app.py`` plus a function whose body is being typed."""

    def __init__(self, bench: Bench) -> None:
        self.client = bench.client
        self.uri = bench.app_uri
        self.head = (bench.root / c.APP_URI_NAME).read_text().rstrip("\n")
        self.head += "\n\n\ndef order_total(items):\n    "
        self.typed = ""
        self.version = 1
        self.client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": self.uri,
                    "languageId": "python",
                    "version": 1,
                    "text": self.head + "\n",
                }
            },
        )

    @property
    def position(self) -> dict[str, int]:
        text = self.head + self.typed
        return {"line": text.count("\n"), "character": len(text) - text.rfind("\n") - 1}

    def type(self, typed: str) -> None:
        """The line being written now reads ``typed`` (one whole-text didChange)."""
        self.typed = typed
        self.version += 1
        self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [{"text": self.head + typed + "\n"}],
            },
        )

    def params(self) -> dict[str, Any]:
        return {
            "textDocument": {"uri": self.uri},
            "position": self.position,
            "context": {"triggerKind": 2},
        }

    async def complete(self) -> tuple[list[str], float]:
        """One request: (insert texts, seconds until the answer was read)."""
        sent = time.perf_counter()
        result, done = await self.client.request_timed(
            "textDocument/inlineCompletion", self.params()
        )
        items = (result or {}).get("items", []) if isinstance(result, dict) else result or []
        return [item["insertText"] for item in items], done - sent


class ModelControl:
    """The model server's control endpoints and a kept-alive connection for replays."""

    def __init__(self, url: str) -> None:
        self.url = url
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def reset(self) -> None:
        self._call("POST", "/_control/reset", {})

    def script(self, *replies: dict[str, Any]) -> None:
        self._call("POST", "/_control/script", {"replies": list(replies)})

    def requests(self) -> list[dict[str, Any]]:
        return [
            r
            for r in self._call("GET", "/_control/requests")["requests"]
            if r["path"] == "/v1/messages"
        ]

    def wait_client_close(self, timeout: float = 10.0) -> float:
        """Blocks until a client hangs up; returns the perf_counter time the answer came."""
        self._call("GET", f"/_control/wait_client_close?timeout={timeout:g}")
        return time.perf_counter()

    def replay(self, record: dict[str, Any]) -> float:
        """Post a recorded request again, as is; the model server's own time for it."""
        headers = {
            k: v
            for k, v in record["headers"].items()
            if k not in ("content-length", "host", "connection", "accept-encoding")
        }
        body = record["raw_body"].encode()
        start = time.perf_counter()
        self.conn.request("POST", record["path"], body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        return time.perf_counter() - start


def reply(text: str, delay: float = 0.0) -> dict[str, Any]:
    # One delta: a non-streamed answer takes ``delay`` in all.
    return {"deltas": [f"<completion>{text}</completion>"], "delay": delay}


async def overhead(editor: Editor, model: ModelControl, samples: int) -> list[float]:
    out = []
    for i in range(samples + 3):
        await asyncio.to_thread(model.reset)
        await asyncio.to_thread(model.script, reply("compute(value)"))
        editor.type(f"value_{i} = ")
        texts, elapsed = await editor.complete()
        assert texts, "no suggestion came back"
        (record,) = await asyncio.to_thread(model.requests)
        own = await asyncio.to_thread(model.replay, record)
        if i >= 3:  # the first ones warm up the SDK and the card cache
            out.append(elapsed - own)
    return out


async def abort_times(editor: Editor, model: ModelControl, samples: int) -> list[float]:
    out = []
    for i in range(samples):
        await asyncio.to_thread(model.reset)
        await asyncio.to_thread(model.script, reply("slow()", delay=30.0), reply("fast()"))
        editor.type(f"slow_{i} = ")
        _, first = editor.client.send_request("textDocument/inlineCompletion", editor.params())
        deadline = time.monotonic() + 20
        while not await asyncio.to_thread(model.requests):
            if time.monotonic() > deadline:
                raise RuntimeError("the first completion never reached the model server")
            await asyncio.sleep(0.005)
        waiter = asyncio.ensure_future(asyncio.to_thread(model.wait_client_close))
        await asyncio.sleep(0.05)  # the long poll is waiting
        sent = time.perf_counter()  # the superseding keystroke (its didChange aborts)
        editor.type(f"slow_{i} = s")
        await editor.complete()
        with contextlib.suppress(Exception):
            out.append(await asyncio.wait_for(waiter, 15) - sent)
        await asyncio.wait_for(first, 10)
    return out


async def typing_through(editor: Editor, model: ModelControl, rounds: int) -> tuple[int, int]:
    """(keystrokes answered from the cache, keystrokes) over ``rounds`` suggestions."""
    hits = keys = 0
    for i in range(rounds):
        await asyncio.to_thread(model.reset)
        await asyncio.to_thread(model.script, *[reply(SUGGESTION) for _ in range(45)])
        start = f"# round {i}\n    "
        editor.type(start)
        texts, _ = await editor.complete()
        assert texts == [SUGGESTION], texts
        before = len(await asyncio.to_thread(model.requests))
        for n in range(1, 41):
            editor.type(start + SUGGESTION[:n])
            await editor.complete()
            now = len(await asyncio.to_thread(model.requests))
            hits += now == before
            before = now
            keys += 1
    return hits, keys


async def status_under_typing(editor: Editor, model: ModelControl, samples: int) -> list[float]:
    await asyncio.to_thread(model.reset)
    await asyncio.to_thread(
        model.script, *[reply("item.price", TYPING_MODEL_DELAY) for _ in range(2000)]
    )
    stop = asyncio.Event()
    pending: set[asyncio.Future[Any]] = set()

    async def typist() -> None:
        words = "the quick brown fox jumps over the lazy dog " * 50
        n = 0
        while not stop.is_set():
            n += 1
            editor.type("note = '" + words[: n % 300])
            _, future = editor.client.send_request("textDocument/inlineCompletion", editor.params())
            pending.add(future)
            future.add_done_callback(pending.discard)
            await asyncio.sleep(TYPING_INTERVAL)

    task = asyncio.ensure_future(typist())
    out = []
    try:
        await asyncio.sleep(0.5)
        rng = random.Random(3)
        for _ in range(samples):
            sent = time.perf_counter()
            _, done = await editor.client.request_timed("victor/status", {})
            out.append(done - sent)
            await asyncio.sleep(rng.uniform(0.005, 0.03))
    finally:
        stop.set()
        await task
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 10)
    return out


async def run(quick: bool) -> tuple[list[c.Figure], dict[str, Any]]:
    n_overhead, n_abort, rounds, n_status = (40, 10, 3, 150) if quick else (200, 40, 10, 600)
    async with victor_daemon() as bench:
        editor = Editor(bench)
        model = ModelControl(bench.model.url)
        over = await overhead(editor, model, n_overhead)
        print("  inline: overhead done", flush=True)
        aborts = await abort_times(editor, model, n_abort)
        print("  inline: abort done", flush=True)
        hits, keys = await typing_through(editor, model, rounds)
        print("  inline: typing through done", flush=True)
        status = await status_under_typing(editor, model, n_status)
        print("  inline: status under typing done", flush=True)
    o50, o99 = c.percentile(over, 50), c.percentile(over, 99)
    a50, a99 = c.percentile(aborts, 50), c.percentile(aborts, 99)
    s50, s99 = c.percentile(status, 50), c.percentile(status, 99)
    rate = 100.0 * hits / keys if keys else None
    g = "inline"
    figures = [
        c.Figure(
            g,
            "daemon overhead per completion: p50",
            c.ms(o50),
            "ms",
            "p50 < 5 ms",
            c.check(o50, 0.005),
            f"n={len(over)}",
        ),
        c.Figure(
            g,
            "daemon overhead per completion: p99",
            c.ms(o99),
            "ms",
            "p99 < 20 ms",
            c.check(o99, 0.020),
            f"max {c.ms(max(over)):.1f} ms",
        ),
        c.Figure(
            g,
            "superseding keystroke -> upstream aborted: p50",
            c.ms(a50),
            "ms",
            "< 10 ms",
            c.check(a50, 0.010),
            f"p99 {c.ms(a99):.1f} ms, n={len(aborts)} of {n_abort}",
        ),
        c.Figure(
            g,
            "cache hit rate typing through 40 characters",
            round(rate or 0, 1),
            "%",
            ">= 90%",
            c.check(rate, 90.0, at_most=False),
            f"{hits}/{keys} keystrokes",
        ),
        c.Figure(
            g,
            "victor/status under 8 keystrokes/s: p99",
            c.ms(s99),
            "ms",
            "p99 < 20 ms",
            c.check(s99, 0.020),
            f"p50 {c.ms(s50):.2f} ms, n={len(status)}",
        ),
    ]
    details = {
        "overhead_s": over,
        "abort_s": aborts,
        "cache": {"hits": hits, "keystrokes": keys, "suggestion_chars": 40},
        "status_s": status,
        "typing_interval_s": TYPING_INTERVAL,
        "typing_model_delay_s": TYPING_MODEL_DELAY,
    }
    return figures, details


def main(argv: list[str] | None = None) -> dict:
    args = c.parser(__doc__.splitlines()[0]).parse_args(argv)
    figs, det = asyncio.run(run(args.quick))
    return c.report("inline", figs, det, args.json)


if __name__ == "__main__":
    c.ensure_venv()
    main(sys.argv[1:])
