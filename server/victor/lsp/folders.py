"""Workspace folders: one WorkspaceAgent per folder, created lazily, with its own settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import to_fs_path

from victor.config.trust import TrustStore, WorkspaceTrust, resolve_trust
from victor.lsp.documents import canonical_uri, find_open, open_documents, uri_of_path

if TYPE_CHECKING:
    from victor.agent.workspace_agent import WorkspaceAgent
    from victor.config.settings import Settings
    from victor.lsp.server import VictorServer

log = logging.getLogger(__name__)

CONFIGURATION_WAIT_SECONDS = 10.0

_PROVIDER_FIELDS = (
    "provider",
    "model",
    "anthropic_api_key",
    "anthropic_base_url",
    "openai_api_key",
    "openai_base_url",
    "max_retries",
    "request_timeout",
)


@dataclass
class Folder:
    uri: str
    path: Path
    client_config: dict[str, Any] = field(default_factory=dict)
    agent_task: asyncio.Task[WorkspaceAgent] | None = None
    settings: Settings | None = None
    #: shared with the folder's agent (``WorkspaceAgent.trust``): updated in place
    trust: WorkspaceTrust = field(default_factory=WorkspaceTrust)
    #: what the client said about this folder (``victor/setTrust``), None when nothing
    client_trust: bool | None = None
    #: settings some source set that were not applied, as shown by ``victor/status``
    ignored_settings: list[str] = field(default_factory=list)
    _limited_logged: bool = False
    #: the trust store file's (mtime, size) when this folder's trust was last read from it
    _store_stamp: tuple[int, int] | None = None


class Folders:
    """Maps URIs to workspace folders and their agents."""

    def __init__(self, server: VictorServer) -> None:
        self.server = server
        self.init_options: dict[str, Any] = {}
        #: the client's word on trust for every folder (``initializationOptions.trustedWorkspace``
        #: or ``victor/setTrust`` without a folder); a folder's own ``client_trust`` comes first
        self.client_trust: bool | None = None
        self.trust_store = TrustStore()
        self._folders: dict[str, Folder] = {}
        #: set while no ``workspace/configuration`` pull is in flight (and once the first,
        #: after ``initialized``, is done): requests wait for it, so the first request and
        #: the first one after didChangeConfiguration use the client's current settings
        self.configured = asyncio.Event()
        self._pulls = 0

    # ------------------------------------------------------------------ folders

    def add(self, uri: str) -> Folder:
        key = canonical_uri(uri)
        folder = self._folders.get(key)
        if folder is None:
            path = Path(to_fs_path(uri) or uri).resolve()
            # the client's own spelling: it is what the client recognises (scopeUri, status)
            folder = Folder(uri=uri.rstrip("/") if uri.count("/") > 3 else uri, path=path)
            self._folders[key] = folder
        return folder

    async def remove(self, uri: str) -> None:
        folder = self._folders.pop(canonical_uri(uri), None)
        if folder is not None and folder.agent_task is not None:
            agent = await folder.agent_task
            await agent.aclose()

    @property
    def all(self) -> list[Folder]:
        return list(self._folders.values())

    def folder_for(
        self, *, document_uri: str | None = None, folder_uri: str | None = None
    ) -> Folder:
        """The folder a request belongs to; InvalidParams when it names an unknown one."""
        if folder_uri:
            folder = self._folders.get(canonical_uri(folder_uri))
            if folder is None:
                raise JsonRpcInvalidParams(f"workspaceFolder: {folder_uri} is not open")
            return folder
        if document_uri:
            path = self.path_of(document_uri)
            best = None
            for folder in self._folders.values():
                if _within(path, folder.path) and (
                    best is None or len(str(folder.path)) > len(str(best.path))
                ):
                    best = folder
            if best is not None:
                return best
            if not self._folders:
                return self.add(uri_of_path(path.parent))
            raise JsonRpcInvalidParams(
                f"textDocument.uri: {document_uri} is not inside an open workspace folder"
            )
        if not self._folders:
            return self.add(uri_of_path(os.getcwd()))
        return next(iter(self._folders.values()))

    @staticmethod
    def path_of(uri: str) -> Path:
        path = to_fs_path(uri)
        if not path:
            raise JsonRpcInvalidParams(f"uri: {uri!r} is not a file URI")
        return Path(path)

    # ------------------------------------------------------------------ agents

    @contextlib.asynccontextmanager
    async def configuring(self) -> AsyncIterator[None]:
        """Hold requests (in ``agent()``) while the client's settings are being pulled."""
        self._pulls += 1
        self.configured.clear()
        try:
            yield
        finally:
            self._pulls -= 1
            if self._pulls == 0:
                self.configured.set()

    async def agent(self, folder: Folder) -> WorkspaceAgent:
        if not self.configured.is_set():
            try:
                await asyncio.wait_for(self.configured.wait(), CONFIGURATION_WAIT_SECONDS)
            except TimeoutError:
                log.warning("no workspace configuration yet; going on with what is known")
        if folder.agent_task is None:
            folder.agent_task = asyncio.ensure_future(self._create_agent(folder))
        try:
            return await asyncio.shield(folder.agent_task)
        except Exception:
            folder.agent_task = None  # let the next request try again
            raise

    async def _create_agent(self, folder: Folder) -> WorkspaceAgent:
        from victor.agent.workspace_agent import WorkspaceAgent

        await self.refresh_trust(folder)
        settings = self.settings_for(folder)
        agent = await WorkspaceAgent.create(
            folder.path, settings, open_document=self.open_text, trust=folder.trust
        )
        agent.on_change(lambda paths: self._on_files_changed(folder, paths))
        return agent

    async def refresh_trust(self, folder: Folder) -> WorkspaceTrust:
        """Work out the folder's trust again (client's word, else the user's trust store) and
        update ``folder.trust`` in place, so the agent holding it sees the change."""
        client_says = folder.client_trust if folder.client_trust is not None else self.client_trust
        if client_says is not None:
            new = resolve_trust(folder.path, client_says, self.trust_store)  # reads nothing
        else:
            # Polled by every victor/status: read the store (in a thread) only when the file
            # changed, so a status answer does not wait for a thread hop on a busy loop.
            stamp = _file_stamp(self.trust_store.path)
            if stamp is not None and stamp == folder._store_stamp:
                return folder.trust
            new = await asyncio.to_thread(resolve_trust, folder.path, None, self.trust_store)
            folder._store_stamp = stamp
        changed = (new.trusted, new.source) != (folder.trust.trusted, folder.trust.source)
        folder.trust.trusted, folder.trust.source = new.trusted, new.source
        if not new.trusted and (changed or not folder._limited_logged):
            folder._limited_logged = True
            log.warning(
                "%s is not trusted: limited mode (no formatter or other program from the "
                "folder, only allowlisted settings from .victor/config.toml). Trust it in the "
                "editor or with `victor trust %s`",
                folder.path,
                folder.path,
            )
        elif new.trusted and changed:
            log.info("%s: trusted (%s)", folder.path, new.source)
        return folder.trust

    async def set_client_trust(self, trusted: bool, folder_uri: str | None) -> None:
        """``victor/setTrust``: the client's word for one folder, or for all of them."""
        if folder_uri:
            folder = self.folder_for(folder_uri=folder_uri)
            folder.client_trust = trusted
            targets = [folder]
        else:
            self.client_trust = trusted
            targets = self.all
        for folder in targets:
            await self.refresh_trust(folder)

    def settings_for(self, folder: Folder) -> Settings:
        # pydantic-settings is imported here, after start-up, not when the server loads.
        from victor.config.loader import ConfigError, load_settings_report

        try:
            settings, ignored = load_settings_report(
                folder.path, init_options=self.init_options, client_config=folder.client_config
            )
        except ConfigError as exc:
            log.error("configuration ignored: %s", exc)
            self.server.warn_once(f"config:{exc}", f"Victor: configuration ignored: {exc}")
            settings, ignored = load_settings_report(folder.path)
        folder.ignored_settings = [str(item) for item in ignored]
        for item in folder.ignored_settings:
            if self.server.warn_once(
                f"ignored:{item}", f"Victor: setting ignored: {item}", warning=True
            ):
                log.warning("setting ignored: %s", item)
        folder.settings = settings
        return settings

    def started_agents(self) -> list[tuple[Folder, WorkspaceAgent]]:
        out = []
        for folder in self._folders.values():
            task = folder.agent_task
            if task is not None and task.done() and not task.cancelled() and not task.exception():
                out.append((folder, task.result()))
        return out

    async def apply_config(self, folder: Folder, client_config: dict[str, Any]) -> None:
        """New editor settings for a folder, applied to its agent without restart."""
        folder.client_config = client_config
        task = folder.agent_task
        if task is None:
            return
        if not task.done():
            # Being created, maybe from the old settings: apply the new ones once it exists.
            def apply_when_started(t: asyncio.Task[WorkspaceAgent]) -> None:
                if not t.cancelled() and t.exception() is None:
                    self._apply(folder, t.result())

            task.add_done_callback(apply_when_started)
            return
        if task.exception():
            return
        self._apply(folder, task.result())

    def _apply(self, folder: Folder, agent: WorkspaceAgent) -> None:
        old = folder.settings
        new = self.settings_for(folder)
        orchestrator = agent.orchestrator
        if old is None or any(getattr(old, f) != getattr(new, f) for f in _PROVIDER_FIELDS):
            from victor.providers import create_provider

            orchestrator.set_provider(create_provider(new), new.model or None)
        orchestrator.apply_settings(new)

    def _on_files_changed(self, folder: Folder, paths: set[Path]) -> None:
        if any(p.name == "config.toml" and p.parent.name == ".victor" for p in paths):
            task = folder.agent_task
            if task is not None and task.done() and not task.exception():
                self._apply(folder, task.result())

    async def find_session(self, session_id: str) -> tuple[Folder, WorkspaceAgent]:
        """The folder whose store holds ``session_id``; InvalidParams when none does."""
        from victor.storage.session_store import SessionNotFoundError

        folders = self.all or [self.folder_for()]
        for folder in folders:
            agent = await self.agent(folder)
            store = agent.orchestrator._session_coordinator.store
            try:
                await asyncio.to_thread(store.get_session, session_id)
            except SessionNotFoundError:
                continue
            return folder, agent
        raise JsonRpcInvalidParams(f"sessionId: no session {session_id!r} in this workspace")

    # ------------------------------------------------------------------ documents

    def open_text(self, path: Path) -> str | None:
        """Unsaved text of ``path`` when the editor has it open (called from threads)."""
        doc = find_open(self.server.workspace, uri_of_path(path))
        return doc.source if doc is not None else None

    def open_documents(self, folder: Folder, exclude: str | None = None) -> dict[Path, str]:
        out: dict[Path, str] = {}
        excluded = canonical_uri(exclude) if exclude else None
        for uri, path, doc in open_documents(self.server.workspace):
            if uri != excluded and _within(path, folder.path):
                out[path] = doc.source
        return out

    async def aclose(self) -> None:
        for folder in list(self._folders.values()):
            if (
                folder.agent_task is not None
                and folder.agent_task.done()
                and not (folder.agent_task.exception())
            ):
                await folder.agent_task.result().aclose()


def _within(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False
    return True


def _file_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) of ``path``, (0, -1) when it does not exist; None when it cannot be
    stat'ed for another reason (then it is read every time)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (0, -1)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)
