"""Agent mode over stdio: edits collected per turn, reviewed through the editor, never written
by the server; outcomes in the result, the progress, the next turn and the session export."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from tests.lsp.agent_support import apply_to_disk, calls, results_text, tool_names, tool_results
from tests.lsp.conftest import APP_PY, StartDaemon, make_folder
from tests.lsp.daemon import Daemon, eventually, user_texts
from tests.support.model_server import Reply

UTIL_PY = "def helper():\n    return 1\n"
EDIT_TOOLS = {"edit_file", "create_file", "delete_file", "rename_file"}


def apply_and_save(params: dict) -> dict:
    apply_to_disk(params["edit"])
    return {"applied": True}


async def style_ready(daemon: Daemon) -> None:
    async def ready() -> bool:
        return (await daemon.request("victor/status"))["ready"]

    await eventually(ready, timeout=60)


def project(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "proj", {"app.py": APP_PY, "util.py": UTIL_PY})


async def test_ask_mode_is_the_default_and_offers_no_edit_tools(
    start: StartDaemon, tmp_path: Path
) -> None:
    root = project(tmp_path)
    # A repository cannot put its chats in agent mode.
    (root / ".victor").mkdir()
    (root / ".victor" / "config.toml").write_text('defaultChatMode = "agent"\n')
    daemon = await start([root])
    result = await daemon.chat("hello")
    assert result["mode"] == "ask" and "changes" not in result
    assert not EDIT_TOOLS & set(tool_names(daemon.last_body()))
    status = await daemon.request("victor/status")
    assert any("defaultChatMode" in item for item in status["folders"][0]["ignoredSettings"])


async def test_multi_file_turn_is_one_apply_edit_with_annotations_and_later_calls_see_it(
    start: StartDaemon, tmp_path: Path
) -> None:
    root = project(tmp_path)
    daemon = await start([root])
    daemon.client.apply_edit_answer = apply_and_save
    uri = daemon.open(root / "app.py")  # open: its edit carries the document version
    daemon.model.enqueue(
        calls(
            ("edit_file", {"path": "app.py", "old_text": '"Hello, "', "new_text": '"Hi, "'}),
            ("create_file", {"path": "pkg/new.py", "content": "VALUE = 2\n"}),
        ),
        calls(("read_file", {"path": "app.py"}), ("search_text", {"query": "VALUE"})),
        Reply(text="Changed both."),
    )

    result, partials, _ = await daemon.streamed(
        "victor/chat", {"message": "greet shorter, add pkg/new.py", "mode": "agent"}
    )

    assert result["mode"] == "agent" and result["content"].endswith("Changed both.")
    assert set(tool_names(daemon.bodies()[0])) >= EDIT_TOOLS
    assert "run_command" not in tool_names(daemon.bodies()[0])  # untrusted folder
    # The second round already saw the edited text and the new file (nothing on disk yet).
    later = results_text(daemon.bodies()[2])
    assert "Hi, " in later and "pkg/new.py" in later and "VALUE = 2" in later
    # One applyEdit for the whole turn, every change annotated as needing confirmation.
    assert len(daemon.client.applied_edits) == 1
    edit = daemon.client.applied_edits[0]["edit"]
    (annotation_id, annotation), *_ = edit["changeAnnotations"].items()
    assert annotation["needsConfirmation"] is True
    assert "app.py" in annotation["description"] and "new.py" in annotation["description"]
    kinds = [c.get("kind", "edit") for c in edit["documentChanges"]]
    assert kinds == ["edit", "create", "edit"]
    doc_edit = edit["documentChanges"][0]
    assert doc_edit["textDocument"] == {"uri": uri, "version": 1}
    assert all(e["annotationId"] == annotation_id for e in doc_edit["edits"])
    assert edit["documentChanges"][1]["annotationId"] == annotation_id
    # What the editor did (this client applies and saves) is what the model asked for.
    assert (root / "app.py").read_text() == APP_PY.replace('"Hello, "', '"Hi, "')
    assert (root / "pkg" / "new.py").read_text() == "VALUE = 2\n"
    statuses = {c["uri"].rsplit("/", 1)[-1]: c["status"] for c in result["changes"]}
    assert statuses == {"app.py": "accepted", "new.py": "accepted"}
    streamed = [p for p in partials if "changes" in p]
    assert streamed and len(streamed[-1]["changes"]) == 2
    assert [p["review"] for p in partials if "review" in p] == [result["changes"]]


async def test_review_request_variant_rejected_file_unchanged_and_model_told(
    start: StartDaemon, tmp_path: Path
) -> None:
    root = project(tmp_path)
    daemon = await start([root], init_options={"victor": {"agentReview": True}})

    def review(params: dict) -> dict:
        results = []
        for change in params["changes"]:
            if change["uri"].endswith("app.py"):
                results.append({"id": change["id"], "status": "accepted"})
                (root / "app.py").write_text(change["after"])
            else:
                results.append({"id": change["id"], "status": "rejected", "reason": "keep it"})
        return {"results": results}

    daemon.client.review_answer = review
    daemon.model.enqueue(
        calls(
            ("edit_file", {"path": "app.py", "old_text": "Bye", "new_text": "Farewell"}),
            ("edit_file", {"path": "util.py", "old_text": "return 1", "new_text": "return 2"}),
        ),
        Reply(text="Done."),
    )
    result = await daemon.chat("change both", mode="agent")

    assert daemon.client.applied_edits == []  # the client reviews itself
    (request,) = daemon.client.review_requests
    assert request["sessionId"] == result["sessionId"] and request["turnId"] == result["turnId"]
    assert request["folder"] == daemon.folder_uris[0]
    by_name = {c["uri"].rsplit("/", 1)[-1]: c for c in request["changes"]}
    assert by_name["util.py"]["before"] == UTIL_PY
    assert by_name["util.py"]["after"] == "def helper():\n    return 2\n"
    assert by_name["util.py"]["version"] is None and by_name["util.py"]["kind"] == "edit"
    assert (root / "util.py").read_text() == UTIL_PY  # rejected: unchanged
    outcomes = {c["uri"].rsplit("/", 1)[-1]: c for c in result["changes"]}
    assert outcomes["util.py"]["status"] == "rejected"
    assert outcomes["util.py"]["reason"] == "keep it"

    # The model hears of the review at the start of the next turn.
    await daemon.chat("and now?", mode="agent")
    told = user_texts(daemon.last_body())[-1]
    assert "Review of your edits" in told and "accepted edit of app.py" in told
    assert "rejected edit of util.py (reason: keep it)" in told
    assert told.endswith("and now?")

    export = await daemon.request("victor/sessions/export", {"sessionId": result["sessionId"]})
    markdown = export["markdown"]
    assert "Changes made by the agent" in markdown
    assert hashlib.sha256(UTIL_PY.encode()).hexdigest() in markdown
    assert "rejected (keep it)" in markdown


async def test_applyedit_rejected_leaves_files_unchanged_and_the_model_is_told(
    daemon: Daemon, workspace: Path
) -> None:
    daemon.client.apply_edit_answer = lambda edit: {"applied": False, "failureReason": "no"}
    daemon.model.enqueue(
        calls(("delete_file", {"path": "app.py"})),
        Reply(text="Deleted."),
    )
    result = await daemon.chat("remove app.py", mode="agent")
    assert result["changes"][0]["status"] == "rejected"
    assert result["changes"][0]["kind"] == "delete"
    assert (workspace / "app.py").read_text() == APP_PY
    await daemon.chat("next")  # ask mode: told all the same
    assert "rejected delete of app.py (reason: no)" in user_texts(daemon.last_body())[-1]


async def test_a_user_edit_in_between_is_a_clean_conflict_never_clobbered(
    daemon: Daemon, workspace: Path
) -> None:
    uri = daemon.open(workspace / "app.py")
    daemon.model.enqueue(
        calls(("edit_file", {"path": "app.py", "old_text": "Bye", "new_text": "Ciao"})),
        Reply(text="Edited while you type.", delay=0.3),
    )
    token = "agent-conflict"
    _, future = daemon.send(
        "victor/chat", {"message": "edit", "mode": "agent", "partialResultToken": token}
    )
    await eventually(
        lambda: asyncio.sleep(0, any("changes" in p for p in daemon.client.partials.get(token, [])))
    )
    user_text = APP_PY.replace("greet", "welcome")
    daemon.change(uri, user_text)  # the user types meanwhile (version 2)
    result = await asyncio.wait_for(future, 60)

    (change,) = result["changes"]
    assert change["status"] == "conflict"
    assert "version 2, expected 1" in change["reason"]
    assert daemon.client.applied_edits == []  # nothing was sent to clobber the user's text
    assert (workspace / "app.py").read_text() == APP_PY


async def test_paths_are_confined_and_secrets_and_git_refused(
    daemon: Daemon, workspace: Path
) -> None:
    (workspace / ".env").write_text("TOKEN=canary-env-value\n")
    (workspace / ".git").mkdir()
    daemon.model.enqueue(
        calls(
            ("edit_file", {"path": ".env", "old_text": "TOKEN", "new_text": "X"}),
            ("create_file", {"path": ".git/hooks/post-commit", "content": "rm -rf ~\n"}),
            ("create_file", {"path": "../outside.py", "content": "x = 1\n"}),
            ("edit_file", {"path": "app.py", "old_text": "name", "new_text": "n"}),
        ),
        Reply(text="Tried."),
    )
    result = await daemon.chat("try", mode="agent")
    results = list(tool_results(daemon.last_body()).values())
    assert all(is_error for _, is_error in results), results
    text = " ".join(r for r, _ in results)
    assert "secret" in text and ".git" in text and "outside the workspace" in text
    assert "occurs 4 times" in text  # ambiguous old_text: the model is asked for more context
    assert "canary-env-value" not in str(daemon.bodies())
    assert result["changes"] == [] and daemon.client.applied_edits == []
    assert not (workspace.parent / "outside.py").exists()


async def test_cancel_drops_unreviewed_edits_and_says_so(daemon: Daemon, workspace: Path) -> None:
    daemon.model.enqueue(
        calls(("edit_file", {"path": "app.py", "old_text": "Bye", "new_text": "Ciao"})),
        Reply(text="thinking " * 200, delay=0.05),
    )
    token = "agent-cancel"
    msg_id, future = daemon.send(
        "victor/chat", {"message": "edit slowly", "mode": "agent", "partialResultToken": token}
    )
    await eventually(
        lambda: asyncio.sleep(0, any("delta" in p for p in daemon.client.partials.get(token, [])))
    )
    daemon.cancel(msg_id)
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(future, 60)
    assert caught.value.code == -32800
    assert daemon.client.applied_edits == []  # nothing reviewed, nothing applied
    reviews = [p["review"] for p in daemon.client.partials[token] if "review" in p]
    assert [o["status"] for o in reviews[-1]] == ["dropped"]
    assert any("dropped" in m.message for m in daemon.client.messages)
    assert (workspace / "app.py").read_text() == APP_PY
    await daemon.chat("what happened?")
    assert "dropped edit of app.py" in user_texts(daemon.last_body())[-1]


async def test_limits_on_files_and_rounds(start: StartDaemon, tmp_path: Path) -> None:
    root = project(tmp_path)
    daemon = await start([root], init_options={"agentMaxFiles": 1})
    daemon.model.enqueue(
        calls(
            ("create_file", {"path": "a.py", "content": "A = 1\n"}),
        ),
        calls(("create_file", {"path": "b.py", "content": "B = 1\n"})),
        Reply(text="Stopped at the limit."),
    )
    result = await daemon.chat("make two files", mode="agent")
    (output, is_error), *_ = list(tool_results(daemon.last_body()).values())[1:]
    assert is_error and "at most 1 files (setting agentMaxFiles)" in output
    assert [c["uri"].rsplit("/", 1)[-1] for c in result["changes"]] == ["a.py"]

    rounds = await start([root], init_options={"agentMaxToolRounds": 1})
    before = len(rounds.bodies())  # the same model server as the first daemon
    rounds.model.enqueue(
        calls(("read_file", {"path": "app.py"})),
        calls(("read_file", {"path": "util.py"})),
        Reply(text="never asked"),
    )
    result = await rounds.chat("read everything", mode="agent")
    assert result["stopReason"] == "tool_use"
    assert len(rounds.bodies()) - before == 2  # one tool round, then no more requests


async def test_written_code_follows_the_style_card_in_a_trusted_folder(
    start: StartDaemon, workspace: Path
) -> None:
    # pyproject: ruff, single quotes. The model writes double quotes; ruff (trusted folder,
    # agreeing with the card) writes them the workspace's way, for the new text only.
    daemon = await start([workspace], init_options={"trustedWorkspace": True})
    await style_ready(daemon)
    daemon.model.enqueue(
        calls(
            (
                "edit_file",
                {
                    "path": "app.py",
                    "old_text": '    return "Bye, " + name\n',
                    "new_text": '    return "See you, " + name\n',
                },
            )
        ),
        Reply(text="Done."),
    )
    result = await daemon.chat("change farewell", mode="agent")
    assert result["changes"][0]["status"] == "accepted"
    (edit,) = daemon.client.applied_edits
    (text_edit,) = edit["edit"]["documentChanges"][0]["edits"]
    assert text_edit["newText"] == "    return 'See you, ' + name\n"
    assert text_edit["range"]["start"]["line"] == 5  # only the edited line
    output = list(tool_results(daemon.last_body()).values())[0][0]
    assert "formatted with ruff format" in output


async def test_the_model_is_told_what_its_code_breaks_of_the_style_card(
    daemon: Daemon, workspace: Path
) -> None:
    # Untrusted: no formatter runs. The card says single quotes (pyproject: ruff quote-style).
    await style_ready(daemon)
    daemon.model.enqueue(
        calls(("create_file", {"path": "names.py", "content": 'A = "x"\nB = "y"\n'})),
        Reply(text="Done."),
    )
    await daemon.chat("add names", mode="agent")
    output = list(tool_results(daemon.last_body()).values())[0][0]
    assert "Style notes: the file now writes double quotes; the card says single" in output


async def test_rename_is_one_rename_file_and_the_renamed_file_waits_for_review(
    daemon: Daemon, workspace: Path
) -> None:
    daemon.client.apply_edit_answer = apply_and_save
    daemon.model.enqueue(
        calls(("rename_file", {"path": "app.py", "new_path": "lib/greetings.py"})),
        calls(
            ("edit_file", {"path": "lib/greetings.py", "old_text": "Bye", "new_text": "Ciao"}),
            ("read_file", {"path": "app.py"}),
        ),
        Reply(text="Moved."),
    )
    (workspace / "lib").mkdir()
    result = await daemon.chat("move it", mode="agent")
    second = list(tool_results(daemon.last_body()).values())[1:]
    assert second[0][1] and "waiting for the user's review" in second[0][0]
    assert second[1][1] and "deleted (or renamed) earlier in this turn" in second[1][0]
    (edit,) = daemon.client.applied_edits
    (rename,) = edit["edit"]["documentChanges"]
    assert rename["kind"] == "rename" and rename["newUri"].endswith("/lib/greetings.py")
    assert rename["options"] == {"overwrite": False, "ignoreIfExists": False}
    (outcome,) = result["changes"]
    assert outcome["status"] == "accepted" and outcome["newUri"] == rename["newUri"]
    assert not (workspace / "app.py").exists()
    assert (workspace / "lib" / "greetings.py").read_text() == APP_PY


async def test_two_edits_of_one_file_in_one_round_apply_in_order(
    daemon: Daemon, workspace: Path
) -> None:
    daemon.model.enqueue(
        calls(
            ("edit_file", {"path": "app.py", "old_text": "Hello", "new_text": "Hi"}),
            ("edit_file", {"path": "app.py", "old_text": "Hi, ", "new_text": "Hi there, "}),
        ),
        Reply(text="Two edits."),
    )
    result = await daemon.chat("edit twice", mode="agent")
    assert not any(e for _, e in tool_results(daemon.last_body()).values())
    (edit,) = daemon.client.applied_edits
    (change,) = edit["edit"]["documentChanges"]
    assert change["edits"][0]["newText"] == '    return "Hi there, " + name\n'
    assert [c["status"] for c in result["changes"]] == ["accepted"]
