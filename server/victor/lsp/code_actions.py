"""Code actions any LSP client can use: Explain, Refactor, Add docstring, Fix this
diagnostic, Generate from comment. They run the ``victor.runAction`` command, which answers at
once and then, in the background (``lsp.background``), applies edits with
``workspace/applyEdit`` and sends explanations to the chat session and the client.
"""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from victor.lsp.documents import find_open
from victor.lsp.errors import jsonrpc_errors
from victor.lsp.server import VictorServer

if TYPE_CHECKING:
    from victor.lsp.background import Report
    from victor.lsp.params import RangeP, RunActionArgs

COMMAND = "victor.runAction"
_COMMENT = re.compile(r"^\s*(#|//|--|/\*|\*|;)")

_TITLES = {
    "explain": "Explain",
    "refactor": "Refactor",
    "docstring": "Add docstring",
    "fix": "Fix this diagnostic",
    "generate": "Generate from comment",
}

_INSTRUCTIONS = {
    "refactor": "Refactor the selected code for clarity and simplicity without changing its "
    "behaviour.",
    "docstring": "Return the selected code with a docstring (or the language's doc comment) "
    "added to each function or class that lacks one, following the file's conventions.",
}


def setup(server: VictorServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[
                types.CodeActionKind.QuickFix,
                types.CodeActionKind.RefactorRewrite,
                types.CodeActionKind.Empty,
            ]
        ),
    )
    def code_actions(ls: VictorServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return offered_actions(ls, params)

    @server.command(COMMAND)
    @jsonrpc_errors
    async def run_action(ls: VictorServer, *args: Any) -> None:
        """Answers at once (clients wait for executeCommand, eglot for 10 s at most); the
        model's work runs with work-done progress and delivers its own result."""
        if len(args) != 1:
            raise JsonRpcInvalidParams(f"arguments: expected one object, got {len(args)}")
        from victor.lsp.params import RunActionArgs, parse

        action = parse(RunActionArgs, args[0])
        # What can be checked at once is answered at once: a folder that is not open, a file
        # that is neither open in the editor nor readable, a secret file
        from victor.lsp.requests import refuse_secret, resolve_target

        refuse_secret(await resolve_target(ls, document_uri=action.uri), "uri")
        path = ls.folders.path_of(action.uri)
        if find_open(ls.workspace, action.uri) is None and not await asyncio.to_thread(
            path.is_file
        ):
            raise JsonRpcInvalidParams(f"uri: cannot read {action.uri}: not a file")
        ls.background.start(f"Victor: {_TITLES[action.action]}", partial(_perform, ls, action))


async def _perform(ls: VictorServer, action: RunActionArgs, report: Report) -> str:
    """One code action, run in the background; returns what the progress ends with."""
    report("Asking the model")
    if action.action == "explain":
        await _explain(ls, action)
        return "Explanation sent"
    result = await _edit(ls, action)
    if result.get("stale"):
        message = "The document changed while Victor was working: nothing was applied"
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=f"Victor: {message}")
        )
        return message
    return "Edit applied" if result["applied"] else "The editor did not apply the edit"


def offered_actions(ls: VictorServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    rng = params.range
    actions: list[types.CodeAction] = []

    def add(
        title: str,
        kind: str,
        action: str,
        *,
        target: types.Range,
        diagnostic: types.Diagnostic | None = None,
    ) -> None:
        arg: dict[str, Any] = {
            "action": action,
            "uri": uri,
            "range": ls.protocol._converter.unstructure(target),
        }
        if diagnostic is not None:
            arg["diagnostic"] = ls.protocol._converter.unstructure(diagnostic)
        actions.append(
            types.CodeAction(
                title=f"Victor: {title}",
                kind=kind,
                diagnostics=[diagnostic] if diagnostic else None,
                command=types.Command(title=title, command=COMMAND, arguments=[arg]),
            )
        )

    if rng.start != rng.end:
        add("Explain", types.CodeActionKind.Empty, "explain", target=rng)
        add("Refactor", types.CodeActionKind.RefactorRewrite, "refactor", target=rng)
        add("Add docstring", types.CodeActionKind.RefactorRewrite, "docstring", target=rng)
    for diagnostic in params.context.diagnostics or []:
        add(
            f"Fix: {diagnostic.message[:60]}",
            types.CodeActionKind.QuickFix,
            "fix",
            target=diagnostic.range,
            diagnostic=diagnostic,
        )
    doc = find_open(ls.workspace, uri)
    line = doc.lines[rng.start.line] if doc and rng.start.line < len(doc.lines) else ""
    if _COMMENT.match(line):
        add("Generate from comment", types.CodeActionKind.Empty, "generate", target=rng)
    return actions


def _full_lines(rng: RangeP) -> RangeP:
    end_line = rng.end.line + (1 if rng.end.character > 0 or rng.end.line == rng.start.line else 0)
    from victor.lsp.params import PositionP, RangeP

    return RangeP(
        start=PositionP(line=rng.start.line, character=0), end=PositionP(line=end_line, character=0)
    )


async def _edit(ls: VictorServer, action: RunActionArgs) -> dict[str, Any]:
    from victor.lsp.generate import generate_edit
    from victor.lsp.params import GenerateParams, PositionP

    if action.action == "generate":
        below = PositionP(line=action.range.start.line + 1, character=0)
        params = GenerateParams(
            text_document={"uri": action.uri},
            position=below,
            instruction="Write the code that the comment just above this line describes.",
        )
    else:
        if action.action == "fix":
            d = action.diagnostic
            detail = (
                f"{d.message} ({d.source or 'diagnostic'} {d.code or ''})".strip()
                if d
                else "the reported problem"
            )
            instruction = f"Fix this diagnostic: {detail}. Change only what the fix needs."
        else:
            instruction = _INSTRUCTIONS[action.action]
        params = GenerateParams(
            text_document={"uri": action.uri},
            instruction=instruction,
            range=_full_lines(action.range),
        )
    version = _version(ls, action.uri)
    result = await generate_edit(ls, params)
    if _version(ls, action.uri) != version:
        # The client was not blocked while the model worked: the ranges may no longer be
        # where the user's text is. Nothing is applied; the user can run the action again.
        return {"applied": False, "stale": True, "sessionId": result["sessionId"]}
    applied = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(
            edit=ls.protocol._converter.structure(result["edit"], types.WorkspaceEdit),
            label=f"Victor: {action.action}",
        )
    )
    return {
        "applied": bool(applied and applied.applied),
        "text": result["text"],
        "sessionId": result["sessionId"],
    }


def _version(ls: VictorServer, uri: str) -> int | None:
    doc = find_open(ls.workspace, uri)
    return doc.version if doc is not None else None


async def _explain(ls: VictorServer, action: RunActionArgs) -> dict[str, Any]:
    from victor.lsp.chat import run_turn
    from victor.lsp.requests import (
        prompt_context,
        refuse_secret,
        request_document,
        resolve_target,
    )

    target = await resolve_target(ls, document_uri=action.uri)
    refuse_secret(target, "uri")
    doc = await request_document(ls, action.uri, "uri")
    source = doc.source
    start = doc.offset_at_position(
        types.Position(action.range.start.line, action.range.start.character)
    )
    end = doc.offset_at_position(types.Position(action.range.end.line, action.range.end.character))
    code = source[start:end]
    name = target.path.name if target.path else action.uri
    message = (
        f"Explain this code from `{name}` (lines {action.range.start.line + 1}-"
        f"{action.range.end.line + 1}):\n\n```\n{code}\n```"
    )
    context = prompt_context(ls, target, document_uri=action.uri, range=action.range)
    done = await run_turn(ls, target.agent, message, None, context, None)
    markdown = done.response.content
    title = f"Explanation of {name}:{action.range.start.line + 1}"
    ls.protocol.notify(
        "victor/explanation", {"sessionId": done.session_id, "title": title, "markdown": markdown}
    )
    ls.window_show_message(
        types.ShowMessageParams(type=types.MessageType.Info, message=f"{title}\n\n{markdown}")
    )
    return {"sessionId": done.session_id, "markdown": markdown}
