"""Tools and file context stay inside the workspace folder; secret files never leave the disk.

Through the daemon: the local model server is scripted to make the tool calls an attacker (or
a confused model) would make, and every request the daemon sends to the model is searched for
canaries planted outside the workspace, in secret files, in git-ignored files and in ``.git``.
Positive controls (a plain file, a git-ignored file the user opened) prove the searches work.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import git_init, make_project
from tests.reliability.harness import Daemon, RpcError, uri_of, write
from tests.support.model_script import ScriptedToolCall
from tests.support.model_server import ModelServer, Reply

pytestmark = pytest.mark.timeout(120)


@dataclass
class Setup:
    daemon: Daemon
    model: ModelServer
    workspace: Path
    outside: Path
    #: canary -> where it was planted; none of these may reach the model
    secrets: dict[str, str] = field(default_factory=dict)
    #: a canary in a plain workspace file (must be readable: the positive control)
    visible: str = ""

    def bodies_text(self) -> str:
        return "\n".join(r.raw_body for r in self.model.requests)

    def leaked(self) -> dict[str, str]:
        text = self.bodies_text()
        return {where: canary for canary, where in self.secrets.items() if canary in text}


def canary(label: str) -> str:
    return f"CANARY-{label}-{uuid.uuid4().hex[:12]}"


SECRET_FILES = [
    ".env",
    ".env.local",
    ".ENV",  # case tricks: names are compared case-insensitively
    "config/.Env.Production",
    "deploy/prod.env",
    ".envrc",
    "id_rsa",
    "ID_RSA.pub",
    "keys/server.pem",
    "keys/Server.KEY",
    "certs/store.p12",
    ".aws/credentials",
    ".ssh/config",
    "creds/credentials.json",
    "Secrets.YAML",
    ".npmrc",
    ".netrc",
    ".pypirc",
]


@pytest.fixture(scope="module")
def setup(module_model: ModelServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("confine")
    secrets: dict[str, str] = {}

    def plant(path: Path, label: str) -> None:
        value = canary(label)
        secrets[value] = str(path)
        write(path, f"token = {value}\n")

    outside = root / "outside"
    plant(outside / "outside.txt", "outside")
    plant(outside / "dir" / "secret.txt", "outside-dir")
    plant(root / "proj-evil" / "app.py", "sibling")  # a sibling whose name extends ours
    workspace = make_project(root / "proj", {".gitignore": "ignored.log\nbuild/\n"})
    git_init(workspace)
    for name in SECRET_FILES:
        plant(workspace / name, name)
    plant(workspace / "ignored.log", "ignored")
    plant(workspace / "build" / "out.txt", "ignored-build")
    git_config = canary("git-config")
    secrets[git_config] = ".git/config"
    with (workspace / ".git" / "config").open("a") as fh:
        fh.write(f'[remote "origin"]\n\turl = https://user:{git_config}@example.com/r.git\n')
    visible = canary("visible")
    write(workspace / "notes" / "ok.txt", f"plain = {visible}\n")
    links = {
        "link_out.txt": outside / "outside.txt",
        "link_dir": outside / "dir",
        "link_env": workspace / ".env",  # an innocent name for a secret
        "link_proc": Path("/proc/self/environ"),  # the daemon's environment: the API key
        "notes/link_up": root,
    }
    for name, target in links.items():
        os.symlink(target, workspace / name)
    data = root / "data"
    data.mkdir()
    api_key = canary("api-key")
    secrets[api_key] = "the API key (ANTHROPIC_API_KEY)"
    daemon = Daemon.start(
        module_model.url, data, [workspace], api_key=api_key, init_options={"requestTimeout": 10}
    )
    daemon.wait_ready()
    yield Setup(daemon, module_model, workspace, outside, secrets, visible)
    daemon.stop_cleanly()


@pytest.fixture
def env(setup: Setup) -> Iterator[Setup]:
    setup.model.reset()
    yield setup
    assert setup.daemon.alive
    leaked = setup.leaked()
    for canary_value in leaked.values():
        for r in setup.model.requests:
            i = r.raw_body.find(canary_value)
            if i >= 0:
                print("LEAK", r.index, r.raw_body[max(0, i - 1500) : i + 100])
    assert leaked == {}, "secrets reached the model"


def run_tools(env: Setup, calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One chat turn in which the model makes ``calls``; the tool_result blocks it got back."""
    env.model.enqueue(
        Reply(tool_calls=[ScriptedToolCall(name, args) for name, args in calls]),
        Reply(text="done"),
    )
    session = env.daemon.request("victor/sessions/new", {})["sessionId"]
    result = env.daemon.request(
        "victor/chat", {"message": "look around", "sessionId": session}, timeout=60
    )
    assert result["content"] == "done"
    last = env.model.requests_to("/v1/messages")[-1].body["messages"][-1]
    blocks = [b for b in last["content"] if b.get("type") == "tool_result"]
    assert len(blocks) == len(calls)
    return blocks


ESCAPES = [
    "../outside/outside.txt",
    "notes/../../outside/outside.txt",
    "./././../outside/outside.txt",
    "notes//..//..//outside/outside.txt",
    "../proj-evil/app.py",
    "link_out.txt",
    "link_dir/secret.txt",
    "link_proc",
    "link_env",
    "notes/link_up/outside/outside.txt",
    "/proc/self/environ",
    "/etc/passwd",
    "~/.ssh/id_rsa",
    "..\\outside\\outside.txt",
    "%2e%2e/outside/outside.txt",
    ".git/config",
    ".GIT/config",
    "ignored.log",
    "build/out.txt",
    *SECRET_FILES,
]


def test_read_file_refuses_escapes_secrets_and_ignored_files(env: Setup) -> None:
    absolute = str(env.outside / "outside.txt")
    paths = [*ESCAPES, absolute]
    blocks = run_tools(env, [("read_file", {"path": p}) for p in paths])
    for path, block in zip(paths, blocks, strict=True):
        assert block["is_error"] is True, f"read_file {path!r} was allowed: {block['content']}"
    control = run_tools(env, [("read_file", {"path": "notes/ok.txt"})])
    assert control[0]["is_error"] is False and env.visible in control[0]["content"]


def test_list_and_search_stay_inside_and_skip_secrets(env: Setup) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list_directory", {"path": ".", "depth": 5}),
        ("list_directory", {"path": ".."}),
        ("list_directory", {"path": "link_dir"}),
        ("list_directory", {"path": "notes/link_up"}),
        ("list_directory", {"path": "/"}),
        ("list_directory", {"path": ".git"}),
        ("list_directory", {"path": ".aws"}),
        ("search_text", {"query": "CANARY"}),
        ("search_text", {"query": "token", "path": ".."}),
        ("search_text", {"query": "token", "path": "link_dir"}),
        ("search_text", {"query": "token", "path": ".env"}),
        ("search_text", {"query": "CANARY", "path": "notes"}),
        ("search_text", {"query": "url", "path": ".git"}),
    ]
    blocks = run_tools(env, calls)
    listing, *_ = (b["content"] for b in blocks)
    for name in [".env", "id_rsa", "ignored.log", "credentials", ".npmrc", "link_out.txt"]:
        assert name not in listing.split(), f"{name} listed:\n{listing}"
    assert "notes/" in listing and "app.py" in listing
    for (name, args), block in zip(calls[1:6], blocks[1:6], strict=True):
        assert block["is_error"] is True, f"{name} {args}: {block['content']}"
    assert "credentials" not in blocks[6]["content"]  # a secret folder shows nothing inside
    search_all = blocks[7]["content"]
    assert env.visible in search_all  # the control: search works, and finds only that
    assert search_all.count("CANARY") == 1, search_all
    for block in blocks[8:11]:
        assert block["is_error"] is True, block["content"]
    assert blocks[12]["is_error"] is True


def test_file_context_never_carries_secret_or_outside_files(env: Setup) -> None:
    daemon, ws = env.daemon, env.workspace
    env_uri = daemon.open(ws / ".env", (ws / ".env").read_text(), "dotenv")
    key_uri = daemon.open(ws / "id_rsa", (ws / "id_rsa").read_text(), "plaintext")
    app_uri = daemon.open(ws / "app.py", (ws / "app.py").read_text())
    try:
        for uri in (env_uri, key_uri, app_uri):
            prompt = daemon.request("victor/systemPrompt", {"textDocument": {"uri": uri}})
            assert "CANARY" not in prompt["prompt"]
            daemon.request("victor/chat", {"message": "explain", "textDocument": {"uri": uri}})
    finally:
        for uri in (env_uri, key_uri, app_uri):
            daemon.close_document(uri)
    # files outside the folder (directly or through a link) are not a request's document
    for path in (env.outside / "outside.txt", ws / "link_out.txt", ws / "link_dir" / "secret.txt"):
        with pytest.raises(RpcError) as info:
            daemon.request("victor/chat", {"message": "hi", "textDocument": {"uri": uri_of(path)}})
        assert info.value.code == -32602


def test_git_ignored_file_is_readable_only_while_the_user_has_it_open(env: Setup) -> None:
    daemon, ws = env.daemon, env.workspace
    opened = canary("ignored-open")
    uri = daemon.open(ws / "ignored.log", f"buffer = {opened}\n", "log")
    blocks = run_tools(env, [("read_file", {"path": "ignored.log"})])
    assert blocks[0]["is_error"] is False and opened in blocks[0]["content"]
    prompt = daemon.request("victor/systemPrompt", {"textDocument": {"uri": uri}})
    assert opened in prompt["prompt"]  # the user's own document is context
    daemon.close_document(uri)
    env.model.reset()
    blocks = run_tools(env, [("read_file", {"path": "ignored.log"})])
    assert blocks[0]["is_error"] is True
    assert opened not in env.bodies_text()
