"""Fixtures for the end-to-end tests: a real daemon process per test, a local model server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.lsp.daemon import Daemon, start_daemon, write
from tests.support.model_server import ModelServer

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here starts the real daemon: mark it ``e2e`` (``-m "not e2e"`` skips it)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


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

[tool.ruff]
line-length = 100

[tool.ruff.format]
quote-style = "single"
"""

StartDaemon = Callable[..., Awaitable[Daemon]]


def make_folder(root: Path, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in (files if files is not None else {"app.py": APP_PY}).items():
        write(root / name, text)
    return root.resolve()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A Python project: pyproject.toml ([tool.ruff] line-length 100, single quotes), app.py."""
    return make_folder(tmp_path / "proj", {"pyproject.toml": PYPROJECT, "app.py": APP_PY})


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "victor-data"
    path.mkdir()
    return path


@pytest.fixture
async def start(model_server: ModelServer, data_dir: Path) -> AsyncIterator[StartDaemon]:
    """``await start([folder, ...], init_options=..., configuration=...)`` -> a running
    Daemon; every daemon started is shut down (shutdown/exit, killed if stuck) afterwards."""
    started: list[Daemon] = []

    async def start_one(folders: list[Path], **kwargs: Any) -> Daemon:
        kwargs.setdefault("data_dir", data_dir)
        daemon = await start_daemon(model_server, folders, **kwargs)
        started.append(daemon)
        return daemon

    yield start_one
    for daemon in reversed(started):
        await daemon.stop()


@pytest.fixture
async def daemon(start: StartDaemon, workspace: Path) -> Daemon:
    """A daemon with one workspace folder (``workspace``)."""
    return await start([workspace])
