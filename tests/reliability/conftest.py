"""Fixtures for the reliability tests: a real daemon (``python -m victor``) per test or per
module, a local model server, small workspaces. Sizes: ``VICTOR_RELIABILITY_FULL=1`` runs the
full size (see docs/reliability.md); the default is the CI size."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import FULL, Daemon, write
from tests.support.model_server import ModelServer

APP_PY = """\
def greet(name):
    return "Hello, " + name


def farewell(name):
    return "Bye, " + name
"""

PYPROJECT = """\
[project]
name = "proj"
version = "0.1.0"
"""

StartDaemon = Callable[..., Daemon]


def pytest_report_header(config: pytest.Config) -> str:
    return f"victor reliability size: {'FULL' if FULL else 'CI'} (VICTOR_RELIABILITY_FULL)"


def make_project(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    contents: dict[str, str | bytes] = {"pyproject.toml": PYPROJECT, "app.py": APP_PY}
    contents.update(files or {})
    for name, text in contents.items():
        if isinstance(text, bytes):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(text)
        else:
            write(root / name, text)
    return root.resolve()


def git_init(root: Path) -> None:
    """Make ``root`` a git work tree (so .gitignore applies), quietly."""
    subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "victor-data"
    path.mkdir()
    return path


@pytest.fixture
def start(model_server: ModelServer, data_dir: Path) -> Iterator[StartDaemon]:
    """``start([folder, ...], **kwargs)`` -> a running Daemon against ``model_server``; every
    daemon started is shut down (or killed) afterwards."""
    started: list[Daemon] = []

    def start_one(folders: list[Path], **kwargs: Any) -> Daemon:
        kwargs.setdefault("init_options", {"requestTimeout": 5})
        daemon = Daemon.start(model_server.url, kwargs.pop("data_dir", data_dir), folders, **kwargs)
        started.append(daemon)
        return daemon

    yield start_one
    for daemon in reversed(started):
        daemon.shutdown(timeout=5)


@pytest.fixture(scope="module")
def module_model() -> Iterator[ModelServer]:
    """One model server for a module whose tests share a daemon (reset it per test)."""
    with ModelServer() as server:
        yield server
