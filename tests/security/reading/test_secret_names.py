"""Attack 9: credential files under names the secret policy did not know (kubeconfig,
.git-credentials, .docker/config.json, terraform state and variables, ...) were readable and
searchable by the model's tools, and a git-ignored secret open in a background tab went to the
model with the editor context. None of them may reach the model, the logs or the store now."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import git_init, make_project
from tests.reliability.harness import Daemon, uri_of
from tests.security.reading.conftest import assert_nowhere, canary, leak_places
from tests.support.model_script import ScriptedToolCall
from tests.support.model_server import ModelServer, Reply

pytestmark = pytest.mark.timeout(120)

CREDENTIAL_FILES = (
    "kubeconfig",
    ".git-credentials",
    ".docker/config.json",
    "infra/terraform.tfstate",
    "infra/prod.tfvars",
    ".vault-token",
    ".config/gh/hosts.yml",
    "gcloud/application_default_credentials.json",
    "web/.htpasswd",
    ".s3cfg",
    ".my.cnf",
    "deploy/service-account-key.json",
    ".bash_history",
    "ftp/sftp-config.json",
    "keys/putty.ppk",
)


def test_credential_files_never_reach_the_model(
    tmp_path: Path, start: Any, model_server: ModelServer, data_dir: Path
) -> None:
    planted = {name: canary(name.replace("/", "_")) for name in CREDENTIAL_FILES}
    ignored_secret = canary("local-settings")
    workspace = make_project(
        tmp_path / "proj",
        {
            **{name: f"token = {value}\n" for name, value in planted.items()},
            "local-settings.yaml": f"db_password: {ignored_secret}\n",
            ".gitignore": "local-settings.yaml\n",
        },
    )
    git_init(workspace)
    subprocess.run(["git", "-C", str(workspace), "add", "-A"], check=True, capture_output=True)
    daemon: Daemon = start([workspace])
    # the user has the ignored file open in a background tab, and chats about app.py
    daemon.open(workspace / "local-settings.yaml", f"db_password: {ignored_secret}\n", "yaml")
    app = uri_of(workspace / "app.py")
    daemon.open(workspace / "app.py", (workspace / "app.py").read_text())

    reads = [ScriptedToolCall("read_file", {"path": name}) for name in CREDENTIAL_FILES]
    model_server.enqueue(
        Reply(
            tool_calls=[
                *reads,
                ScriptedToolCall("search_text", {"query": "CANARY"}),
                ScriptedToolCall("search_text", {"query": "token", "path": "infra"}),
                ScriptedToolCall("list_directory", {"path": ".", "depth": 3}),
            ]
        ),
        Reply(text="looked"),
    )
    result = daemon.request("victor/chat", {"message": "look around", "textDocument": {"uri": app}})
    assert result["content"] == "looked"
    prompt = daemon.request("victor/systemPrompt", {"textDocument": {"uri": app}})["prompt"]
    daemon.stop_cleanly()

    bodies = [r.body for r in model_server.requests_to("/v1/messages")]
    assert len(bodies) == 2
    results = [b for b in bodies[1]["messages"][-1]["content"] if b.get("type") == "tool_result"]
    assert len(results) == len(reads) + 3
    for block in results[: len(reads)]:
        assert block["is_error"] is True, block
    assert "local-settings.yaml (git-ignored)" in prompt
    secrets = [*planted.values(), ignored_secret]
    for secret in secrets:
        assert secret not in prompt
    assert_nowhere(secrets, leak_places(daemon, model_server, data_dir))
