"""Attack 8: secrets through a selection. ``victor/generate`` and the explain / refactor code
actions with a range inside ``.env``, a private key or a ``*.pem`` sent that text to the model
(chat leaves those files out). They are now refused with an error of kind ``secret`` before any
model request, whether the file is open in the editor or only on disk, or reached by a link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import make_project
from tests.reliability.harness import Daemon, RpcError, uri_of
from tests.security.reading.conftest import assert_nowhere, canary, leak_places
from tests.support.model_server import ModelServer

pytestmark = pytest.mark.timeout(120)

WHOLE = {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}}


def test_generate_and_code_actions_refuse_secret_files(
    tmp_path: Path, start: Any, model_server: ModelServer, data_dir: Path
) -> None:
    secrets = {
        ".env": canary("dotenv"),
        "deploy/id_rsa": canary("ssh-key"),
        "certs/server.pem": canary("pem"),
        "config/prod.tfvars": canary("tfvars"),
    }
    workspace = make_project(
        tmp_path / "proj",
        {name: f"SECRET={value}\nMORE={value}\n" for name, value in secrets.items()},
    )
    (workspace / "notes.txt").symlink_to(workspace / ".env")  # an innocent name for it
    daemon: Daemon = start([workspace])
    daemon.open(workspace / ".env", (workspace / ".env").read_text(), "dotenv")

    targets = [*secrets, "notes.txt"]
    refusals = []
    for name in targets:
        uri = uri_of(workspace / name) if name != "notes.txt" else (workspace / name).as_uri()
        calls = [
            ("victor/generate", {"textDocument": {"uri": uri}, "instruction": "x", "range": WHOLE}),
            *(
                (
                    "workspace/executeCommand",
                    {
                        "command": "victor.runAction",
                        "arguments": [{"action": action, "uri": uri, "range": WHOLE}],
                    },
                )
                for action in ("explain", "refactor")
            ),
        ]
        for method, params in calls:
            with pytest.raises(RpcError) as info:
                daemon.request(method, params)
            assert info.value.data == {"kind": "secret"}, (name, method, info.value.message)
            assert "never sent" in info.value.message
            refusals.append(info.value.message)

    assert model_server.requests == [], "a request reached the model"
    # chat with a secret file active sends its name at most, never its text
    daemon.request(
        "victor/chat", {"message": "hi", "textDocument": {"uri": uri_of(workspace / ".env")}}
    )
    daemon.stop_cleanly()
    assert len(model_server.requests) == 1
    assert_nowhere(secrets.values(), leak_places(daemon, model_server, data_dir))
    print("\n".join(refusals))
