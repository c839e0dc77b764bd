"""One spelling per file URI, and the editor's open documents looked up by it.

Clients percent-encode paths differently (eglot leaves ``+`` and ``@`` as they are and encodes
the rest, VS Code encodes ``@`` and the drive letter's ``:``) and pygls keys its documents by
the *decoded* URI. Comparing URI strings therefore misses every document whose path needs
encoding (a space, non-ASCII, ``+``, ``@``): the server would read the file as saved on disk
instead of the editor's unsaved text. Every URI lookup (documents, workspace folders) goes
through ``canonical_uri``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from pygls.uris import from_fs_path, to_fs_path

if TYPE_CHECKING:
    from pygls.workspace import TextDocument, Workspace


def canonical_uri(uri: str) -> str:
    """The one spelling of a URI used for comparisons: a ``file:`` URI is decoded to its path
    and encoded again the same way for everyone (no trailing slash); any other URI is kept."""
    path = to_fs_path(uri)
    if not path:
        return uri
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return from_fs_path(path) or uri


def uri_of_path(path: Path | str) -> str:
    """The canonical URI of a file system path."""
    return canonical_uri(from_fs_path(str(path)) or Path(path).as_uri())


def find_open(workspace: Workspace, uri: str) -> TextDocument | None:
    """The open document ``uri`` names, however the client spelled it; None if not open."""
    wanted = canonical_uri(uri)
    # pygls's own key first (the usual case), then any other spelling of the same path
    documents = workspace.text_documents
    for key in (uri, unquote(uri)):
        doc = documents.get(key)
        if doc is not None and canonical_uri(doc.uri) == wanted:
            return doc
    for doc in list(documents.values()):  # may run in a thread while didOpen adds one
        if canonical_uri(doc.uri) == wanted:
            return doc
    return None


def open_documents(workspace: Workspace) -> list[tuple[str, Path, TextDocument]]:
    """Every open ``file:`` document: (canonical URI, path, document)."""
    out = []
    for doc in list(workspace.text_documents.values()):
        path = to_fs_path(doc.uri)
        if path:
            out.append((canonical_uri(doc.uri), Path(path), doc))
    return out
