"""A turn's change set as one standard ``workspace/applyEdit``, and the check before any review.

Every change is first compared with the editor's view *now* (``check_against_editor``): the
open buffer, else the file on disk. A file the user changed since the agent read it, a file
that appeared where the agent creates one, a rename whose target exists: each is a ``conflict``
and is never sent, so the user's text is never clobbered. The rest goes out as one
``WorkspaceEdit`` with ``documentChanges`` (a TextDocumentEdit carrying the open document's
version, else null; CreateFile, DeleteFile, RenameFile) and one change annotation that needs
confirmation on every edit. ``applied: false`` means none of it landed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from victor.lsp.documents import uri_of_path
from victor.protocols import ChangeOutcome, FileChange

if TYPE_CHECKING:
    from victor.lsp.agent_review import LspAgentHost
    from victor.lsp.server import VictorServer

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
MAX_DISK_BYTES = 4 * 1024 * 1024


def _outcome(change: FileChange, status: Any, reason: str | None = None) -> ChangeOutcome:
    return ChangeOutcome(change.id, change.kind, change.path, status, reason, change.new_path)


def check_against_editor(
    host: LspAgentHost, changes: list[FileChange]
) -> tuple[list[tuple[FileChange, int | None]], list[ChangeOutcome]]:
    """(changes still valid with the version to send, conflicts). Blocking: a thread."""
    ready: list[tuple[FileChange, int | None]] = []
    conflicts: list[ChangeOutcome] = []
    for change in changes:
        text, version, exists = _editor_view(host, change.path)
        name = change.path.name
        if change.kind in ("edit", "delete"):
            if text != change.before:
                if version is not None and change.version is not None:
                    why = f"{name} changed since (version {version}, expected {change.version})"
                else:
                    why = f"{name} changed since the agent read it"
                conflicts.append(_outcome(change, "conflict", why))
                continue
        elif change.kind == "create":
            if exists:
                conflicts.append(_outcome(change, "conflict", f"{name} exists now"))
                continue
        else:  # rename
            if not exists:
                conflicts.append(_outcome(change, "conflict", f"{name} is gone"))
                continue
            if _editor_view(host, change.new_path)[2]:
                why = f"{change.new_path.name} exists now"
                conflicts.append(_outcome(change, "conflict", why))
                continue
        ready.append((change, version))
    return ready, conflicts


def _editor_view(host: LspAgentHost, path: Any) -> tuple[str | None, int | None, bool]:
    """(text, version when open, exists) as the editor sees ``path`` now."""
    from victor.workspace.guarded_read import ReadRefusedError, read_guarded

    buffer = host.open_text(path)
    if buffer is not None:
        return buffer.text, buffer.version, True
    if not path.exists():
        return None, None, False
    try:
        content = read_guarded(host.folder.path, path, max_bytes=MAX_DISK_BYTES)
    except ReadRefusedError:
        return None, None, True
    return content.text(), None, True


async def apply_with_workspace_edit(
    ls: VictorServer, ready: list[tuple[FileChange, int | None]], turn_id: str
) -> list[ChangeOutcome]:
    """Send ``ready`` as one ``workspace/applyEdit``; the outcome of each change."""
    caps = ls.client_capabilities.workspace
    if caps is None or not caps.apply_edit:
        reason = "the editor cannot apply edits (no workspace/applyEdit support)"
        return [_outcome(c, "failed", reason) for c, _ in ready]
    edit_caps = caps.workspace_edit
    resource_ops = set(edit_caps.resource_operations or []) if edit_caps else set()
    # Resource operations exist only inside documentChanges: a client naming them handles
    # documentChanges (Neovim 0.7-0.9 advertise resourceOperations without documentChanges).
    document_changes = bool(edit_caps and (edit_caps.document_changes or resource_ops))
    codec = ls.workspace.position_codec
    annotation = f"victor-agent-{turn_id}"
    sent: list[FileChange] = []
    failed: list[ChangeOutcome] = []
    doc_changes: list[Any] = []
    plain: dict[str, list[types.TextEdit]] = {}
    for change, version in ready:
        kind = change.kind
        if kind != "edit" and (not document_changes or kind not in resource_ops):
            reason = f"the editor cannot {kind} files through LSP (no resourceOperations)"
            failed.append(_outcome(change, "failed", reason))
            continue
        uri = uri_of_path(change.path)
        if kind == "edit":
            edit = _text_edit(change.before or "", change.after or "", codec, annotation)
            if document_changes:
                doc_changes.append(_document_edit(uri, version, [edit]))
            else:
                plain[uri] = [types.TextEdit(range=edit.range, new_text=edit.new_text)]
        elif kind == "create":
            options = types.CreateFileOptions(overwrite=False, ignore_if_exists=False)
            doc_changes.append(types.CreateFile(uri=uri, options=options, annotation_id=annotation))
            if change.after:
                insert = _text_edit("", change.after, codec, annotation)
                doc_changes.append(_document_edit(uri, None, [insert]))
        elif kind == "delete":
            options = types.DeleteFileOptions(recursive=False, ignore_if_not_exists=False)
            doc_changes.append(types.DeleteFile(uri=uri, options=options, annotation_id=annotation))
        else:
            doc_changes.append(
                types.RenameFile(
                    old_uri=uri,
                    new_uri=uri_of_path(change.new_path),
                    options=types.RenameFileOptions(overwrite=False, ignore_if_exists=False),
                    annotation_id=annotation,
                )
            )
        sent.append(change)
    if not sent:
        return failed
    files = ", ".join(c.path.name for c in sent)
    edit = types.WorkspaceEdit(
        document_changes=doc_changes or None,
        changes=plain or None,
        change_annotations={
            annotation: types.ChangeAnnotation(
                label="Victor agent edit", needs_confirmation=True, description=files
            )
        },
    )
    params = types.ApplyWorkspaceEditParams(edit=edit, label="Victor agent edit")
    try:
        result = await ls.workspace_apply_edit_async(params)
    except Exception as exc:  # (a cancel is a BaseException: it goes through)
        return failed + [_outcome(c, "failed", f"workspace/applyEdit failed: {exc}") for c in sent]
    if result is not None and result.applied:
        return failed + [_outcome(c, "accepted") for c in sent]
    reason = (result.failure_reason if result is not None else None) or "not applied by the editor"
    return failed + [_outcome(c, "rejected", reason) for c in sent]


def _document_edit(uri: str, version: int | None, edits: list[Any]) -> types.TextDocumentEdit:
    return types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
        edits=edits,
    )


def _text_edit(before: str, after: str, codec: Any, annotation: str) -> types.AnnotatedTextEdit:
    """One edit replacing the lines that differ (common leading and trailing lines kept, so
    the editor's cursor and folds elsewhere stay where they are)."""
    old, new = _LINE.findall(before), _LINE.findall(after)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    most = min(len(old), len(new)) - head
    while tail < most and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    end_index = len(old) - tail
    if end_index < len(old) or not old:
        end = types.Position(line=end_index, character=0)
    elif re.search(r"[\r\n]$", old[-1]):
        end = types.Position(line=len(old), character=0)
    else:  # the last line has no line break: end at its last character
        end = types.Position(line=len(old) - 1, character=codec.client_num_units(old[-1]))
    start = types.Position(line=head, character=0)
    text = "".join(new[head : len(new) - tail])
    return types.AnnotatedTextEdit(
        range=types.Range(start=start, end=end), new_text=text, annotation_id=annotation
    )
