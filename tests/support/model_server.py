"""A local model server speaking the real Anthropic and OpenAI wire formats (stdlib only).

The only stand-in for a model in this project: the real SDKs talk to it unchanged.

Endpoints
    POST /v1/messages                 Anthropic Messages, JSON or SSE (``"stream": true``)
    POST /v1/messages/count_tokens    ``{"input_tokens": N}`` (about a quarter of the chars)
    POST /v1/chat/completions         OpenAI chat completions, JSON or SSE (also without /v1)
    POST /v1/completions              OpenAI legacy completions (FIM: ``prompt`` + ``suffix``),
                                      JSON or SSE, strictly validated (model_completions.py)
    GET  /v1/models                   model list (Anthropic shape if ``anthropic-version`` sent)
    GET  /_control/requests           ``{"requests": [...]}`` every request so far, in order
                                      (``?since=N``: from the N-th on)
    GET  /_control/health             ``{"ok": true, "queued": N}``
    GET  /_control/wait_client_close?timeout=5   the first request whose client hung up early
                                      (408 if none in time)
    POST /_control/script             queue replies: one object, a list, or ``{"replies": [...]}``
                                      with the fields of ``Reply`` (see model_script.py)
    POST /_control/reset              forget queued replies, recorded requests, cached prefixes
    POST /_control/clock              ``{"advance": SECONDS}``: time passes for the prompt cache

Answers come from the FIFO of scripted replies (shared by both chat APIs; count_tokens takes
only replies with ``endpoint="count_tokens"``); when it is empty the default answer is
``Echo: <text of the last user message>`` in word deltas. Markers in that message change it:
    [[slow]]                 200 deltas, 50 ms apart (long enough to press Stop)
    [[deltas:N]]             exactly N deltas, no delay (benchmarks)
    [[tool:NAME {json}]]     also call tool NAME with that input (only on a plain user turn,
                             so the turn carrying the tool result gets a plain echo)
    [[error:STATUS]]         fail with that HTTP status in the API's error shape

Strict: every chat and count_tokens request is first checked against the documented rules of
its API (``model_rules``: required fields, non-empty text, tool_use/tool_result pairing, tool
id pattern and uniqueness, tools defined, at most 4 cache breakpoints, UTF-8 without lone
surrogates, max_tokens within the model's limit, max_completion_tokens for OpenAI reasoning
models). A request that breaks one gets the 400 the real API would send, in its error shape,
and is recorded with ``invalid`` set (``server.violations``), so every test checks validity.

Usage figures are estimates; Anthropic prompt caching is simulated from ``cache_control``
breakpoints with the API's rules (prefix match, 20-block look-back, minimum cacheable length
per model, 5-minute lifetime: see ``model_cache``), and each request records the usage it
was billed (``RecordedRequest.usage``). Keys are accepted from ``x-api-key`` or
``Authorization: Bearer``; any key (or none) is fine unless the server was given ``api_key``,
then others get a 401.

A client hanging up before a stream ended is recorded (``client_closed``); it is noticed while
the server waits between deltas or at the next write, so give the stream delays
(``[[slow]]`` or ``Reply(delay=...)``) when a test needs to see it.

Python API (see ``ModelServer``)::

    with ModelServer() as server:                  # or .start() / .stop(); port 0 by default
        server.enqueue(Reply(text="hi", delay=0.01), Reply.error(529), Reply.tool_use("f", {}))
        ...                                        # point an SDK at server.url
        server.requests                            # [RecordedRequest], oldest first
        server.wait_for_requests(2)                # until 2 requests were fully handled
        server.wait_for_client_close(timeout=5)    # the request whose client hung up
        server.client_closed                       # threading.Event, set on such a hang-up
        server.reset()

The pytest fixture ``model_server`` (tests/conftest.py) gives a fresh server per test.

CLI: ``python -m tests.support.model_server --port 0 [--host H] [--api-key K]`` prints
``READY http://127.0.0.1:PORT`` once listening and serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

from tests.support.model_cache import PromptCache
from tests.support.model_http import Handler, RecordedRequest
from tests.support.model_script import Reply

__all__ = ["ModelServer", "RecordedRequest", "Reply"]


class _HttpServer(ThreadingHTTPServer):
    """The standard threading server, quiet about clients that hang up between requests."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client (the SDKs' pools) that resets a kept-alive connection while the handler
        # waits for its next request line: nothing went wrong, and the traceback printed in
        # the middle of the test output looked like a failure.
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)


class ModelServer:
    """In-process server: ``with ModelServer() as s: ... s.url`` (``http://127.0.0.1:PORT``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host, self.port, self.api_key = host, port, api_key
        self.url = ""
        #: set whenever a client hangs up before a streamed response ended
        self.client_closed = threading.Event()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: list[Reply] = []
        self._records: list[RecordedRequest] = []
        self._cache = PromptCache(clock)
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> ModelServer:
        httpd = _HttpServer((self.host, self.port), Handler)
        httpd.daemon_threads = True
        httpd.owner = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # keep-alive connections would otherwise hold their threads
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread:
            self._thread.join(5)
        self._httpd = None

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- scripting

    def enqueue(self, *replies: Reply | dict[str, Any]) -> None:
        """Queue answers; each request to a matching endpoint takes the oldest one."""
        items = [r if isinstance(r, Reply) else Reply.from_dict(r) for r in replies]
        with self._lock:
            self._queue.extend(items)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._records.clear()
            self._cache.clear()
            self.client_closed.clear()

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    def _take(self, endpoint: str) -> Reply | None:
        with self._lock:
            for i, reply in enumerate(self._queue):
                if reply.endpoint == endpoint:
                    return self._queue.pop(i)
        return None

    def advance_clock(self, seconds: float) -> None:
        """Let ``seconds`` pass for the prompt cache (entries live 5 minutes), without sleeping."""
        with self._lock:
            self._cache.advance(seconds)

    def _cache_usage(self, body: dict[str, Any]) -> dict[str, int]:
        with self._lock:
            return self._cache.usage(body)

    # ----------------------------------------------------------------- recording

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every model API request so far (control requests excluded), oldest first."""
        with self._lock:
            return list(self._records)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Wait until ``count`` requests have been received and fully handled."""
        return self._wait(
            lambda: len(self._records) >= count and all(r.finished for r in self._records),
            timeout,
            f"{count} finished requests",
        )

    def wait_for_client_close(self, timeout: float = 5.0) -> RecordedRequest:
        """The first request whose client hung up before its response ended."""
        self._wait(lambda: any(r.client_closed for r in self._records), timeout, "a hang-up")
        return next(r for r in self.requests if r.client_closed)

    def _wait(self, ready: Any, timeout: float, what: str) -> list[RecordedRequest]:
        with self._changed:
            if not self._changed.wait_for(ready, timeout):
                raise TimeoutError(f"model server: no {what} within {timeout}s")
            return list(self._records)

    def _record(self, rec: RecordedRequest) -> RecordedRequest:
        with self._changed:
            rec.index = len(self._records)
            self._records.append(rec)
            self._changed.notify_all()
        return rec

    @property
    def violations(self) -> list[RecordedRequest]:
        """The requests answered 400 because they broke a documented API rule."""
        return [r for r in self.requests if r.invalid]

    def _report_violation(self, rec: RecordedRequest, violation: Any) -> None:
        # For a whole-suite survey: VICTOR_MODEL_SERVER_VIOLATIONS=file collects every
        # rejected request with the test that sent it (one JSON object a line).
        target = os.environ.get("VICTOR_MODEL_SERVER_VIOLATIONS")
        if not target:
            return
        line = {
            "test": os.environ.get("PYTEST_CURRENT_TEST", ""),
            "path": rec.path,
            "rule": violation.message,
            "body": rec.body,
        }
        with contextlib.suppress(OSError), open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=True, default=str) + "\n")

    def _update(self, rec: RecordedRequest, **changes: Any) -> None:
        with self._changed:
            for key, value in changes.items():
                setattr(rec, key, value)
            self._changed.notify_all()
        if changes.get("client_closed"):
            self.client_closed.set()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local model server for Victor's tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default=None, help="reject other keys with a 401")
    args = parser.parse_args(argv)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    with ModelServer(args.host, args.port, api_key=args.api_key) as server:
        print(f"READY {server.url}", flush=True)
        while not done.wait(0.5):
            pass


if __name__ == "__main__":
    main()
