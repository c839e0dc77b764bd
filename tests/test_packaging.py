"""What users install: the wheel works outside this repository, and one version number holds.

The wheel test builds the wheel and sdist as `make dist` does (`python -m build`, an isolated
build with setuptools from the index), installs the wheel into a fresh virtual environment
outside the repository and runs the three things a user of another editor runs: `victor
--version`, `victor chat` (no key: the preview provider) and `python -m victor` (a language server
answering `initialize` on stdio).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

import victor

ROOT = Path(__file__).resolve().parents[1]
VERSION = victor.__version__


def test_one_version_number_for_server_and_extension():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # The server's version comes from victor/__init__.py, nowhere else.
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "victor.__version__"}
    # The extension's packaging stamps that version (extension/scripts/package.sh); the
    # committed files carry it too, so that `npm run package` needs no stamping in the normal case.
    package = json.loads((ROOT / "extension" / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "extension" / "package-lock.json").read_text(encoding="utf-8"))
    assert package["version"] == VERSION
    assert lock["version"] == VERSION and lock["packages"][""]["version"] == VERSION
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[?{re.escape(VERSION)}\]?", changelog, re.MULTILINE), (
        f"CHANGELOG.md has no section for {VERSION}"
    )


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user without keys, outside this repository."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "OPENAI_", "VICTOR_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["VICTOR_DATA_DIR"] = str(tmp_path / "data")
    env["HOME"] = str(tmp_path / "home")
    return env


def _lsp_frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_lsp_frame(stream) -> dict:
    length = None
    while (line := stream.readline().strip()) != b"":
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    assert length is not None, "the server closed its output"
    return json.loads(stream.read(length))


def _request(proc: subprocess.Popen, message: dict) -> dict:
    """Sends a request and returns its response (skipping the server's notifications)."""
    proc.stdin.write(_lsp_frame(message))
    proc.stdin.flush()
    while "id" not in (frame := _read_lsp_frame(proc.stdout)) or "method" in frame:
        pass
    assert frame["id"] == message["id"], frame
    return frame


@pytest.mark.packaging
@pytest.mark.timeout(600)  # about a minute on a quiet machine; pip fetches the dependencies
def test_the_wheel_installs_in_a_fresh_venv_and_runs(tmp_path: Path):
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    # Packaging hygiene: a build that setuptools warns about will stop working one day.
    assert "Warning" not in built.stderr and "deprecated" not in built.stderr.lower(), built.stderr
    wheel = dist / f"victor_lsp-{VERSION}-py3-none-any.whl"
    sdist = dist / f"victor_lsp-{VERSION}.tar.gz"
    assert wheel.is_file() and sdist.is_file(), sorted(p.name for p in dist.iterdir())
    names = zipfile.ZipFile(wheel).namelist()
    assert "victor/__main__.py" in names and "victor/lsp/server.py" in names
    assert not any(n.startswith(("tests/", "extension/")) for n in names)
    metadata = zipfile.ZipFile(wheel).read(f"victor_lsp-{VERSION}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata
    with tarfile.open(sdist) as tar:
        members = tar.getnames()
    assert f"victor_lsp-{VERSION}/LICENSE" in members

    # A fresh venv outside the repository, without pip of its own (this venv's pip installs into
    # it: faster than ensurepip, and nothing of this repository is on its path).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = _clean_env(tmp_path)
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert installed.returncode == 0, installed.stderr[-3000:]

    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "app.py").write_text("def greet(name):\n    return f'Hello, {name}!'\n")

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(args, cwd=workspace, env=env, capture_output=True, timeout=120)

    # 1. `victor --version`: the server's version and the Python that runs it (the venv's).
    version = run(str(venv / "bin" / "victor"), "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.decode().strip() == (
        f"victor {VERSION} (Python {sys.version.split()[0]} at {python})"
    )

    # 2. `victor chat` with no key: the preview provider says so, nothing pretends to answer.
    chat = run(str(venv / "bin" / "victor"), "chat", "What does greet do?")
    assert chat.returncode == 0, chat.stderr.decode()
    out = chat.stdout.decode()
    assert "No model is configured" in out and "What does greet do?" in out
    assert "preview" in chat.stderr.decode()

    # 3. `python -m victor`: a language server on stdio, with the whole lifecycle.
    with subprocess.Popen(
        [str(python), "-m", "victor"],
        cwd=workspace,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as server:
        init = _request(
            server,
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        )
        assert init["result"]["serverInfo"] == {"name": "victor", "version": VERSION}
        server.stdin.write(_lsp_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        assert _request(server, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})["result"] is None
        server.stdin.write(_lsp_frame({"jsonrpc": "2.0", "method": "exit"}))
        server.stdin.close()
        assert server.wait(timeout=60) == 0, server.stderr.read().decode()[-3000:]
