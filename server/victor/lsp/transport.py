"""``victor serve --tcp`` and ``--socket``: who may connect, and only well-formed LSP.

On TCP any local user (and any web page, through the browser) can reach 127.0.0.1, so the
client must prove it is the user: the server makes a random token, writes it to a file only
the user can read (mode 0600, like Jupyter's), and the first message must be ``initialize``
with ``initializationOptions.token`` equal to it. A Unix domain socket is created 0600
instead: the file permissions keep other users out, and no token is needed.

On both, bytes are parsed strictly: header lines must be ``Content-Length``/``Content-Type``,
the first message must be ``initialize`` and small, so an HTTP request (``POST / HTTP/1.1``)
or any other protocol is refused and the connection closed before anything runs. One client
at a time: the server ends with its session, as it does on stdio.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from victor.lsp.server import VictorServer

log = logging.getLogger(__name__)

MAX_HEADER_LINES = 8
MAX_FIRST_MESSAGE = 1 << 20  # an initialize request is a few KiB
MAX_MESSAGE = 1 << 30  # the stdio reader's limit
FIRST_MESSAGE_SECONDS = 30.0
_HEADER = re.compile(rb"(content-length|content-type): *([^\r\n]{0,200})\r\n", re.IGNORECASE)
_INVALID_REQUEST = -32600


class FramingError(Exception):
    """The peer does not speak LSP's base protocol; the connection is closed."""


class Refused(Exception):
    """A well-formed first message that may not start a session (no or a wrong token)."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def default_token_path(port: int) -> Path:
    """``<user runtime dir>/victor/tcp-<port>.token`` (the config dir where there is none)."""
    from platformdirs import user_config_dir, user_runtime_dir

    for base in (user_runtime_dir("victor", appauthor=False), user_config_dir("victor")):
        try:
            Path(base).mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            continue
        return Path(base) / f"tcp-{port}.token"
    raise OSError("no writable directory for the TCP token; pass --token-file")


def write_token(path: Path, token: str) -> None:
    """Write ``token`` to ``path`` readable by the user only (a fresh file, never followed)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")


async def read_message(reader: asyncio.StreamReader, max_body: int) -> bytes | None:
    """One base-protocol message body; None at a clean end of stream. FramingError for
    anything else: unknown header lines, no or a bad Content-Length, a body too large."""
    length: int | None = None
    lines = 0
    while True:
        try:
            line = await reader.readline()
        except ValueError as exc:  # a line longer than the reader's limit
            raise FramingError("header line too long") from exc
        if not line:
            if lines == 0:
                return None
            raise FramingError("connection closed inside the headers")
        if line == b"\r\n":
            break
        lines += 1
        match = _HEADER.fullmatch(line)
        if match is None or lines > MAX_HEADER_LINES:
            raise FramingError(f"not an LSP header: {line[:40]!r}")
        if match.group(1).lower() == b"content-length":
            value = match.group(2).strip()
            if not value.isdigit() or len(value) > 12:
                raise FramingError(f"bad Content-Length: {value[:20]!r}")
            length = int(value)
    if length is None:
        raise FramingError("no Content-Length header")
    if length > max_body:
        raise FramingError(f"message of {length} bytes is over the {max_body}-byte limit")
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError as exc:
        raise FramingError("connection closed inside a message") from exc


def check_first_message(body: bytes, token: str | None) -> dict[str, Any]:
    """The ``initialize`` request that opens a session, with the token removed from it.
    FramingError if it is not JSON-RPC ``initialize``; Refused if the token is wrong."""
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise FramingError(f"not JSON: {exc}") from None
    if (
        not isinstance(message, dict)
        or message.get("jsonrpc") != "2.0"
        or message.get("method") != "initialize"
        or "id" not in message
        or not isinstance(message.get("params"), dict)
    ):
        raise FramingError("the first message must be an LSP initialize request")
    options = message["params"].get("initializationOptions")
    presented = options.pop("token", None) if isinstance(options, dict) else None
    if token is not None and not (
        isinstance(presented, str) and hmac.compare_digest(presented.encode(), token.encode())
    ):
        raise Refused(message.get("id"))
    return message


class ConnectionGate:
    """Accepts the first authenticated LSP client and hands its messages to the server."""

    def __init__(self, server: VictorServer, token: str | None, token_hint: str) -> None:
        self.server = server
        self.token = token
        self.token_hint = token_hint  # where the token is, for the refusal message
        self.busy = False
        self.listener: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or "a local socket"
        try:
            body = await asyncio.wait_for(
                read_message(reader, MAX_FIRST_MESSAGE), FIRST_MESSAGE_SECONDS
            )
            if body is None:
                raise FramingError("closed before sending anything")
            first = check_first_message(body, self.token)
        except Refused as exc:
            log.warning("refused a connection from %s: missing or wrong token", peer)
            self._reply_error(
                writer,
                exc.args[0],
                f"victor: wrong or missing token: pass the "
                f"token from {self.token_hint} as initializationOptions.token",
            )
            await _close_after_reply(reader, writer)
            return
        except (FramingError, TimeoutError) as exc:
            log.warning("refused a connection from %s: %s", peer, exc or "no message in time")
            writer.close()
            return
        if self.busy:
            log.warning("refused a connection from %s: a client is already connected", peer)
            self._reply_error(writer, first.get("id"), "victor: another client is connected")
            await _close_after_reply(reader, writer)
            return
        self.busy = True
        log.info("client connected from %s", peer)
        protocol = self.server.protocol
        protocol.set_writer(writer)  # type: ignore[arg-type]
        try:
            protocol.handle_message(first)
            while True:
                try:
                    body = await read_message(reader, MAX_MESSAGE)
                except FramingError as exc:
                    log.error("closing the connection: %s", exc)
                    break
                if body is None:
                    break
                try:
                    protocol.handle_message(json.loads(body))
                except (ValueError, RecursionError) as exc:
                    from pygls.exceptions import JsonRpcException

                    self.server.report_server_error(exc, JsonRpcException)
        finally:
            # The session is over, as on stdio when the editor goes: stop listening.
            if self.listener is not None:
                self.listener.close()

    @staticmethod
    def _reply_error(writer: asyncio.StreamWriter, msg_id: Any, message: str) -> None:
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": msg_id,
                "error": {"code": _INVALID_REQUEST, "message": message},
            }
        ).encode()
        writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)


async def _close_after_reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Close a refused connection so that the refusal reaches the client. Closing a socket
    whose receive buffer still holds the client's later messages sends a reset, which can
    destroy the refusal in flight; so: flush, half-close, discard (never run) what the client
    still sends for a bounded time, then close."""
    try:
        await asyncio.wait_for(writer.drain(), 2.0)
        if writer.can_write_eof():
            writer.write_eof()
        discarded = 0
        async with asyncio.timeout(2.0):
            while discarded < (1 << 20) and (chunk := await reader.read(65536)):
                discarded += len(chunk)
    except (OSError, TimeoutError):
        pass
    finally:
        writer.close()


async def serve_tcp(server: VictorServer, host: str, port: int, token_file: Path | None) -> None:
    """Listen on ``host:port``; the token goes to ``token_file`` (default: runtime dir)."""
    if host not in ("127.0.0.1", "::1", "localhost"):
        log.warning(
            "listening on %s: other machines can reach the daemon (the token still applies)",
            host,
        )
    token = new_token()
    gate = ConnectionGate(server, token, "")
    listener = await asyncio.start_server(gate.handle, host, port)
    gate.listener = listener
    bound = listener.sockets[0].getsockname()[1]
    path = token_file or default_token_path(bound)
    gate.token_hint = str(path)
    await asyncio.to_thread(write_token, path, token)
    # One line a script or an editor wrapper can read: where to connect, where the token is.
    print(f"victor: listening on {host}:{bound}; token in {path}", file=_stderr(), flush=True)
    try:
        async with listener:
            await listener.serve_forever()
    except asyncio.CancelledError:
        pass
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


async def serve_unix(server: VictorServer, socket_path: Path) -> None:
    """Listen on a Unix domain socket only the user can open (created mode 0600)."""
    _remove_stale_socket(socket_path)
    gate = ConnectionGate(server, None, str(socket_path))
    old = os.umask(0o177)  # the socket is never, even for a moment, open to others
    try:
        listener = await asyncio.start_unix_server(gate.handle, str(socket_path))
    finally:
        os.umask(old)
    os.chmod(socket_path, 0o600)
    gate.listener = listener
    print(f"victor: listening on {socket_path}", file=_stderr(), flush=True)
    try:
        async with listener:
            await listener.serve_forever()
    except asyncio.CancelledError:
        pass
    finally:
        await asyncio.to_thread(socket_path.unlink, missing_ok=True)


def _remove_stale_socket(path: Path) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode) or st.st_uid != os.getuid():
        raise OSError(f"{path} exists and is not a socket of yours: choose another path")
    path.unlink()


def _stderr() -> Any:
    import sys

    return sys.stderr
