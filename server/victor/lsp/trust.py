"""``victor/setTrust``: the client tells the server a folder is (no longer) trusted.

VS Code sends it when the user grants workspace trust (``onDidGrantWorkspaceTrust``);
``initializationOptions.trustedWorkspace`` carries the state at start. See config/trust.py.
"""

from __future__ import annotations

import logging
from typing import Any

from victor.lsp.server import VictorServer

log = logging.getLogger(__name__)


def initial_client_trust(options: dict[str, Any]) -> bool | None:
    """``initializationOptions.trustedWorkspace`` when it is a boolean, else None."""
    value = options.get("trustedWorkspace")
    return value if isinstance(value, bool) else None


def setup(server: VictorServer) -> None:
    @server.feature("victor/setTrust")
    async def set_trust(ls: VictorServer, raw: Any) -> None:
        # A notification has no response: a bad one is logged, never raised (pygls would
        # show the user an "Error in server" pop-up).
        # pydantic (through lsp.params) is imported here, not at start-up: it is off the path
        # to `initialize` (see docs/design.md, "Start-up").
        from victor.lsp.params import SetTrustParams, parse

        try:
            params = parse(SetTrustParams, raw)
            await ls.folders.set_client_trust(params.trusted, params.workspace_folder)
        except Exception as exc:
            log.warning("victor/setTrust ignored: %s", exc)
