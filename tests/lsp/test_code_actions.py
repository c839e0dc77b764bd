"""Code actions and the ``victor.runAction`` command."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types

from tests.lsp.daemon import Daemon, eventually, user_texts
from tests.support.model_server import Reply

COMMAND = "victor.runAction"
GREET = types.Range(types.Position(0, 0), types.Position(1, 27))


async def code_actions(
    daemon: Daemon,
    uri: str,
    rng: types.Range,
    diagnostics: list[types.Diagnostic] | None = None,
) -> dict[str, dict]:
    """The code actions offered (raw JSON), by title without the "Victor: " prefix."""
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=rng,
        context=types.CodeActionContext(diagnostics=diagnostics or []),
    )
    result = await daemon.request(types.TEXT_DOCUMENT_CODE_ACTION, params)
    actions = {}
    for action in result or []:
        assert isinstance(action.get("command"), dict), action  # CodeAction, not a Command
        assert action["title"].startswith("Victor: ")
        actions[action["title"].removeprefix("Victor: ")] = action
    return actions


def progress_tokens(daemon: Daemon) -> set:
    """Work-done progress tokens the server created (``window/workDoneProgress/create``)."""
    return set(daemon.client.progress_reports)


async def progress_of(daemon: Daemon, token: object, kind: str) -> dict:
    """The first ``$/progress`` value of ``kind`` (begin, report, end) sent on ``token``."""

    async def sent() -> dict | None:
        values = daemon.client.partials.get(token, [])
        return next((v for v in values if v.get("kind") == kind), None)

    return await eventually(sent, timeout=30)


async def execute(daemon: Daemon, action: dict) -> object:
    """Send the action's command and return the new progress token it reports on. The command
    answers at once, with null: the work runs after the answer."""
    before = progress_tokens(daemon)
    command = action["command"]
    result = await asyncio.wait_for(
        daemon.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
        ),
        20,
    )
    assert result is None

    async def created() -> set:
        return progress_tokens(daemon) - before

    (token,) = await eventually(created)
    return token


async def run(daemon: Daemon, action: dict) -> str:
    """Run the action to its end: the message its work-done progress ends with."""
    token = await execute(daemon, action)
    begin = await progress_of(daemon, token, "begin")
    assert begin["title"].startswith("Victor: ") and begin["cancellable"] is True
    return (await progress_of(daemon, token, "end"))["message"]


async def test_selection_offers_explain_refactor_and_docstring(
    daemon: Daemon, workspace: Path
) -> None:
    uri = daemon.open(workspace / "app.py")
    actions = await code_actions(daemon, uri, GREET)

    assert {"Explain", "Refactor", "Add docstring"} <= set(actions)
    for title, name in (
        ("Explain", "explain"),
        ("Refactor", "refactor"),
        ("Add docstring", "docstring"),
    ):
        command = actions[title]["command"]
        assert command["command"] == COMMAND
        assert len(command["arguments"]) == 1
        argument = command["arguments"][0]
        assert argument["action"] == name
        assert argument["uri"] == uri
        assert argument["range"] == {
            "start": {"line": 0, "character": 0},
            "end": {"line": 1, "character": 27},
        }


async def test_no_selection_no_selection_actions(daemon: Daemon, workspace: Path) -> None:
    uri = daemon.open(workspace / "app.py")
    cursor = types.Range(types.Position(1, 4), types.Position(1, 4))
    titles = set(await code_actions(daemon, uri, cursor))
    assert not titles & {"Explain", "Refactor", "Add docstring"}


async def test_diagnostic_and_comment_actions(daemon: Daemon, workspace: Path) -> None:
    uri = daemon.open(workspace / "app.py", "# return the square of x\n\ndef f(x):\n    return y\n")
    diagnostic = types.Diagnostic(
        range=types.Range(types.Position(3, 11), types.Position(3, 12)),
        message="Undefined name `y`",
        source="ruff",
        code="F821",
    )
    at_y = types.Range(types.Position(3, 11), types.Position(3, 11))
    actions = await code_actions(daemon, uri, at_y, [diagnostic])
    fix = next(a for t, a in actions.items() if t.startswith("Fix"))
    assert "Undefined name" in fix["title"]
    assert fix["kind"] == types.CodeActionKind.QuickFix.value
    assert fix["diagnostics"][0]["message"] == "Undefined name `y`"
    assert fix["command"]["arguments"][0]["action"] == "fix"

    on_comment = types.Range(types.Position(0, 3), types.Position(0, 3))
    actions = await code_actions(daemon, uri, on_comment)
    assert "Generate from comment" in actions
    assert actions["Generate from comment"]["command"]["arguments"][0]["action"] == "generate"


async def test_refactor_sends_workspace_apply_edit(daemon: Daemon, workspace: Path) -> None:
    uri = daemon.open(workspace / "app.py")
    refactor = (await code_actions(daemon, uri, GREET))["Refactor"]
    new_greet = "def greet(name):\n    return f'Hello, {name}'\n"
    daemon.model.enqueue(Reply(text=f"```python\n{new_greet}```"))

    ended = await run(daemon, refactor)

    assert ended == "Edit applied"
    assert len(daemon.client.applied_edits) == 1
    applied = daemon.client.applied_edits[0]
    assert "refactor" in applied["label"].lower()
    (edit,) = applied["edit"]["changes"][uri]
    assert edit["newText"] == new_greet
    # whole lines of the selection are replaced
    assert edit["range"]["start"] == {"line": 0, "character": 0}
    assert edit["range"]["end"] == {"line": 2, "character": 0}
    assert "Refactor" in user_texts(daemon.last_body())[-1]


async def test_add_docstring_edits_the_selection(daemon: Daemon, workspace: Path) -> None:
    uri = daemon.open(workspace / "app.py")
    docstring = (await code_actions(daemon, uri, GREET))["Add docstring"]
    documented = 'def greet(name):\n    """Greet someone."""\n    return \'Hello, \' + name\n'
    daemon.model.enqueue(Reply(text=f"```python\n{documented}```"))

    await run(daemon, docstring)

    (edit,) = daemon.client.applied_edits[-1]["edit"]["changes"][uri]
    assert '"""Greet someone."""' in edit["newText"]
    assert "docstring" in user_texts(daemon.last_body())[-1].lower()


async def test_explain_sends_explanation_and_show_message(daemon: Daemon, workspace: Path) -> None:
    uri = daemon.open(workspace / "app.py")
    explain = (await code_actions(daemon, uri, GREET))["Explain"]
    daemon.model.enqueue(Reply(text="It builds a **greeting** from a name."))

    assert await run(daemon, explain) == "Explanation sent"

    (sent,) = daemon.client.notifications.get("victor/explanation", [])
    assert sent["markdown"] == "It builds a **greeting** from a name."
    assert "app.py" in sent["title"]
    shown = [m for m in daemon.client.messages if "greeting" in m.message]
    assert len(shown) == 1
    assert daemon.client.applied_edits == []  # an explanation edits nothing
    # the selected code went to the model, and the explanation is in the chat session
    assert 'return "Hello, " + name' in user_texts(daemon.last_body())[-1]
    session = await daemon.request("victor/sessions/get", {"sessionId": sent["sessionId"]})
    assert session["messages"][-1]["content"] == "It builds a **greeting** from a name."


async def test_fix_diagnostic_mentions_it_to_the_model(daemon: Daemon, workspace: Path) -> None:
    uri = daemon.open(workspace / "app.py", "def f(x):\n    return y\n")
    diagnostic = types.Diagnostic(
        range=types.Range(types.Position(1, 11), types.Position(1, 12)),
        message="Undefined name `y`",
        source="ruff",
        code="F821",
    )
    actions = await code_actions(daemon, uri, diagnostic.range, [diagnostic])
    fix = next(a for t, a in actions.items() if t.startswith("Fix"))
    daemon.model.enqueue(Reply(text="```python\n    return x\n```"))

    await run(daemon, fix)

    asked = user_texts(daemon.last_body())[-1]
    assert "Undefined name `y`" in asked and "F821" in asked
    (edit,) = daemon.client.applied_edits[-1]["edit"]["changes"][uri]
    assert edit["newText"] == "    return x\n"
    assert edit["range"] == {
        "start": {"line": 1, "character": 0},
        "end": {"line": 2, "character": 0},
    }


async def test_command_answers_before_the_model_is_done_and_the_user_can_cancel(
    daemon: Daemon, workspace: Path
) -> None:
    """eglot waits for executeCommand (10 s, Emacs frozen meanwhile): it must answer at once.
    The work goes on with work-done progress, and cancelling it stops the model's stream."""
    uri = daemon.open(workspace / "app.py")
    refactor = (await code_actions(daemon, uri, GREET))["Refactor"]
    # the model sends one delta, then nothing for far longer than the test waits for anything
    daemon.model.enqueue(
        Reply(
            text="def greet(name):\n    return name\n",
            fault="stall",
            fault_after=1,
            stall_seconds=120,
        )
    )

    token = await execute(daemon, refactor)  # answered while the model is still answering

    await progress_of(daemon, token, "begin")

    async def model_asked() -> bool:
        return bool(daemon.model.requests_to("/v1/messages"))

    await eventually(model_asked, timeout=30)  # after the style scan, bounded by 10 s
    daemon.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))

    assert (await progress_of(daemon, token, "end"))["message"] == "Cancelled"
    assert await asyncio.to_thread(daemon.model.wait_for_client_close, 10)  # stream aborted
    assert daemon.client.applied_edits == []
    # the daemon goes on: the interrupted turn is in the session, the next request works
    sessions = (await daemon.request("victor/sessions/list", {}))["sessions"]
    session = await daemon.request("victor/sessions/get", {"sessionId": sessions[0]["id"]})
    assert session["messages"][-1].get("interrupted") is True
    assert (await daemon.chat("still there?"))["content"] == "Echo: still there?"


async def test_an_edit_for_a_document_changed_meanwhile_is_not_applied(
    daemon: Daemon, workspace: Path
) -> None:
    """The editor is not blocked while the model works: if the user edits the document
    meanwhile, the edit's ranges may be wrong, so it is not applied (and the user is told)."""
    uri = daemon.open(workspace / "app.py")
    refactor = (await code_actions(daemon, uri, GREET))["Refactor"]
    # one delta, a pause for the user to type in, then the rest
    daemon.model.enqueue(
        Reply(
            text="def greet(name):\n    return name\n",
            fault="stall",
            fault_after=1,
            stall_seconds=8,
        )
    )
    token = await execute(daemon, refactor)

    async def model_asked() -> bool:
        return bool(daemon.model.requests_to("/v1/messages"))

    await eventually(model_asked, timeout=30)
    daemon.change(uri, "# the user typed this line\n" + (workspace / "app.py").read_text())

    ended = (await progress_of(daemon, token, "end"))["message"]
    assert "changed" in ended and "nothing was applied" in ended
    assert daemon.client.applied_edits == []
    assert any("changed" in m.message for m in daemon.client.messages)


async def test_a_failing_action_is_shown_and_ends_its_progress(
    daemon: Daemon, workspace: Path
) -> None:
    uri = daemon.open(workspace / "app.py")
    refactor = (await code_actions(daemon, uri, GREET))["Refactor"]
    daemon.model.enqueue(
        Reply(
            status=400, error_type="invalid_request_error", error_message="prompt is not acceptable"
        )
    )

    ended = await run(daemon, refactor)

    assert ended.startswith("Failed: ")
    shown = [m.message for m in daemon.client.messages if m.type == types.MessageType.Error]
    assert any("Refactor failed" in m for m in shown), shown
    assert daemon.client.applied_edits == []
    assert (await daemon.chat("still there?"))["content"] == "Echo: still there?"
