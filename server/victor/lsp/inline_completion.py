"""``textDocument/inlineCompletion`` (LSP 3.18): style-aware ghost text as the user types.

The handler only maps LSP to ``InlineCompleter`` (agent/completions) and back: one completer
per workspace folder, rebuilt when that folder's model settings change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

if TYPE_CHECKING:
    from victor.agent.completions.context import CompletionInput, StyleFacts
    from victor.agent.completions.engine import InlineCompleter
    from victor.agent.workspace_agent import WorkspaceAgent
    from victor.config.settings import Settings
    from victor.lsp.folders import Folder
    from victor.lsp.server import VictorServer

log = logging.getLogger(__name__)

STYLE_WAIT_SECONDS = 2.0
_MODEL_FIELDS = (
    "provider",
    "model",
    "completion_model",
    "completion_fim",
    "anthropic_api_key",
    "anthropic_base_url",
    "openai_api_key",
    "openai_base_url",
    "request_timeout",
)
_EMPTY = types.InlineCompletionList(items=[])


@dataclass
class _FolderCompleter:
    key: tuple[Any, ...]
    completer: InlineCompleter | None  # None: no model configured (preview)


class InlineCompletions:
    """The completers of every folder and the request handler."""

    def __init__(self, server: VictorServer) -> None:
        self.server = server
        self._by_folder: dict[str, _FolderCompleter] = {}
        self._warned: set[str] = set()

    def completer(self, folder: Folder, settings: Settings) -> InlineCompleter | None:
        from victor.agent.completions.engine import InlineCompleter
        from victor.providers.completion import create_completion_client

        key = tuple(getattr(settings, name) for name in _MODEL_FIELDS)
        entry = self._by_folder.get(folder.uri)
        if entry is None or entry.key != key:
            if entry is not None and entry.completer is not None:
                _close_later(entry.completer)
            made = create_completion_client(settings)
            completer = InlineCompleter(made[0], made[1]) if made else None
            entry = self._by_folder[folder.uri] = _FolderCompleter(key, completer)
        return entry.completer

    async def answer(self, params: types.InlineCompletionParams) -> types.InlineCompletionList:
        # Imported on the first request, not when the server starts.
        from victor.agent.completions.context import CompletionInput
        from victor.agent.completions.engine import Superseded
        from victor.providers.errors import ProviderError

        ls = self.server
        uri = params.text_document.uri
        doc = ls.workspace.text_documents.get(uri)
        if doc is None:
            return _EMPTY  # only open documents: the editor shows ghost text in those
        try:
            folder = ls.folders.folder_for(document_uri=uri)
            path = ls.folders.path_of(uri)
        except JsonRpcInvalidParams:
            return _EMPTY  # untitled buffers, files outside every workspace folder
        agent = await ls.folders.agent(folder)
        settings = folder.settings or agent.orchestrator.settings
        if not enabled(settings, doc.language_id) or _is_secret(path, folder.path):
            return _EMPTY
        completer = self.completer(folder, settings)
        if completer is None:
            return _EMPTY
        text = doc.source
        offset = min(doc.offset_at_position(params.position), len(text))
        prefix, suffix = text[:offset], text[offset:]
        if completer.cached(uri, prefix, suffix) is None and not agent.style.ready:
            await agent.style.wait_ready(STYLE_WAIT_SECONDS)

        def make_input() -> CompletionInput:  # runs in a worker thread
            return CompletionInput(
                path=path,
                relpath=_relative(path, folder.path),
                language=doc.language_id or "",
                text=text,
                offset=offset,
                style=style_facts(agent, path),
                other_buffers=ls.folders.open_documents(folder, exclude=uri),
            )

        try:
            texts = await completer.complete(uri, prefix, suffix, make_input)
        except Superseded:
            return _EMPTY
        except ProviderError as exc:
            self._warn(str(exc))
            return _EMPTY
        position = params.position
        at_cursor = types.Range(start=position, end=position)
        return types.InlineCompletionList(
            items=[types.InlineCompletionItem(insert_text=t, range=at_cursor) for t in texts]
        )

    def document_changed(self, uri: str) -> None:
        """A didChange: abort a request in flight whose cursor surroundings changed."""
        if not self._by_folder:
            return
        doc = self.server.workspace.text_documents.get(uri)
        if doc is None:
            return
        text = doc.source
        for entry in self._by_folder.values():
            if entry.completer is not None:
                entry.completer.document_changed(uri, text)

    def _warn(self, message: str) -> None:
        # Completions fire on every keystroke: say each distinct failure once.
        if message not in self._warned:
            self._warned.add(message)
            log.warning("inline completion failed: %s", message)

    async def aclose(self) -> None:
        for entry in self._by_folder.values():
            if entry.completer is not None:
                await entry.completer.aclose()
        self._by_folder.clear()


def enabled(settings: Settings, language_id: str | None) -> bool:
    if not settings.inline_completions:
        return False
    disabled = {lang.lower() for lang in settings.inline_completions_disabled_languages}
    return (language_id or "").lower() not in disabled


def style_facts(agent: WorkspaceAgent, path: Path) -> StyleFacts:
    from victor.agent.completions.context import StyleFacts

    card = agent.style.style_card(path)
    naming = {}
    for fact in card.facts:
        if fact.key.startswith("naming.") and isinstance(fact.value, str):
            naming[fact.key.split(".", 1)[1]] = fact.value
    size = card.value("indent_size")
    length = card.value("line_length")
    style = card.value("indent_style")
    quotes = card.value("quote_style")
    return StyleFacts(
        indent_style=style if isinstance(style, str) else None,
        indent_size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        quote_style=quotes if isinstance(quotes, str) else None,
        line_length=length if isinstance(length, int) and not isinstance(length, bool) else None,
        naming=naming,
    )


def _is_secret(path: Path, root: Path) -> bool:
    from victor.workspace.paths import is_secret_path

    try:
        relative = path.relative_to(root)
    except ValueError:
        relative = Path(path.name)
    return is_secret_path(relative) or is_secret_path(path.name)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _close_later(completer: InlineCompleter) -> None:
    import asyncio

    task = asyncio.ensure_future(completer.aclose())
    task.add_done_callback(lambda t: t.cancelled() or t.exception())


def setup(server: VictorServer) -> None:
    completions = InlineCompletions(server)
    server.change_listeners.append(completions.document_changed)

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: VictorServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList:
        return await completions.answer(params)
