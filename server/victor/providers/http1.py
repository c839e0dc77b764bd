"""A small HTTP/1.1 client for inline completions: one JSON POST at a time per connection,
on asyncio streams.

httpx (through httpcore, anyio and h11) spent 1-3 ms of CPU per completion request on this
project's 2-core machine, more than everything else the daemon does for one; this client spends
a tenth of that. It sends one request in one write and reads a response with Content-Length or
chunked transfer encoding, keeps idle connections for reuse, and closes the connection when the
awaiting task is cancelled (so the server sees a superseded completion end at once). HTTPS
verifies certificates with certifi's bundle, as httpx does. It does not do proxies: callers use
httpx when a proxy is configured for the URL (``needs_proxy``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
IDLE_CONNECTIONS = 4


class HttpError(Exception):
    """The connection failed or the server's answer was not HTTP/1.1 we can read."""


class _StaleConnection(Exception):
    """The server closed the connection before answering (an idle keep-alive one)."""


@dataclass(frozen=True, slots=True)
class Response:
    status_code: int
    headers: dict[str, str]  # lower-case names
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def needs_proxy(url: str) -> bool:
    """Whether the environment names a proxy for ``url`` (HTTP(S)_PROXY without NO_PROXY)."""
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    if parts.scheme not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")


class Http1Client:
    """``await post(path, body)`` -> Response, against one base URL."""

    def __init__(
        self, base_url: str, headers: dict[str, str], *, timeout: float, connect_timeout: float
    ) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._tls = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._tls else 80)
        self._prefix = parts.path.rstrip("/")
        default_port = self._port == (443 if self._tls else 80)
        host_header = self._host if default_port else f"{self._host}:{self._port}"
        if ":" in self._host and not default_port:  # an IPv6 literal
            host_header = f"[{self._host}]:{self._port}"
        fixed = {"Host": host_header, "Accept-Encoding": "identity", **headers}
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._ssl: ssl.SSLContext | None = None

    async def post(self, path: str, body: Any) -> Response:
        data = json.dumps(body).encode("ascii")  # lone surrogates become \u escapes, not errors
        request = (
            f"POST {self._prefix}{path} HTTP/1.1\r\n".encode("latin-1")
            + self._head
            + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(data)
            + data
        )
        conn = None
        try:
            async with asyncio.timeout(self._timeout):
                if self._idle:
                    conn = self._idle.pop()
                    try:
                        response, keep = await self._exchange(conn, request)
                    except _StaleConnection:
                        _close(conn)  # the server had closed it while idle: a new one
                        conn = None
                if conn is None:
                    conn = await self._connect()
                    response, keep = await self._exchange(conn, request)
        except _StaleConnection:
            raise HttpError(f"{self._host}:{self._port} closed the connection") from None
        except BaseException:
            if conn is not None:
                _close(conn)  # cancelled (superseded), timed out or failed: the server sees it
            raise
        if keep and len(self._idle) < IDLE_CONNECTIONS:
            self._idle.append(conn)
        else:
            _close(conn)
        return response

    async def aclose(self) -> None:
        while self._idle:
            _close(self._idle.pop())

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._tls and self._ssl is None:
            self._ssl = _ssl_context()
        try:
            async with asyncio.timeout(self._connect_timeout):
                return await asyncio.open_connection(
                    self._host, self._port, ssl=self._ssl if self._tls else None
                )
        except TimeoutError:
            raise
        except (OSError, ssl.SSLError) as exc:
            raise HttpError(f"cannot connect to {self._host}:{self._port}: {exc}") from None

    async def _exchange(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
    ) -> tuple[Response, bool]:
        reader, writer = conn
        try:
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise HttpError("the server answered with headers too long") from None
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise HttpError("the server closed the connection mid-answer") from None
            raise _StaleConnection from None
        except (ConnectionResetError, BrokenPipeError):
            raise _StaleConnection from None
        if len(head) > MAX_HEADER_BYTES:
            raise HttpError("the server answered with headers too long")
        lines = head.decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith("HTTP/1."):
            raise HttpError(f"the server answered something that is not HTTP/1.1: {lines[0]!r}")
        try:
            status = int(status_line[1])
        except ValueError:
            raise HttpError(f"the server answered a bad status line: {lines[0]!r}") from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = await _read_chunked(reader)
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise HttpError("the server answered a bad Content-Length") from None
            if not 0 <= length <= MAX_BODY_BYTES:
                raise HttpError("the server answered a body too large")
            try:
                content = await reader.readexactly(length)
            except asyncio.IncompleteReadError:
                raise HttpError("the server closed the connection mid-answer") from None
        else:  # the body ends when the server closes the connection
            content = await reader.read(MAX_BODY_BYTES)
            return Response(status, headers, content), False
        keep = headers.get("connection", "").lower() != "close" and lines[0].startswith("HTTP/1.1")
        return Response(status, headers, content), keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise HttpError("the server answered a bad chunk size") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise HttpError("the server answered a body too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)  # the chunk's CRLF


def _ssl_context() -> ssl.SSLContext:
    try:
        import certifi
    except ImportError:  # httpx's own dependency; the system's store otherwise
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _close(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
    with contextlib.suppress(Exception):
        conn[1].transport.abort()  # no TLS goodbye, no waiting: the connection ends now
