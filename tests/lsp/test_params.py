"""Bad params on every method: InvalidParams naming the field, and the server keeps going.

Nothing here changes the daemon's state, so one daemon serves the whole module (on the
module's event loop) and the many cases stay fast.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import APP_PY, PYPROJECT, make_folder
from tests.lsp.daemon import Daemon, start_daemon
from tests.support.model_server import ModelServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

INVALID_PARAMS = -32602
POS = {"line": 0, "character": 0}
RANGE = {"start": POS, "end": POS}
DOC = {"uri": "file:///DOC"}  # replaced by the workspace's app.py

# (method, params, a word the error message must contain)
BAD_PARAMS = [
    ("victor/chat", {}, "message"),
    ("victor/chat", {"message": 42}, "message"),
    ("victor/chat", {"message": "   "}, "message"),
    ("victor/chat", {"message": "hi", "sessionId": 7}, "sessionId"),
    ("victor/chat", {"message": "hi", "textDocument": "file:///x.py"}, "textDocument"),
    ("victor/chat", {"message": "hi", "textDocument": {}}, "textDocument.uri"),
    ("victor/chat", {"message": "hi", "range": {"start": POS}}, "range.end"),
    ("victor/chat", {"message": "hi", "position": {"line": -1, "character": 0}}, "position.line"),
    ("victor/chat", {"message": "hi", "diagnostics": {"message": "x"}}, "diagnostics"),
    ("victor/chat", {"message": "hi", "workspaceFolder": 3}, "workspaceFolder"),
    ("victor/chat", {"message": "hi", "workspaceFolder": "file:///not/open"}, "workspaceFolder"),
    (
        "victor/chat",
        {"message": "hi", "textDocument": {"uri": "file:///elsewhere/x.py"}},
        "textDocument",
    ),
    ("victor/generate", {}, "textDocument"),
    ("victor/generate", {"textDocument": DOC}, "instruction"),
    ("victor/generate", {"textDocument": DOC, "instruction": ""}, "instruction"),
    ("victor/generate", {"textDocument": {"uri": 5}, "instruction": "x"}, "textDocument.uri"),
    ("victor/generate", {"textDocument": DOC, "instruction": "x", "range": [0, 1]}, "range"),
    (
        "victor/generate",
        {"textDocument": DOC, "instruction": "x", "position": {"line": "a"}},
        "position",
    ),
    (
        "victor/generate",
        {
            "textDocument": DOC,
            "instruction": "x",
            "range": {"start": {"line": 999, "character": 0}, "end": {"line": 999, "character": 0}},
        },
        "range",
    ),
    ("victor/sessions/list", {"workspaceFolder": 5}, "workspaceFolder"),
    ("victor/sessions/list", {"workspaceFolder": "file:///not/open"}, "workspaceFolder"),
    ("victor/sessions/new", {"title": 5}, "title"),
    ("victor/sessions/new", {"workspaceFolder": ["x"]}, "workspaceFolder"),
    ("victor/sessions/get", {}, "sessionId"),
    ("victor/sessions/get", {"sessionId": 5}, "sessionId"),
    ("victor/sessions/get", {"sessionId": ""}, "sessionId"),
    ("victor/sessions/delete", {}, "sessionId"),
    ("victor/sessions/delete", {"sessionId": None}, "sessionId"),
    ("victor/sessions/export", {}, "sessionId"),
    ("victor/sessions/export", {"sessionId": {"id": "x"}}, "sessionId"),
    ("victor/compact", {}, "sessionId"),
    ("victor/compact", {"sessionId": 1.5}, "sessionId"),
    ("victor/systemPrompt", {"textDocument": 5}, "textDocument"),
    ("victor/systemPrompt", {"position": {"line": "a", "character": 0}}, "position.line"),
    ("victor/systemPrompt", {"range": {"end": POS}}, "range.start"),
    ("victor/systemPrompt", {"sessionId": 9}, "sessionId"),
]

METHODS = sorted({m for m, _, _ in BAD_PARAMS} | {"victor/status"})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Daemon, Path]]:
    root = tmp_path_factory.mktemp("params")
    workspace = make_folder(root / "proj", {"pyproject.toml": PYPROJECT, "app.py": APP_PY})
    (root / "data").mkdir()
    with ModelServer() as model:
        daemon = await start_daemon(model, [workspace], root / "data")
        try:
            yield daemon, workspace
        finally:
            await daemon.stop()


@pytest.fixture
def daemon(shared: tuple[Daemon, Path]) -> Daemon:
    return shared[0]


@pytest.fixture
def workspace(shared: tuple[Daemon, Path]) -> Path:
    return shared[1]


def _fill(daemon: Daemon, workspace: Path, params: dict) -> dict:
    if params.get("textDocument") == DOC:
        return {**params, "textDocument": {"uri": daemon.open(workspace / "app.py")}}
    return params


@pytest.mark.parametrize(
    ("method", "params", "field"),
    BAD_PARAMS,
    ids=[f"{m.removeprefix('victor/')}-{f}-{i}" for i, (m, _, f) in enumerate(BAD_PARAMS)],
)
async def test_bad_field_is_invalid_params_naming_it(
    daemon: Daemon, workspace: Path, method: str, params: dict, field: str
) -> None:
    sent = len(daemon.bodies())
    error = await daemon.error_of(method, _fill(daemon, workspace, params))
    assert error.code == INVALID_PARAMS, error
    assert field in error.message
    assert len(daemon.bodies()) == sent  # nothing reached the model


async def test_all_bad_params_in_a_row_then_the_server_still_answers(
    daemon: Daemon, workspace: Path
) -> None:
    for method, params, _ in BAD_PARAMS:
        error = await daemon.error_of(method, _fill(daemon, workspace, params))
        assert error.code == INVALID_PARAMS
    assert (await daemon.chat("still alive?"))["content"] == "Echo: still alive?"
    assert (await daemon.request("victor/status", {}))["provider"] == "anthropic"
    assert daemon.returncode is None


@pytest.mark.parametrize("params", [[1, 2], "text", 42], ids=["array", "string", "number"])
@pytest.mark.parametrize("method", METHODS)
async def test_params_that_are_not_an_object(daemon: Daemon, method: str, params: object) -> None:
    error = await daemon.error_of(method, params)
    assert error.code == INVALID_PARAMS
    assert "params" in error.message
    assert (await daemon.request("victor/sessions/list", {}))["sessions"] is not None


async def test_run_action_with_bad_arguments(daemon: Daemon, workspace: Path) -> None:
    uri = daemon.open(workspace / "app.py")
    sent = len(daemon.bodies())
    cases = [
        ([], "arguments"),
        ([{"action": "explain", "uri": uri, "range": RANGE}, {}], "arguments"),
        ([{"action": "dance", "uri": uri, "range": RANGE}], "action"),
        ([{"action": "explain", "range": RANGE}], "uri"),
        ([{"action": "explain", "uri": uri}], "range"),
    ]
    for arguments, field in cases:
        with pytest.raises(JsonRpcException) as info:
            await daemon.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="victor.runAction", arguments=arguments)
            )
        assert info.value.code == INVALID_PARAMS, (arguments, info.value)
        assert field in info.value.message, (arguments, info.value.message)
    assert len(daemon.bodies()) == sent
    assert (await daemon.chat("fine"))["content"] == "Echo: fine"


async def test_unknown_method_is_method_not_found(daemon: Daemon) -> None:
    error = await daemon.error_of("victor/doesNotExist", {})
    assert error.code == -32601
    assert (await daemon.chat("fine"))["content"] == "Echo: fine"
