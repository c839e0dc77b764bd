"""Several workspace folders, folders added at run time, settings changed without restart."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.lsp.conftest import APP_PY, PYPROJECT, StartDaemon, make_folder
from tests.lsp.daemon import Daemon, eventually, uri_of, user_texts

INVALID_PARAMS = -32602


async def session_ids(daemon: Daemon, folder: Path) -> list[str]:
    result = await daemon.request("victor/sessions/list", {"workspaceFolder": uri_of(folder)})
    return [s["id"] for s in result["sessions"]]


async def test_sessions_are_kept_per_folder(start: StartDaemon, tmp_path: Path) -> None:
    a = make_folder(tmp_path / "a", {"a.py": "A = 1\n"})
    b = make_folder(tmp_path / "b", {"b.py": "B = 2\n"})
    daemon = await start([a, b])

    in_a = (await daemon.chat("about A", workspaceFolder=uri_of(a)))["sessionId"]
    uri_b = daemon.open(b / "b.py")
    in_b = (await daemon.chat("about B", textDocument={"uri": uri_b}))["sessionId"]

    assert in_a != in_b
    assert await session_ids(daemon, a) == [in_a]
    assert await session_ids(daemon, b) == [in_b]
    # without a folder or a document: the first folder
    assert (await daemon.chat("no context"))["sessionId"] == in_a
    # "most recent session" is per folder: B's next chat continues B's session
    assert (await daemon.chat("more B", textDocument={"uri": uri_b}))["sessionId"] == in_b
    # the model got B's file for B's chat
    # the model got B's file for B's chat (in full with the first question, referred to since)
    texts = user_texts(daemon.last_body())
    assert "B = 2" in texts[0] and "unchanged since your last view" in texts[-1]
    assert not any("A = " in t for t in texts)
    # a session of B can be read without saying which folder it is in
    got = await daemon.request("victor/sessions/get", {"sessionId": in_b})
    assert [m["content"] for m in got["messages"] if m["role"] == "user"] == ["about B", "more B"]


async def test_new_session_in_a_named_folder(start: StartDaemon, tmp_path: Path) -> None:
    a = make_folder(tmp_path / "a")
    b = make_folder(tmp_path / "b")
    daemon = await start([a, b])
    sid = (await daemon.request("victor/sessions/new", {"workspaceFolder": uri_of(b)}))["sessionId"]
    assert sid in await session_ids(daemon, b)
    assert sid not in await session_ids(daemon, a)


async def test_a_folder_added_at_run_time(start: StartDaemon, tmp_path: Path) -> None:
    a = make_folder(tmp_path / "a")
    c = make_folder(tmp_path / "c", {"c.py": "C = 3\n"})
    daemon = await start([a])
    assert (await daemon.error_of("victor/sessions/list", {"workspaceFolder": uri_of(c)})).code == (
        INVALID_PARAMS
    )

    daemon.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=uri_of(c), name="c")], removed=[]
            )
        )
    )

    status = await daemon.request("victor/status", {})
    assert uri_of(c) in status["workspaceFolders"]
    assert await session_ids(daemon, c) == []
    uri = daemon.open(c / "c.py")
    sid = (await daemon.chat("about C", textDocument={"uri": uri}))["sessionId"]
    assert await session_ids(daemon, c) == [sid]
    assert sid not in await session_ids(daemon, a)


async def test_a_folder_removed_at_run_time(start: StartDaemon, tmp_path: Path) -> None:
    a = make_folder(tmp_path / "a")
    b = make_folder(tmp_path / "b")
    daemon = await start([a, b])
    await daemon.chat("in b", workspaceFolder=uri_of(b))

    daemon.client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[], removed=[types.WorkspaceFolder(uri=uri_of(b), name="b")]
            )
        )
    )

    status = await daemon.request("victor/status", {})
    assert status["workspaceFolders"] == [uri_of(a)]
    error = await daemon.error_of("victor/chat", {"message": "x", "workspaceFolder": uri_of(b)})
    assert error.code == INVALID_PARAMS
    assert (await daemon.chat("in a"))["content"] == "Echo: in a"


async def test_configuration_change_applies_without_restart(
    start: StartDaemon, workspace: Path
) -> None:
    daemon = await start([workspace], configuration={"": {"victor": {"model": "m1"}}})
    await daemon.chat("first")
    assert daemon.last_body()["model"] == "m1"
    asked = daemon.client.configuration_requests
    assert asked and asked[0]["items"][0]["section"] == "victor"
    assert asked[0]["items"][0]["scopeUri"] == uri_of(workspace)

    daemon.client.set_configuration({"model": "m2", "maxTokens": 123}, section="victor")
    daemon.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={})
    )

    result = await daemon.chat("second")
    body = daemon.last_body()
    assert body["model"] == "m2"
    assert body["max_tokens"] == 123
    assert result["sessionId"]  # same daemon, same sessions
    assert (await daemon.request("victor/status", {}))["model"] == "m2"


async def test_init_options_and_pushed_settings_without_configuration_support(
    start: StartDaemon, workspace: Path
) -> None:
    daemon = await start(
        [workspace], init_options={"model": "from-init"}, supports_configuration=False
    )
    await daemon.chat("first")
    assert daemon.last_body()["model"] == "from-init"
    assert daemon.client.configuration_requests == []

    daemon.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"victor": {"model": "pushed"}})
    )
    await daemon.chat("second")
    assert daemon.last_body()["model"] == "pushed"


async def test_per_folder_configuration(start: StartDaemon, tmp_path: Path) -> None:
    a = make_folder(tmp_path / "a", {"pyproject.toml": PYPROJECT, "app.py": APP_PY})
    b = make_folder(tmp_path / "b", {"pyproject.toml": PYPROJECT, "app.py": APP_PY})
    daemon = await start(
        [a, b],
        configuration={
            "": {"victor": {"model": "default-model"}},
            uri_of(b): {"victor": {"model": "model-for-b"}},
        },
    )
    await daemon.chat("in a", workspaceFolder=uri_of(a))
    assert daemon.last_body()["model"] == "default-model"
    await daemon.chat("in b", workspaceFolder=uri_of(b))
    assert daemon.last_body()["model"] == "model-for-b"


async def test_workspace_config_file_is_read(start: StartDaemon, tmp_path: Path) -> None:
    folder = make_folder(
        tmp_path / "w", {"app.py": APP_PY, ".victor/config.toml": 'model = "from-file"\n'}
    )
    daemon = await start([folder])
    await daemon.chat("hello")
    assert daemon.last_body()["model"] == "from-file"

    # An edit to the file applies without a restart (the workspace watcher sees it).
    (folder / ".victor" / "config.toml").write_text('model = "edited-file"\n')

    async def model_now() -> bool:
        await daemon.chat("again")
        return daemon.last_body()["model"] == "edited-file"

    assert await eventually(model_now, timeout=10, interval=0.3)


async def test_invalid_editor_setting_is_reported_and_set_aside(
    start: StartDaemon, tmp_path: Path
) -> None:
    folder = make_folder(
        tmp_path / "w", {"app.py": APP_PY, ".victor/config.toml": 'model = "from-file"\n'}
    )
    daemon = await start(
        [folder], configuration={"": {"victor": {"model": "x", "maxTokens": "lots"}}}
    )
    result = await daemon.chat("still works")
    assert result["content"] == "Echo: still works"
    assert daemon.last_body()["model"] == "from-file"  # the file layer still applies

    async def shown_messages() -> list[str]:
        return [m.message for m in daemon.client.messages if "configuration ignored" in m.message]

    shown = await eventually(shown_messages)
    assert "max_tokens" in shown[0] and "workspace/configuration" in shown[0]
