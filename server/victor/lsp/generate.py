"""``victor/generate``: code for one spot of one file, returned as a WorkspaceEdit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from victor.agent.generation import finish_generation, generation_request
from victor.lsp.chat import run_turn
from victor.lsp.requests import (
    prompt_context,
    refuse_secret,
    request_document,
    require_session,
    resolve_target,
)
from victor.lsp.server import VictorServer

if TYPE_CHECKING:
    from victor.lsp.params import GenerateParams, RangeP

STYLE_WAIT_SECONDS = 10.0


async def generate_edit(ls: VictorServer, params: GenerateParams) -> dict[str, Any]:
    uri = params.text_document.uri
    target = await resolve_target(ls, document_uri=uri)
    assert target.path is not None
    refuse_secret(target, "textDocument.uri")
    await require_session(target, params.session_id)
    doc = await request_document(ls, uri, "textDocument.uri")
    lines = doc.lines
    if params.range is not None:
        rng = params.range
    else:
        from victor.lsp.params import PositionP, RangeP

        pos = params.position or PositionP(line=0, character=0)
        rng = RangeP(start=pos, end=pos)
    if rng.start.line > len(lines):
        raise JsonRpcInvalidParams(
            f"range.start.line: {rng.start.line} is past the end of the document "
            f"({len(lines)} lines)"
        )
    start_line = lines[rng.start.line] if rng.start.line < len(lines) else ""
    indentation = start_line[: len(start_line) - len(start_line.lstrip(" \t"))]
    selected = _text_in(doc, rng) if params.range is not None else None
    relpath = _relative(target.path, target.folder.path)
    message = generation_request(
        params.instruction, relpath, replacing=selected or None, line=rng.start.line
    )
    # The style card is the point of generating here: unlike chat, wait (bounded) for the
    # folder's first style scan, which runs in the background right after start-up.
    await target.agent.style.wait_ready(STYLE_WAIT_SECONDS)
    context = prompt_context(
        ls, target, document_uri=uri, range=params.range, position=params.position
    )
    done = await run_turn(
        ls,
        target.agent,
        message,
        params.session_id,
        context,
        params.partial_result_token,
        task="code_generation",
    )
    settings = target.agent.orchestrator.settings
    result = await finish_generation(
        done.response.content,
        path=target.path,
        root=target.folder.path,
        indentation=indentation if rng.start.character == 0 else "",
        format_code=settings.format_generated_code,
        trusted=target.agent.trust.trusted,
        card=target.agent.style.style_card(target.path),
    )
    text = result.text
    if rng.end.character != 0 and text.endswith("\n"):
        text = text[:-1]  # the range ends mid-line: keep the rest of that line where it was
    edit = types.WorkspaceEdit(
        changes={
            uri: [
                types.TextEdit(
                    range=types.Range(
                        start=types.Position(rng.start.line, rng.start.character),
                        end=types.Position(rng.end.line, rng.end.character),
                    ),
                    new_text=text,
                )
            ]
        }
    )
    return {
        "text": text,
        "edit": ls.protocol._converter.unstructure(edit),
        "formatter": _formatter_name(result.formatter),
        "formatError": result.format_error,
        "formatNote": result.format_note,
        "sessionId": done.session_id,
        "turnId": done.turn_id,
    }


def _formatter_name(tool: str | None) -> str | None:
    """The protocol's formatter names: ``ruff``, ``black``, ``prettier``, ``gofmt`` ... (the
    workspace layer says ``ruff format``, the command it ran)."""
    return tool.split()[0] if tool else None


def _text_in(doc: Any, rng: RangeP) -> str:
    start = doc.offset_at_position(types.Position(rng.start.line, rng.start.character))
    end = doc.offset_at_position(types.Position(rng.end.line, rng.end.character))
    return doc.source[start:end]


def _relative(path: Any, root: Any) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
