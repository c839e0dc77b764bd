"""HTTP side of the local model server: routing, streaming, faults, control endpoints.

``model_server.ModelServer`` owns the state (queue, records, cache); this handler reads and
updates it through the owner's methods, under the owner's lock.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests.support import model_completions
from tests.support import model_rules as rules
from tests.support import model_rules_openai as rules_openai
from tests.support import model_wire as wire
from tests.support.model_script import Reply, count_prompt_tokens, default_reply

if TYPE_CHECKING:
    from tests.support.model_server import ModelServer


@dataclass
class RecordedRequest:
    index: int
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names; nothing is removed (tests grep for keys)
    body: Any  # parsed JSON, or None
    raw_body: str
    status: int | None = None
    streamed: bool = False
    completed: bool = False  # the whole response was written
    client_closed: bool = False  # the client hung up before the response ended
    fault: str | None = None
    finished: bool = False  # the server is done with this request
    invalid: str | None = None  # the API rule the request broke (answered 400), if any
    usage: dict[str, int] | None = None  # the prompt's billing (input, cache read / write)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _ClientGone(Exception):
    """The client closed the connection (or the server is stopping) mid-response."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, as the real APIs
    server_version = "VictorModelServer/1"

    @property
    def owner(self) -> ModelServer:
        return self.server.owner  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        # Deltas are small writes; without NODELAY Nagle + delayed ACK add ~40 ms stalls.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.owner._lock:
            self.owner._conns.add(self.connection)

    def finish(self) -> None:
        with self.owner._lock:
            self.owner._conns.discard(self.connection)
        with contextlib.suppress(OSError):  # the client may be gone already
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    # ----------------------------------------------------------------- plumbing

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except OSError as exc:
            raise _ClientGone from exc

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", f"req_{id(self):x}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self._write(data)

    def _answer(
        self,
        rec: RecordedRequest,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        **changes: Any,
    ) -> None:
        """Send a JSON answer to a recorded model request.

        The status is recorded before the answer goes out: a test reads the record as soon as
        its client has the answer, which can be before this thread runs again.
        """
        self.owner._update(rec, status=status, **changes)
        self._send_json(status, payload, headers)
        self.owner._update(rec, completed=True)

    def _pause(self, seconds: float) -> None:
        """Sleep, but notice at once if the client hangs up (or the server stops)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.owner._stopping.is_set():
                raise _ClientGone
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        raise _ClientGone
                except OSError as exc:
                    raise _ClientGone from exc
                time.sleep(min(left, 0.05))  # data we do not expect; do not spin on it

    def _reset_connection(self, rec: RecordedRequest) -> None:
        # linger 0: closing sends RST, the way a broken proxy or network drops a stream
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.owner._update(rec, fault="reset")
        # The socket really closes only when its last file object does: close rfile first.
        self.rfile.close()
        self.connection.close()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            text, utf8 = raw.decode("utf-8"), True
        except UnicodeDecodeError:  # [JSON] in model_rules: bodies must be UTF-8
            text, utf8 = raw.decode("utf-8", "replace"), False
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = None
        if not utf8:
            body = None
        if url.path.startswith("/_control/"):
            self._control(url.path, parse_qs(url.query), body)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        rec = self.owner._record(
            RecordedRequest(-1, self.command, url.path, url.query, headers, body, text)
        )
        try:
            self._route(rec, url.path, body)
        except _ClientGone:
            self.close_connection = True
            if not self.owner._stopping.is_set():
                self.owner._update(rec, client_closed=True)
        finally:
            self.owner._update(rec, finished=True)

    def _api_of(self, path: str) -> str:
        if path.endswith("/chat/completions"):
            return "openai"
        if path.endswith("/models") and "anthropic-version" not in self.headers:
            return "openai"
        return "anthropic"

    def _route(self, rec: RecordedRequest, path: str, body: Any) -> None:
        if self.command == "POST" and path in model_completions.PATHS:
            if self.owner.api_key is not None and self._key() != self.owner.api_key:
                return self._error(rec, "openai", Reply.error(401))
            return model_completions.handle(self, rec, body)
        api = self._api_of(path)
        known = {
            ("POST", "/v1/messages"),
            ("POST", "/v1/messages/count_tokens"),
            ("POST", "/v1/chat/completions"),
            ("POST", "/chat/completions"),
            ("GET", "/v1/models"),
            ("GET", "/models"),
        }
        if (self.command, path) not in known:
            return self._error(rec, api, Reply.error(404, f"No route for {self.command} {path}"))
        if self.owner.api_key is not None and self._key() != self.owner.api_key:
            return self._error(rec, api, Reply.error(401))
        if path.endswith("/models"):
            payload = wire.openai_models() if api == "openai" else wire.anthropic_models()
            return self._answer(rec, 200, payload)
        if not isinstance(body, dict):
            return self._error(rec, api, Reply.error(400, "The request body is not JSON."))
        violation = (
            rules_openai.check_openai(body)
            if api == "openai"
            else rules.check_anthropic(body, count_tokens=path.endswith("/count_tokens"))
        )
        if violation is not None:
            return self._invalid(rec, api, violation)
        if path.endswith("/count_tokens"):
            return self._count_tokens(rec, body)
        reply = self.owner._take("chat") or default_reply(api, body)
        if reply.status and reply.status >= 400:
            return self._error(rec, api, reply)
        usage = self.owner._cache_usage(body) if api == "anthropic" else _plain_usage(body)
        self.owner._update(rec, usage=dict(usage))
        ans = wire.resolve(reply, api, body, usage)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = (
                wire.anthropic_stream(ans)
                if api == "anthropic"
                else wire.openai_stream(ans, include_usage)
            )
            return self._stream(rec, api, reply, events)
        return self._answer_json(rec, api, reply, ans)

    def _answer_json(self, rec: RecordedRequest, api: str, reply: Reply, ans: wire.Answer) -> None:
        """A non-streamed answer; faults apply to the response as a whole."""
        if reply.fault == "reset":
            return self._reset_connection(rec)
        if reply.fault == "error_event":
            return self._error(rec, api, Reply.error(reply.status or 500, reply.error_message))
        stall = reply.stall_seconds if reply.fault == "stall" else 0.0
        self._pause(reply.delay * len(ans.deltas) + stall)
        payload = wire.anthropic_message(ans) if api == "anthropic" else wire.openai_completion(ans)
        if reply.fault == "malformed":
            payload = {"truncated": json.dumps(payload)[:40]}  # valid JSON, wrong shape
        self._answer(rec, 200, payload, fault=reply.fault)

    def _key(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return self.headers.get("x-api-key")

    def _count_tokens(self, rec: RecordedRequest, body: dict[str, Any]) -> None:
        reply = self.owner._take("count_tokens")
        if reply and reply.status and reply.status >= 400:
            return self._error(rec, "anthropic", reply)
        if reply and reply.input_tokens is not None:
            count = reply.input_tokens
        else:
            count = count_prompt_tokens(body)
        self._answer(rec, 200, {"input_tokens": count})

    def _error(self, rec: RecordedRequest, api: str, reply: Reply) -> None:
        status = reply.status or 500
        etype, message = reply.resolved_error()
        headers = dict(reply.headers)
        if reply.retry_after is not None:
            headers["retry-after"] = f"{reply.retry_after:g}"
        elif status == 429:
            headers.setdefault("retry-after", "1")
        payload = wire.anthropic_error(etype, message) if api == "anthropic" else None
        self._answer(rec, status, payload or wire.openai_error(etype, message), headers)

    def _invalid(self, rec: RecordedRequest, api: str, violation: rules.Violation) -> None:
        """400 in the API's shape for a request that breaks a documented rule."""
        self.owner._report_violation(rec, violation)
        if api == "anthropic":
            payload = wire.anthropic_error("invalid_request_error", violation.message)
        else:
            payload = wire.openai_error(
                "invalid_request_error", violation.message, violation.param, violation.code
            )
        self._answer(rec, 400, payload, invalid=violation.message)

    def _stream(self, rec: RecordedRequest, api: str, reply: Reply, events: wire.Stream) -> None:
        self.owner._update(rec, status=200, streamed=True)  # before the answer: see _answer
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("request-id", f"req_{id(self):x}")
        self.end_headers()
        for data in self._with_faults(rec, api, reply, events):
            self._write(b"%x\r\n%s\r\n" % (len(data), data))
        if rec.fault == "reset":
            return
        self._write(b"0\r\n\r\n")
        self.owner._update(rec, completed=True)

    def _with_faults(
        self, rec: RecordedRequest, api: str, reply: Reply, events: wire.Stream
    ) -> Iterator[bytes]:
        """The stream's events with the reply's delays and its fault (if any) applied."""
        sent = 0
        pending = reply.fault
        for kind, data in events:
            if pending and (kind == "tail" or (kind == "delta" and sent == reply.fault_after)):
                self.owner._update(rec, fault=pending)
                if pending == "reset":
                    self._reset_connection(rec)
                    return
                if pending == "stall":
                    self._pause(reply.stall_seconds)
                    pending = None
                else:  # malformed, error_event: the stream ends after the bad event
                    etype, message = reply.resolved_error()
                    if pending == "malformed":
                        anthropic = api == "anthropic"
                        yield wire.MALFORMED_ANTHROPIC if anthropic else wire.MALFORMED_OPENAI
                    elif api == "anthropic":
                        yield wire.anthropic_error_event(etype, message)
                    else:
                        yield wire.openai_error_event(etype, message)
                    return
            if kind == "delta":
                if reply.delay and sent:
                    self._pause(reply.delay)
                sent += 1
            yield data

    # ----------------------------------------------------------------- control

    def _control(self, path: str, query: dict[str, list[str]], body: Any) -> None:
        owner = self.owner
        if path == "/_control/requests":  # ?since=N: only requests N and later
            since = (query.get("since") or ["0"])[0]
            start = int(since) if since.isdigit() else 0
            self._send_json(200, {"requests": [r.to_dict() for r in owner.requests[start:]]})
        elif path == "/_control/health":
            self._send_json(200, {"ok": True, "queued": owner.queued})
        elif path == "/_control/reset" and self.command == "POST":
            owner.reset()
            self._send_json(200, {"ok": True})
        elif path == "/_control/clock" and self.command == "POST":
            seconds = body.get("advance") if isinstance(body, dict) else None
            if not isinstance(seconds, (int, float)) or seconds < 0:
                self._send_json(400, {"error": "advance: expected seconds >= 0"})
                return
            owner.advance_clock(float(seconds))
            self._send_json(200, {"ok": True})
        elif path == "/_control/script" and self.command == "POST":
            items = body.get("replies", body) if isinstance(body, dict) else body
            items = [items] if isinstance(items, dict) else items
            try:
                owner.enqueue(*(items or []))
            except (TypeError, ValueError, KeyError) as exc:
                self._send_json(400, {"error": f"bad reply: {exc}"})
                return
            self._send_json(200, {"queued": owner.queued})
        elif path == "/_control/wait_client_close":
            timeout = float((query.get("timeout") or ["5"])[0])
            try:
                self._send_json(200, owner.wait_for_client_close(timeout).to_dict())
            except TimeoutError as exc:
                self._send_json(408, {"error": str(exc)})
        else:
            self._send_json(404, {"error": f"unknown control endpoint {path}"})


def _plain_usage(body: dict[str, Any]) -> dict[str, int]:
    return {"input_tokens": count_prompt_tokens(body)}
