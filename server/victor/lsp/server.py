"""The Victor language server: one server object, feature modules with ``setup(server)``."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcParseError
from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from victor import __version__
from victor.lsp.unknown_methods import QuietUnknownMethods

log = logging.getLogger(__name__)


@attrs.define
class _RawRequest:
    """A custom request whose params stay a plain dict (validated by ``lsp.params``)."""

    id: int | str
    method: str
    params: Any = None
    jsonrpc: str = "2.0"


@attrs.define
class _RawNotification:
    method: str
    params: Any = None
    jsonrpc: str = "2.0"


class VictorProtocol(QuietUnknownMethods, LanguageServerProtocol):
    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        """pygls 2.1's version reads the request id *after* running an async user handler,
        outside the request's context, so it cancels the shutdown request itself while
        iterating the futures ("dictionary changed size during iteration"). Same steps,
        with the id taken first and the futures copied."""
        current_id = self.msg_id
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    def structure_message(self, data: dict[str, Any]) -> Any:
        # pygls passes this as json.loads' object_hook, so it runs for *every* nested object
        # too: a param that happens to hold a "jsonrpc" key, or a structuring error deep
        # inside, would lose the request (no response at all). Objects stay plain dicts
        # here; ``handle_message`` structures the top-level message once.
        return data

    def handle_message(self, message: Any) -> None:
        if isinstance(message, dict):
            try:
                message = self._structure_top(message)
            except JsonRpcException as exc:
                msg_id = message.get("id")
                if msg_id is not None and "method" in message:
                    self._send_response(msg_id, error=exc.to_response_error())
                else:
                    log.warning("dropping a malformed %s: %s", message.get("method"), exc)
                return
        super().handle_message(message)

    def _structure_top(self, data: dict[str, Any]) -> Any:
        # Custom requests keep their params as raw JSON so pydantic can name the exact
        # field that is wrong (pygls would build namedtuple-like objects). Not done in
        # ``get_message_type``, which pygls also uses for messages the server *sends*.
        method = data.get("method")
        if "jsonrpc" in data and isinstance(method, str) and method.startswith("victor/"):
            message_type = _RawRequest if "id" in data else _RawNotification
            return message_type(**{k: v for k, v in data.items() if k in _FIELDS[message_type]})
        return super().structure_message(data)


_FIELDS = {
    _RawRequest: {"id", "method", "params", "jsonrpc"},
    _RawNotification: {"method", "params", "jsonrpc"},
}


class VictorServer(LanguageServer):
    """pygls server plus the per-folder agents (``folders``) that the features use."""

    def __init__(self) -> None:
        super().__init__("victor", __version__, protocol_cls=VictorProtocol, max_workers=4)
        from victor.lsp.background import BackgroundWork
        from victor.lsp.folders import Folders

        self.folders = Folders(self)
        self.background = BackgroundWork(self)
        self._auth_warned: set[str] = set()
        #: called with a document's URI after pygls applied a didChange to it
        self.change_listeners: list[Callable[[str], None]] = []

    def report_server_error(self, error: Exception, source: Any) -> None:
        # Errors in requests already reach the client in the response; the rest are logged,
        # not shown as "Error in server" pop-ups. Expected errors (bad params, a provider
        # failure, a cancel) are the client's business, not the log's.
        level = logging.DEBUG if _expected(error) else logging.ERROR
        log.log(level, "%s: %s", getattr(source, "__name__", source), error)
        if source is JsonRpcException and isinstance(error, ValueError | RecursionError):
            # A message that could not even be parsed (bad JSON, absurd nesting): JSON-RPC
            # answers with a parse error and a null id, so the client is not left waiting.
            self.protocol._send_response(
                None, error=JsonRpcParseError(str(error)[:200]).to_response_error()
            )

    def _start_io_async(self, stdin: Any = None, stdout: Any = None) -> None:
        """pygls reads stdin with blocking reads in its thread pool: three thread hand-offs
        per message, each waiting for the GIL while a stream is being decoded. An asyncio
        pipe reader hands messages to the event loop directly. Falls back to pygls's reader
        when stdin is not a pipe (a file, a terminal)."""
        self._stop_event = threading.Event()
        source = stdin or sys.stdin.buffer
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def serve() -> None:
            loop = asyncio.get_running_loop()
            reader: Any = asyncio.StreamReader(limit=1 << 30)
            try:
                await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), source)
            except (ValueError, OSError):
                reader = StdinAsyncReader(source, self.thread_pool)
            await run_async(
                stop_event=self._stop_event,
                reader=reader,
                protocol=self.protocol,
                logger=logging.getLogger("pygls.io_"),
                error_handler=self.report_server_error,
            )

        try:
            asyncio.run(serve())
        except BrokenPipeError:
            log.error("the connection to the client is lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def warn_once(self, key: str, message: str, *, warning: bool = False) -> bool:
        """``window/showMessage`` once per key (e.g. once per provider configuration);
        False when it was shown before."""
        from lsprotocol import types

        if key in self._auth_warned:
            return False
        self._auth_warned.add(key)
        kind = types.MessageType.Warning if warning else types.MessageType.Error
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        return True


def create_server() -> VictorServer:
    from victor.lsp import (
        chat,
        code_actions,
        commands,
        inline_completion,
        lifecycle,
        queries,
        sessions,
        trust,
    )

    server = VictorServer()
    modules = (lifecycle, chat, sessions, queries, code_actions, inline_completion, trust, commands)
    for module in modules:
        module.setup(server)
    return server


class _ClientLogHandler(logging.Handler):
    """Forwards warnings and errors to the client's log (``window/logMessage``)."""

    def __init__(self, server: VictorServer) -> None:
        super().__init__(logging.WARNING)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        from lsprotocol import types

        if threading.current_thread() is not threading.main_thread():
            return  # the writer is not thread-safe; stderr still has the record
        if self.server.protocol.writer is None:
            return  # no client yet (a socket server before its first connection)
        try:
            kind = (
                types.MessageType.Error
                if record.levelno >= logging.ERROR
                else (types.MessageType.Warning)
            )
            self.server.window_log_message(
                types.LogMessageParams(type=kind, message=self.format(record))
            )
        except Exception:  # logging must never break the server
            pass


_EXPECTED_CODES = {-32602, -32803, -32800}  # InvalidParams, RequestFailed, RequestCancelled


def _expected(error: BaseException | None) -> bool:
    from pygls.exceptions import JsonRpcException

    return isinstance(error, JsonRpcException) and error.code in _EXPECTED_CODES


class _QuietExpectedErrors(logging.Filter):
    """Drop pygls's tracebacks for errors that are answers, not failures."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and _expected(record.exc_info[1]))


def _serve_socket(
    server: VictorServer,
    host: str,
    port: int | None,
    socket_path: Path | None,
    token_file: Path | None,
) -> None:
    """TCP (a token in a 0600 file) or a 0600 Unix socket: see lsp/transport.py."""
    from victor.lsp import transport

    server._stop_event = threading.Event()
    try:
        if socket_path is not None:
            asyncio.run(transport.serve_unix(server, socket_path))
        else:
            assert port is not None
            asyncio.run(transport.serve_tcp(server, host, port, token_file))
    finally:
        server.shutdown()


def run(
    host: str | None = None,
    port: int | None = None,
    *,
    socket_path: Path | None = None,
    token_file: Path | None = None,
) -> None:
    # pygls logs every message body at INFO; keep its chatter (and message text) out.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_QuietExpectedErrors())
    server = create_server()
    handler = _ClientLogHandler(server)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.getLogger("victor").addHandler(handler)
    try:
        if port is not None or socket_path is not None:
            _serve_socket(server, host or "127.0.0.1", port, socket_path, token_file)
        else:
            server.start_io()
    except SystemExit as exc:  # pygls ends `exit` with sys.exit(0 | 1)
        code = exc.code if isinstance(exc.code, int) else 0
    else:
        code = 0
    # Sessions are committed and closed by now; skipping the interpreter's teardown of a
    # large heap makes the process end at once (clients kill servers that linger).
    logging.shutdown()
    os._exit(code)
