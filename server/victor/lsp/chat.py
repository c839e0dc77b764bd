"""``victor/chat`` and ``victor/generate``: streamed turns."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from victor.agent.events import Compacted, TurnDone, TurnStarted
from victor.lsp.errors import jsonrpc_errors
from victor.lsp.requests import prompt_context, require_session, resolve_target
from victor.lsp.server import VictorServer
from victor.lsp.streaming import PartialResults

if TYPE_CHECKING:
    from victor.lsp.folders import Folder

# While streaming, let other requests (status, code actions, document changes) run at least
# this often.
YIELD_EVERY_SECONDS = 0.002


def setup(server: VictorServer) -> None:
    @server.feature("victor/chat")
    @jsonrpc_errors
    async def chat(ls: VictorServer, raw: Any) -> dict[str, Any]:
        from victor.lsp.params import ChatParams, parse

        params = parse(ChatParams, raw)
        uri = params.text_document.uri if params.text_document else None
        target = await resolve_target(ls, document_uri=uri, folder_uri=params.workspace_folder)
        await require_session(target, params.session_id)
        context = prompt_context(
            ls,
            target,
            document_uri=uri,
            range=params.range,
            position=params.position,
            diagnostics=params.diagnostics,
        )
        mode = params.mode or target.agent.orchestrator.settings.default_chat_mode
        done = await run_turn(
            ls,
            target.agent,
            params.message,
            params.session_id,
            context,
            params.partial_result_token,
            agent_folder=target.folder if mode == "agent" else None,
        )
        return turn_result(done, mode)

    @server.feature("victor/generate")
    @jsonrpc_errors
    async def generate(ls: VictorServer, raw: Any) -> dict[str, Any]:
        from victor.lsp.generate import generate_edit
        from victor.lsp.params import GenerateParams, parse

        params = parse(GenerateParams, raw)
        return await generate_edit(ls, params)


async def run_turn(
    ls: VictorServer,
    agent: Any,
    message: str,
    session_id: str | None,
    context: dict[str, Any],
    token: int | str | None,
    *,
    task: str = "chat",
    agent_folder: Folder | None = None,
) -> TurnDone:
    """Run one turn, streaming to ``token``; report context usage when done. With
    ``agent_folder`` the turn runs in agent mode (lsp/agent_review.py is its editor side)."""
    from victor.providers.errors import AuthenticationError, ProviderError

    partial = PartialResults(ls, token)
    orchestrator = agent.orchestrator
    agent_turn = None
    if agent_folder is not None:
        from victor.lsp.agent_review import LspAgentHost

        agent_turn = agent.agent_turn(LspAgentHost(ls, agent_folder, partial))
    done: TurnDone | None = None
    last_yield = time.monotonic()
    try:
        async for event in orchestrator.stream_chat(
            message, session_id=session_id, prompt_context=context, task=task, agent=agent_turn
        ):
            if isinstance(event, TurnStarted):
                partial.started(event.session_id, event.turn_id)
            elif isinstance(event, Compacted):
                # No victor/contextUsage here: the one sent when the turn ends reports the
                # compacted context with this turn's real overhead (system prompt + tools).
                continue
            elif isinstance(event, TurnDone):
                done = event
            else:
                partial.forward(event)
                # The SDK decodes everything already buffered (up to 256 KiB) without
                # awaiting the socket: give other requests a turn every couple of ms.
                now = time.monotonic()
                if now - last_yield > YIELD_EVERY_SECONDS:
                    await asyncio.sleep(0)
                    last_yield = time.monotonic()
        partial.flush()
    except AuthenticationError as exc:
        partial.close()
        ls.warn_once(f"auth:{orchestrator.provider.name}:{orchestrator.model}", str(exc))
        raise
    except ProviderError:
        partial.flush()  # what the client already got must match what the session keeps
        raise
    except BaseException:
        partial.close()
        raise
    assert done is not None
    ls.protocol.notify(
        "victor/contextUsage",
        {
            "sessionId": done.session_id,
            "tokens": done.context.tokens,
            "window": done.context.window,
            "percent": done.context.percent,
        },
    )
    return done


async def notify_context(ls: VictorServer, session_id: str, orchestrator: Any) -> None:
    """``victor/contextUsage`` after ``victor/compact``: the whole context, system prompt
    included, as after a turn. (The compaction report's token counts are the messages' alone;
    a meter fed those dropped to ~0% and jumped back at the next turn.)"""
    usage = await orchestrator.context_usage(session_id)
    ls.protocol.notify(
        "victor/contextUsage",
        {
            "sessionId": session_id,
            "tokens": usage.tokens,
            "window": usage.window,
            "percent": usage.percent,
        },
    )


def turn_result(done: TurnDone, mode: str = "ask") -> dict[str, Any]:
    usage = done.response.usage
    result = {
        "sessionId": done.session_id,
        "turnId": done.turn_id,
        "content": done.response.content,
        "usage": {
            "inputTokens": usage.input_tokens,
            "outputTokens": usage.output_tokens,
            "cacheReadTokens": usage.cache_read_tokens,
            "cacheWriteTokens": usage.cache_write_tokens,
            "totalTokens": usage.total_tokens,
        },
        "stopReason": done.response.stop_reason,
        "context": {
            "tokens": done.context.tokens,
            "window": done.context.window,
            "percent": done.context.percent,
        },
        "compacted": done.compacted,
        "mode": mode,
    }
    if mode == "agent":
        from victor.lsp.agent_review import outcome_json

        changes = done.extra.get("changes") or []
        result["changes"] = [outcome_json(o) for o in changes]  # type: ignore[union-attr]
    return result
