"""``victor/commands/list|allow|remove``: the folder's command allowlist for agent mode.

The same per-user file as ``victor commands`` (config/command_allowlist.py); the editor is the
user's, a repository can never add to it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from victor.lsp.errors import jsonrpc_errors
from victor.lsp.server import VictorServer


def setup(server: VictorServer) -> None:
    from victor.config.command_allowlist import CommandAllowlist

    allowlist = CommandAllowlist()

    def target(raw: Any, *, need_command: bool) -> tuple[Any, list[str] | None]:
        from victor.lsp.params import CommandsParams, parse

        params = parse(CommandsParams, raw)
        if need_command and params.command is None:
            raise JsonRpcInvalidParams('command: required (an argv list, e.g. ["pytest"])')
        folder = server.folders.folder_for(folder_uri=params.workspace_folder)
        return folder, params.command

    @server.feature("victor/commands/list")
    @jsonrpc_errors
    async def list_commands(ls: VictorServer, raw: Any) -> dict[str, Any]:
        folder, _ = target(raw, need_command=False)
        entries = await asyncio.to_thread(allowlist.entries, folder.path)
        return {"workspaceFolder": folder.uri, "commands": entries}

    @server.feature("victor/commands/allow")
    @jsonrpc_errors
    async def allow_command(ls: VictorServer, raw: Any) -> dict[str, Any]:
        folder, command = target(raw, need_command=True)
        assert command is not None
        return {"added": await asyncio.to_thread(allowlist.allow, folder.path, command)}

    @server.feature("victor/commands/remove")
    @jsonrpc_errors
    async def remove_command(ls: VictorServer, raw: Any) -> dict[str, Any]:
        folder, command = target(raw, need_command=True)
        assert command is not None
        return {"removed": await asyncio.to_thread(allowlist.remove, folder.path, command)}
