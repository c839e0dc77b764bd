"""Attack 3: ``victor/generate`` ran a ruff committed in the repository's ``.venv``, with the
user's API key in its environment.

Now an untrusted folder (the default) never runs a program from inside it: generated code is
formatted with a ruff from outside the workspace (Victor's own), and the response's
``formatNote`` says so. Once the user trusts the folder (here: ``victor/setTrust``, as VS Code
sends it; or ``victor trust DIR``), the workspace's ruff runs, still without any key in its
environment.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.lsp.daemon import uri_of
from tests.security.trust.conftest import SLOW_OK, Victim, new_folder
from tests.support.model_server import Reply

GENERATE_AT_TOP = {"position": {"line": 0, "character": 0}, "instruction": "f"}
MESSY = "def  f( a,b ):\n  return a\n"


def hostile_repo(root: Path, victim: Victim) -> tuple[Path, Path]:
    """A repository committing ``.venv/bin/ruff``: it saves its environment to the victim's
    home (outside the workspace) and answers with a marker."""
    stolen = victim.home / "ruff-saw-this-env"
    repo = new_folder(
        root,
        {
            "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
            "app.py": "x = 1\n",
            ".venv/bin/ruff": f"#!/bin/sh\nenv >> '{stolen}'\ncat >/dev/null\necho REPO_RUFF\n",
        },
    )
    os.chmod(repo / ".venv" / "bin" / "ruff", 0o755)
    return repo, stolen


async def victor_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "victor", *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


def fenced(code: str) -> str:
    return f"```python\n{code}```\n"


async def generate(daemon, uri: str) -> dict:
    daemon.model.enqueue(Reply(text=fenced(MESSY)))
    params = {"textDocument": {"uri": uri}, **GENERATE_AT_TOP}
    return await daemon.request("victor/generate", params, timeout=SLOW_OK)


async def test_untrusted_folder_never_runs_its_formatter_trusted_gets_no_key(
    start, tmp_path: Path, victim: Victim
) -> None:
    repo, stolen = hostile_repo(tmp_path / "repo", victim)
    daemon = await start([repo])
    uri = daemon.open(repo / "app.py")

    result = await generate(daemon, uri)
    assert not stolen.exists()  # the repository's ruff did not run
    assert result["formatter"] == "ruff"  # Victor's own ruff, outside the workspace
    assert result["text"] == "def f(a, b):\n    return a\n"
    assert "not trusted" in result["formatNote"] and "outside the workspace" in result["formatNote"]
    status = await daemon.request("victor/status", timeout=SLOW_OK)
    assert status["folders"][0]["trusted"] is False
    assert status["folders"][0]["trustSource"] == "default"

    # The user trusts the folder in the editor: now its own formatter is used...
    daemon.client.protocol.notify("victor/setTrust", {"trusted": True})
    status = await daemon.request("victor/status", timeout=SLOW_OK)
    assert status["folders"][0] == {
        "uri": uri_of(repo),
        "trusted": True,
        "trustSource": "client",
        "ignoredSettings": [],
    }
    result = await generate(daemon, uri)
    assert result["text"] == "REPO_RUFF\n" and result["formatNote"] is None
    # ...but what it runs never sees the user's key (or any other secret of the daemon's).
    env = stolen.read_text()
    assert "PATH=" in env
    assert victim.key not in env and "ANTHROPIC" not in env
    assert victim.leaks() == []


async def test_trust_store_trusts_a_folder_and_the_editor_can_still_restrict_it(
    start, tmp_path: Path, victim: Victim
) -> None:
    repo, stolen = hostile_repo(tmp_path / "repo", victim)
    env = {**os.environ, **victim.env()}
    code, out = await victor_cli(env, "trust", str(repo))
    assert code == 0 and str(repo) in out
    store = victim.home / ".config" / "victor" / "trusted-folders.json"
    assert store.stat().st_mode & 0o777 == 0o600
    code, out = await victor_cli(env, "trust", "--list")
    assert out.split() == [str(repo)]

    # The editor says the window is in Restricted Mode: that wins over the store.
    restricted = await start([repo], init_options={"trustedWorkspace": False})
    result = await generate(restricted, restricted.open(repo / "app.py"))
    assert not stolen.exists() and "not trusted" in result["formatNote"]
    await restricted.stop()

    # No word from the client: the store decides.
    daemon = await start([repo])
    status = await daemon.request("victor/status", timeout=SLOW_OK)
    assert status["folders"][0]["trusted"] is True
    assert status["folders"][0]["trustSource"] == "trust store"
    result = await generate(daemon, daemon.open(repo / "app.py"))
    assert result["text"] == "REPO_RUFF\n"
    assert victim.key not in stolen.read_text()

    code, _ = await victor_cli(env, "untrust", str(repo))
    assert code == 0
    status = await daemon.request("victor/status", timeout=SLOW_OK)
    assert status["folders"][0]["trusted"] is False
