"""Agent mode's run_command over stdio: asked for, allowlisted per folder in the user's config
directory, run without API keys in the environment, streamed, refused in untrusted folders,
killed with its process group when the turn is cancelled."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import uuid
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from tests.lsp.agent_support import apply_to_disk, calls, tool_names, tool_results
from tests.lsp.conftest import APP_PY, StartDaemon, make_folder
from tests.lsp.daemon import Daemon, eventually
from tests.support.model_server import Reply

CANARY = f"sk-ant-canary-{uuid.uuid4().hex}"
SHOW_ENV = (
    "import os; print('cwd', os.getcwd()); print(sorted(os.environ)); "
    "print(os.environ.get('ANTHROPIC_API_KEY'), os.environ.get('OPENAI_API_KEY')); print('done')"
)


@pytest.fixture
def config_home(tmp_path: Path) -> Path:
    path = tmp_path / "config-home"
    path.mkdir()
    return path


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "proj", {"app.py": APP_PY, "sub/keep.txt": "x\n"})


async def agent_daemon(
    start: StartDaemon, root: Path, config_home: Path, *, trusted: bool = True
) -> Daemon:
    return await start(
        [root],
        init_options={"trustedWorkspace": trusted},
        env={
            "ANTHROPIC_API_KEY": CANARY,
            "OPENAI_API_KEY": CANARY + "-openai",
            "XDG_CONFIG_HOME": str(config_home),
        },
    )


def run(argv: list[str], **extra: str) -> tuple[str, dict]:
    return ("run_command", {"command": argv, **extra})


async def test_command_is_asked_for_runs_streams_and_never_sees_api_keys(
    start: StartDaemon, proj: Path, config_home: Path
) -> None:
    daemon = await agent_daemon(start, proj, config_home)
    daemon.client.message_request_answer = lambda params: "Run once"
    argv = ["python3", "-c", SHOW_ENV]
    daemon.model.enqueue(calls(run(argv, cwd="sub")), Reply(text="Checked."))

    result, partials, _ = await daemon.streamed(
        "victor/chat", {"message": "check", "mode": "agent"}
    )

    assert "run_command" in tool_names(daemon.bodies()[0])
    (asked,) = daemon.client.message_requests
    assert asked["type"] == 2
    assert asked["message"] == (f"Victor agent wants to run in proj: {shlex.join(argv)} (in sub)")
    assert [a["title"] for a in asked["actions"]] == ["Run once", "Always allow", "Deny"]
    streamed = "".join(p["toolOutput"]["text"] for p in partials if "toolOutput" in p)
    assert "done" in streamed and f"cwd {proj / 'sub'}" in streamed
    (output, is_error), *_ = tool_results(daemon.last_body()).values()
    assert not is_error and "exit status 0" in output and "done" in output
    ran = output.split("exit status 0", 1)[1]  # what the command printed
    assert "None None" in ran  # no API key in the command's environment
    assert "ANTHROPIC" not in ran and "OPENAI" not in ran
    everything = json.dumps([partials, daemon.bodies(), result])
    assert CANARY not in everything
    assert result["changes"] == []

    # "Run once" is not remembered: the next turn asks again.
    daemon.model.enqueue(calls(run(argv)), Reply(text="Again."))
    await daemon.chat("again", mode="agent")
    assert len(daemon.client.message_requests) == 2


async def test_always_allow_is_stored_for_the_user_and_deny_runs_nothing(
    start: StartDaemon, proj: Path, config_home: Path
) -> None:
    daemon = await agent_daemon(start, proj, config_home)
    marker = proj / "ran.txt"
    argv = ["python3", "-c", "open('ran.txt', 'a').write('x')"]
    daemon.client.message_request_answer = lambda params: "Deny"
    daemon.model.enqueue(calls(run(argv)), Reply(text="ok"))
    await daemon.chat("run it", mode="agent")
    (output, is_error), *_ = tool_results(daemon.last_body()).values()
    assert is_error and "the user denied" in output
    assert not marker.exists()

    daemon.client.message_request_answer = lambda params: "Always allow"
    daemon.model.enqueue(calls(run(argv)), Reply(text="ok"))
    await daemon.chat("run it", mode="agent")
    assert marker.read_text() == "x"
    store = config_home / "victor" / "allowed-commands.json"
    assert store.stat().st_mode & 0o777 == 0o600
    assert not (proj / ".victor").exists()  # nothing written into the repository
    listed = await daemon.request("victor/commands/list", {})
    assert listed["commands"] == [argv]

    asked = len(daemon.client.message_requests)
    daemon.model.enqueue(calls(run([*argv, "extra-arg"])), Reply(text="ok"))
    await daemon.chat("run it again", mode="agent")
    assert len(daemon.client.message_requests) == asked  # allowed: not asked
    assert marker.read_text() == "xx"

    assert (await daemon.request("victor/commands/remove", {"command": argv}))["removed"]
    daemon.client.message_request_answer = lambda params: None  # dismissed = denied
    daemon.model.enqueue(calls(run(argv)), Reply(text="ok"))
    await daemon.chat("once more", mode="agent")
    assert len(daemon.client.message_requests) == asked + 1
    assert marker.read_text() == "xx"
    error = await daemon.error_of("victor/commands/allow", {"command": []})
    assert error.code == -32602 and "command" in error.message


async def test_untrusted_folder_gets_no_command_tool_and_a_call_runs_nothing(
    start: StartDaemon, proj: Path, config_home: Path
) -> None:
    daemon = await agent_daemon(start, proj, config_home, trusted=False)
    await daemon.request("victor/commands/allow", {"command": ["python3"]})  # even allowlisted
    daemon.model.enqueue(calls(run(["python3", "-c", "open('ran.txt', 'w')"])), Reply(text="ok"))
    await daemon.chat("run it", mode="agent")
    assert "run_command" not in tool_names(daemon.bodies()[0])
    (output, is_error), *_ = tool_results(daemon.last_body()).values()
    assert is_error and "unknown tool 'run_command'" in output
    assert not (proj / "ran.txt").exists()
    assert daemon.client.message_requests == []


async def test_pending_edits_are_reviewed_before_the_command_runs(
    start: StartDaemon, proj: Path, config_home: Path
) -> None:
    daemon = await agent_daemon(start, proj, config_home)
    daemon.client.message_request_answer = lambda params: "Run once"

    def apply(params: dict) -> dict:
        apply_to_disk(params["edit"])
        return {"applied": True}

    daemon.client.apply_edit_answer = apply
    daemon.model.enqueue(
        calls(("edit_file", {"path": "app.py", "old_text": "Bye", "new_text": "Ciao"})),
        calls(run(["python3", "-c", "print(open('app.py').read())"])),
        Reply(text="Tested."),
    )
    result = await daemon.chat("edit then test", mode="agent")
    output = list(tool_results(daemon.last_body()).values())[-1][0]
    assert output.startswith("Review of your edits: accepted app.py")
    assert '"Ciao, "' in output  # the command saw the accepted edit on disk
    assert len(daemon.client.applied_edits) == 1  # nothing left for the end of the turn
    assert [c["status"] for c in result["changes"]] == ["accepted"]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


async def test_cancel_kills_the_command_and_its_children_and_drops_pending_edits(
    start: StartDaemon, proj: Path, config_home: Path
) -> None:
    daemon = await agent_daemon(start, proj, config_home)
    script = (
        "import os, subprocess, time; child = subprocess.Popen(['sleep', '120']); "
        "open('pids', 'w').write(f'{os.getpid()} {child.pid}'); time.sleep(120)"
    )
    await daemon.request("victor/commands/allow", {"command": ["python3", "-c", script]})
    daemon.client.apply_edit_answer = lambda params: {"applied": False}
    daemon.model.enqueue(calls(run(["python3", "-c", script])), Reply(text="never"))
    msg_id, future = daemon.send("victor/chat", {"message": "slow check", "mode": "agent"})
    pids_file = proj / "pids"
    await eventually(lambda: asyncio.sleep(0, pids_file.exists() and pids_file.read_text()))
    pids = [int(p) for p in pids_file.read_text().split()]
    assert all(_alive(pid) for pid in pids)

    daemon.cancel(msg_id)
    with pytest.raises(JsonRpcException) as caught:
        await asyncio.wait_for(future, 60)
    assert caught.value.code == -32800
    await eventually(lambda: asyncio.sleep(0, not any(_alive(pid) for pid in pids)))
    os.remove(pids_file)


async def test_trust_revoked_during_a_turn_stops_commands(
    start: StartDaemon, proj: Path, config_home: Path
) -> None:
    daemon = await agent_daemon(start, proj, config_home)
    argv = ["python3", "-c", "open('ran.txt', 'w')"]
    await daemon.request("victor/commands/allow", {"command": argv})
    slow_then_run = calls(run(argv), text="thinking " * 30)
    slow_then_run.delay = 0.05
    daemon.model.enqueue(slow_then_run, Reply(text="ok"))
    token = "revoke"
    _, future = daemon.send(
        "victor/chat", {"message": "run", "mode": "agent", "partialResultToken": token}
    )
    await eventually(
        lambda: asyncio.sleep(0, any("delta" in p for p in daemon.client.partials.get(token, [])))
    )
    daemon.client.protocol.notify("victor/setTrust", {"trusted": False})
    await asyncio.wait_for(future, 60)
    (output, is_error), *_ = tool_results(daemon.last_body()).values()
    assert is_error and "no longer trusted" in output
    assert not (proj / "ran.txt").exists()
