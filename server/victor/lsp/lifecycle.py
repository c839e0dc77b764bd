"""Lifecycle: initialize, configuration, workspace folders, document sync."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from victor.lsp.server import VictorServer
from victor.lsp.trust import initial_client_trust

log = logging.getLogger(__name__)


def setup(server: VictorServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: VictorServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        ls.folders.init_options = dict(options) if isinstance(options, dict) else {}
        ls.folders.client_trust = initial_client_trust(ls.folders.init_options)
        for folder in params.workspace_folders or []:
            ls.folders.add(folder.uri)
        if not params.workspace_folders and params.root_uri:
            ls.folders.add(params.root_uri)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: VictorServer, params: types.InitializedParams) -> None:
        async with ls.folders.configuring():
            await pull_configuration(ls)
        # Start every folder's agent now: the style scan runs in the background and the
        # first chat does not wait for it.
        for folder in ls.folders.all:
            _spawn(ls.folders.agent(folder))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: VictorServer, params: types.DidChangeConfigurationParams
    ) -> None:
        pushed = params.settings.get("victor") if isinstance(params.settings, dict) else None
        async with ls.folders.configuring():  # the next request waits for the new values
            if not await pull_configuration(ls) and isinstance(pushed, dict):
                for folder in ls.folders.all:
                    await ls.folders.apply_config(folder, pushed)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_folders(
        ls: VictorServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        async with ls.folders.configuring():  # requests wait for the new set of folders
            for removed in params.event.removed:
                await ls.folders.remove(removed.uri)
            added = [ls.folders.add(f.uri) for f in params.event.added]
            await pull_configuration(ls, added)
        for folder in added:
            _spawn(ls.folders.agent(folder))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: VictorServer, params: types.DidOpenTextDocumentParams) -> None:
        """pygls keeps the text; registering the feature advertises document sync. Whether
        git ignores the file is asked now, so a prompt built later finds the answer."""
        _ask_git_ignore(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: VictorServer, params: types.DidChangeTextDocumentParams) -> None:
        """Incremental changes are applied by pygls; the server reads unsaved text. Features
        that hold work for the old text (an inline completion in flight) hear of it."""
        for listener in ls.change_listeners:
            try:
                listener(params.text_document.uri)
            except Exception:  # one feature's failure must not stop the others'
                log.exception("handling a document change failed")

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: VictorServer, params: types.DidCloseTextDocumentParams) -> None:
        """Nothing to release: contexts read documents on demand."""

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: VictorServer, params: Any) -> None:
        await ls.background.cancel_all()  # before the agents they use are closed
        await ls.folders.aclose()


async def pull_configuration(ls: VictorServer, folders: list[Any] | None = None) -> bool:
    """Ask the client for section ``victor`` per folder; False if it cannot answer."""
    caps = ls.client_capabilities.workspace
    if caps is None or not caps.configuration:
        log.debug("the client does not answer workspace/configuration")
        return False
    targets = folders if folders is not None else ls.folders.all
    if not targets:
        return True
    items = [types.ConfigurationItem(scope_uri=f.uri, section="victor") for f in targets]
    try:
        values = await asyncio.wait_for(
            ls.workspace_configuration_async(types.ConfigurationParams(items=items)), 10
        )
    except Exception as exc:  # a client that fails here must not stop the server
        log.warning("workspace/configuration failed: %s", exc)
        return False
    for folder, value in zip(targets, values or [], strict=False):
        config = value if isinstance(value, dict) else {}
        log.debug("configuration for %s: %s", folder.uri, sorted(config))
        await ls.folders.apply_config(folder, config)
    return True


def _ask_git_ignore(ls: VictorServer, uri: str) -> None:
    """In a thread, ask the folder's git whether the file just opened is ignored (only once
    its agent runs: a prompt built before asks git itself)."""
    if not ls.folders.all:
        return
    try:
        folder = ls.folders.folder_for(document_uri=uri)
        path = ls.folders.path_of(uri)
    except JsonRpcInvalidParams:
        return  # untitled buffers, files outside every folder
    except Exception as exc:  # a URI nothing understands: the build asks git itself later
        log.debug("no git-ignore lookup for %s: %s", uri, exc)
        return
    task = folder.agent_task
    if task is None or not task.done() or task.cancelled() or task.exception() is not None:
        return
    agent = task.result()
    asked = asyncio.ensure_future(asyncio.to_thread(agent.git_ignore.ignored, agent.root, [path]))
    asked.add_done_callback(lambda t: t.cancelled() or t.exception())


def _spawn(coro: Any) -> None:
    """Start a folder's agent in the background; failures are logged, the next request
    retries (``Folders.agent`` forgets a failed creation)."""
    task = asyncio.ensure_future(coro)

    def done(t: asyncio.Task[Any]) -> None:
        if not t.cancelled() and t.exception() is not None:
            log.error("starting a workspace folder failed: %s", t.exception())

    task.add_done_callback(done)
