"""Start-up, shutdown and ``victor/status``."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

import victor
from tests.lsp.conftest import StartDaemon
from tests.lsp.daemon import Daemon, eventually


async def test_initialize_advertises_victor_and_shutdown_exits_cleanly(daemon: Daemon) -> None:
    result = daemon.init_result
    assert result is not None
    assert result.server_info is not None
    assert result.server_info.name == "victor"
    assert result.server_info.version == victor.__version__
    caps = result.capabilities
    assert caps.execute_command_provider is not None
    assert "victor.runAction" in caps.execute_command_provider.commands
    assert caps.code_action_provider
    assert caps.text_document_sync is not None  # unsaved text reaches the server

    await daemon.stop()
    assert daemon.returncode == 0


async def test_status_reports_version_provider_folders_and_becomes_ready(
    daemon: Daemon, workspace: Path
) -> None:
    first = await daemon.request("victor/status", {})
    assert first["version"] == victor.__version__
    assert first["provider"] == "anthropic"
    assert first["workspaceFolders"] == [workspace.as_uri()]
    assert isinstance(first["ready"], bool)
    assert isinstance(first["model"], str) and first["model"]  # even before the agent started

    async def ready() -> dict | None:
        status = await daemon.request("victor/status")  # no params at all is fine too
        return status if status["ready"] else None

    status = await eventually(ready, timeout=15)
    assert status["provider"] == "anthropic"
    assert status["model"] == first["model"]
    await daemon.chat("which model?")
    assert daemon.last_body()["model"] == status["model"]


async def test_status_without_workspace_folders(start: StartDaemon) -> None:
    daemon = await start([])
    status = await daemon.request("victor/status", {})
    assert status["workspaceFolders"] == []
    assert status["provider"] == "anthropic"
    assert status["model"]


async def test_server_logs_nothing_on_stdout_but_protocol(daemon: Daemon) -> None:
    """Anything stray on stdout would corrupt the stream and the client would fail."""
    await daemon.chat("hello")
    await daemon.request("victor/status", {})
    assert daemon.client.error is None
    assert not [m for m in daemon.client.log_messages if m.type == types.MessageType.Error]
