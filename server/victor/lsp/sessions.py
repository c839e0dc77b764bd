"""``victor/sessions/*`` and ``victor/compact``: workspace-scoped sessions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from victor.lsp.errors import jsonrpc_errors
from victor.lsp.server import VictorServer


def setup(server: VictorServer) -> None:
    @server.feature("victor/sessions/list")
    @jsonrpc_errors
    async def list_sessions(ls: VictorServer, raw: Any) -> dict[str, Any]:
        from victor.lsp.params import FolderParams, parse

        params = parse(FolderParams, raw)
        folder = ls.folders.folder_for(folder_uri=params.workspace_folder)
        store = _store(await ls.folders.agent(folder))
        infos = await asyncio.to_thread(store.list_sessions)
        return {"sessions": [_info(i) for i in infos]}

    @server.feature("victor/sessions/new")
    @jsonrpc_errors
    async def new_session(ls: VictorServer, raw: Any) -> dict[str, Any]:
        from victor.lsp.params import NewSessionParams, parse

        params = parse(NewSessionParams, raw)
        folder = ls.folders.folder_for(folder_uri=params.workspace_folder)
        agent = await ls.folders.agent(folder)
        sessions = agent.orchestrator._session_coordinator
        info = await asyncio.to_thread(sessions.new_session, params.title)
        return {"sessionId": info.id}

    @server.feature("victor/sessions/get")
    @jsonrpc_errors
    async def get_session(ls: VictorServer, raw: Any) -> dict[str, Any]:
        from victor.lsp.params import SessionParams, parse

        params = parse(SessionParams, raw)
        _, agent = await ls.folders.find_session(params.session_id)
        store = _store(agent)
        info = await asyncio.to_thread(store.get_session, params.session_id)
        messages = await asyncio.to_thread(store.transcript, params.session_id)
        result: dict[str, Any] = {
            "id": info.id,
            "title": info.title,
            "messages": [_message(m) for m in messages],
        }
        if info.summary:
            result["summary"] = info.summary
        return result

    @server.feature("victor/sessions/delete")
    @jsonrpc_errors
    async def delete_session(ls: VictorServer, raw: Any) -> dict[str, Any]:
        from victor.lsp.params import SessionParams, parse

        params = parse(SessionParams, raw)
        _, agent = await ls.folders.find_session(params.session_id)
        sessions = agent.orchestrator._session_coordinator
        await asyncio.to_thread(sessions.delete_session, params.session_id)
        return {"deleted": True}

    @server.feature("victor/sessions/export")
    @jsonrpc_errors
    async def export_session(ls: VictorServer, raw: Any) -> dict[str, Any]:
        from victor.lsp.params import SessionParams, parse

        params = parse(SessionParams, raw)
        _, agent = await ls.folders.find_session(params.session_id)
        markdown = await asyncio.to_thread(_store(agent).export_markdown, params.session_id)
        return {"markdown": markdown}

    @server.feature("victor/compact")
    @jsonrpc_errors
    async def compact(ls: VictorServer, raw: Any) -> dict[str, Any]:
        from victor.lsp.chat import notify_context
        from victor.lsp.params import SessionParams, parse

        params = parse(SessionParams, raw)
        _, agent = await ls.folders.find_session(params.session_id)
        report = await agent.orchestrator.compact(params.session_id)
        await notify_context(ls, params.session_id, agent.orchestrator)
        return compact_result(report)


def compact_result(report: Any) -> dict[str, Any]:
    """The ``victor/compact`` answer. A strategy that kept every message as it was did not
    compact anything: say so (``compacted: false``, no strategy) rather than name it."""
    compacted = (report.after_messages, report.after_tokens) != (
        report.before_messages,
        report.before_tokens,
    )
    return {
        "before": {"messages": report.before_messages, "tokens": report.before_tokens},
        "after": {"messages": report.after_messages, "tokens": report.after_tokens},
        "strategy": report.strategy if compacted else None,
        "compacted": compacted,
    }


def _store(agent: Any) -> Any:
    return agent.orchestrator._session_coordinator.store


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _info(info: Any) -> dict[str, Any]:
    return {
        "id": info.id,
        "title": info.title,
        "createdAt": _iso(info.created_at),
        "updatedAt": _iso(info.updated_at),
        "messageCount": info.message_count,
    }


def _message(message: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "role": message.role,
        "content": message.content,
        "createdAt": _iso(message.created_at),
    }
    if message.interrupted:
        out["interrupted"] = True
    if message.tool_calls:
        out["toolCalls"] = [
            {"id": c.id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls
        ]
    if message.tool_call_id:
        out["toolCallId"] = message.tool_call_id
    return out
