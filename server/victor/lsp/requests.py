"""From request params to what the agent layer needs: folder, agent, prompt context."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from victor.lsp.params import DiagnosticP, PositionP, RangeP


if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from victor.agent.workspace_agent import WorkspaceAgent
    from victor.lsp.folders import Folder
    from victor.lsp.server import VictorServer


@dataclass
class RequestTarget:
    folder: Folder
    agent: WorkspaceAgent
    path: Path | None
    text: str | None  # the document's current (possibly unsaved) text


async def resolve_target(
    ls: VictorServer, *, document_uri: str | None, folder_uri: str | None = None
) -> RequestTarget:
    folders = ls.folders
    folder = folders.folder_for(document_uri=document_uri, folder_uri=folder_uri)
    agent = await folders.agent(folder)
    path = text = None
    if document_uri:
        path = folders.path_of(document_uri)
        text = folders.open_text(path)
    return RequestTarget(folder, agent, path, text)


MAX_DOCUMENT_BYTES = 4 * 1024 * 1024  # a file generate or a code action works on, not open


def refuse_secret(target: RequestTarget, field: str) -> None:
    """The secret policy for requests that send a document's text (generate, code actions):
    the same files chat leaves out are refused here, before anything reaches the model."""
    from pygls.exceptions import JsonRpcException

    from victor.lsp.errors import REQUEST_FAILED
    from victor.workspace.guarded_read import secret_refusal

    if target.path is None:
        return
    reason = secret_refusal(target.folder.path, target.path)
    if reason:
        raise JsonRpcException(f"{field}: {reason}", REQUEST_FAILED, {"kind": "secret"})


async def request_document(ls: VictorServer, uri: str, field: str) -> TextDocument:
    """The editor's document for ``uri``; when it is not open, the file read through the
    guarded reader in a thread (a FIFO, a device or a link out of the folder is refused)."""
    import asyncio

    from pygls.exceptions import JsonRpcInvalidParams
    from pygls.workspace import TextDocument

    from victor.lsp.documents import find_open
    from victor.workspace.guarded_read import ReadRefusedError, read_guarded

    open_doc = find_open(ls.workspace, uri)
    if open_doc is not None:
        return open_doc
    folder = ls.folders.folder_for(document_uri=uri)
    path = ls.folders.path_of(uri)
    try:
        content = await asyncio.to_thread(
            read_guarded, folder.path, path, max_bytes=MAX_DOCUMENT_BYTES
        )
    except ReadRefusedError as exc:
        raise JsonRpcInvalidParams(f"{field}: cannot read {uri}: {exc.reason}") from None
    return TextDocument(uri, source=content.text(), position_codec=ls.workspace.position_codec)


def prompt_context(
    ls: VictorServer,
    target: RequestTarget,
    *,
    document_uri: str | None,
    range: RangeP | None = None,
    position: PositionP | None = None,
    diagnostics: list[DiagnosticP] | None = None,
) -> dict[str, Any]:
    """The PromptContext entries for a request: the file and what the editor shows."""
    from victor.workspace import FileContextInput

    if target.path is None:
        return {}
    lines = target.text.split("\n") if target.text is not None else []

    def point(line: int, character: int) -> tuple[int, int]:
        if line >= len(lines):  # no editor text to measure against: pass it on as is
            return line, character
        return line, codepoint_column(lines[line], character)

    selection = None
    if range is not None:
        selection = (
            point(range.start.line, range.start.character),
            point(range.end.line, range.end.character),
        )
    cursor = point(position.line, position.character) if position is not None else None
    inp = FileContextInput(
        active_path=target.path,
        active_text=target.text,
        selection=selection,
        position=cursor,
        diagnostics=[d.model_dump(by_alias=True, exclude_none=True) for d in diagnostics or []],
        open_documents=ls.folders.open_documents(target.folder, exclude=document_uri),
    )
    return {"file": str(target.path), "file_context": inp}


async def require_session(target: RequestTarget, session_id: str | None) -> None:
    """Unknown session ids are an error in the LSP methods (SessionNotFoundError)."""
    if session_id:
        import asyncio

        from victor.storage.session_store import SessionNotFoundError

        store = target.agent.orchestrator._session_coordinator.store
        if not await asyncio.to_thread(store.has_session, session_id):
            raise SessionNotFoundError(session_id)


def codepoint_column(line: str, utf16_units: int) -> int:
    """LSP columns count UTF-16 code units (the encoding this server advertises); Python
    strings count code points. They differ after any character outside the BMP (emoji)."""
    if line.isascii():
        return min(utf16_units, len(line))
    units = 0
    for index, char in enumerate(line):
        if units >= utf16_units:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line)
