"""Methods Victor does not implement (eglot sends ``textDocument/documentSymbol`` and
``textDocument/didSave`` whatever the capabilities say): MethodNotFound for a request, the
notification accepted, and no error shown or logged for either."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcMethodNotFound
from pygls.lsp.server import LanguageServer

from tests.lsp.daemon import Daemon, eventually

METHOD_NOT_FOUND = -32601


class _Writer:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.sent.append(json.loads(data.split(b"\r\n\r\n", 1)[1]))

    def close(self) -> None:
        pass


def _feed(server: LanguageServer, message: dict[str, Any]) -> None:
    protocol = server.protocol
    protocol.handle_message(protocol.structure_message({"jsonrpc": "2.0", **message}))


def test_why_the_work_around_exists_pygls_reports_unknown_methods_as_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Plain pygls (no Victor): an unknown request is passed to ``report_server_error``
    (Victor logs those as errors, which reach the client as ERROR ``window/logMessage``) and an
    unknown notification is logged as a warning. If this test fails, pygls has changed and
    ``victor.lsp.unknown_methods`` may no longer be needed."""
    reported: list[Exception] = []

    class Server(LanguageServer):
        def report_server_error(self, error: Exception, source: Any) -> None:
            reported.append(error)

    server = Server("plain", "0")
    writer = _Writer()
    server.protocol.set_writer(writer)

    with caplog.at_level(logging.WARNING, logger="pygls"):
        document = {"textDocument": {"uri": "file:///a.py"}}
        _feed(server, {"id": 1, "method": "textDocument/documentSymbol", "params": document})
        _feed(server, {"method": "textDocument/didSave", "params": document})

    assert writer.sent[0]["error"]["code"] == METHOD_NOT_FOUND
    assert [type(e) for e in reported] == [JsonRpcMethodNotFound]
    assert any("didSave" in r.getMessage() for r in caplog.records)


async def test_unknown_request_and_did_save_are_quiet(
    daemon: Daemon, workspace: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    uri = daemon.open(workspace / "app.py")

    error = await daemon.error_of(
        types.TEXT_DOCUMENT_DOCUMENT_SYMBOL,
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri)),
    )
    assert isinstance(error, JsonRpcException)
    assert error.code == METHOD_NOT_FOUND
    assert "textDocument/documentSymbol" in error.message

    daemon.client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    # A marker the server does log (a cancel for an id it never saw) after both: once it is
    # on stderr, anything logged about the two messages before it would be there too.
    daemon.client.cancel_request(types.CancelParams(id="marker-after-did-save"))
    stderr: list[str] = []

    async def marker_logged() -> bool:
        stderr.append(capfd.readouterr().err)
        return "marker-after-did-save" in "".join(stderr)

    await eventually(marker_logged)
    logged = "".join(stderr)
    assert "didSave" not in logged and "documentSymbol" not in logged, logged
    assert not [m for m in daemon.client.log_messages if m.type == types.MessageType.Error]
    assert not daemon.client.messages  # no window/showMessage either
    # and the server goes on serving the document
    status = await daemon.request("victor/status", {})
    assert status["workspaceFolders"] == daemon.folder_uris
