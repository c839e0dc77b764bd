"""Methods the server does not implement: answered quietly (a pygls 2.1 work-around).

Clients send methods regardless of the server's capabilities: eglot asks for
``textDocument/documentSymbol`` in every buffer and sends ``textDocument/didSave`` although
the server advertises ``save: false``. pygls answers the request with MethodNotFound (right)
but also reports it as a *server error*, which Victor forwards to the client as an ERROR
``window/logMessage``; an unknown notification gets a warning on stderr. Neither is a fault:
JSON-RPC says a request for an unknown method gets MethodNotFound, and LSP lets a server
ignore notifications it does not handle. ``tests/lsp/test_unknown_methods.py`` shows the pygls
behaviour this replaces; when it fails, the work-around can go.
"""

from __future__ import annotations

import logging
from typing import Any

from pygls.exceptions import JsonRpcMethodNotFound
from pygls.protocol.json_rpc import CANCEL_REQUEST

log = logging.getLogger(__name__)


class QuietUnknownMethods:
    """Mixin for a pygls ``LanguageServerProtocol``: unknown methods answered without noise."""

    fm: Any

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        if not self._implements(method_name):
            log.debug("answering MethodNotFound to %s", method_name)
            error = JsonRpcMethodNotFound.of(method_name).to_response_error()
            self._send_response(msg_id, None, error)  # type: ignore[attr-defined]
            return
        super()._handle_request(msg_id, method_name, params)  # type: ignore[misc]

    def _handle_notification(self, method_name: str, params: Any) -> None:
        if method_name != CANCEL_REQUEST and not self._implements(method_name):
            log.debug("ignoring the notification %s", method_name)
            return
        super()._handle_notification(method_name, params)  # type: ignore[misc]

    def _implements(self, method_name: str) -> bool:
        return method_name in self.fm.builtin_features or method_name in self.fm.features
