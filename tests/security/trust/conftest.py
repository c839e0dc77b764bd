"""Fixtures for the attack tests: a victim's home, a canary API key, an attacker's server.

Each test starts the real daemon (stdio or TCP) with ``ANTHROPIC_API_KEY`` set to a canary
and ``HOME``/``XDG_CONFIG_HOME`` in a temporary home (so the user's real trust store is never
read), points it at the recording model server, and asserts the canary reaches nothing the
attacker can read: the attacker's server, files outside the workspace, the store, the log.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.lsp.daemon import Daemon, start_daemon
from tests.support.model_server import ModelServer

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@dataclass
class Victim:
    """The user under attack: their key, home, log file and Victor's data directory."""

    key: str
    home: Path
    log: Path
    data_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "ANTHROPIC_API_KEY": self.key,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "VICTOR_LOG_FILE": str(self.log),
            "VICTOR_LOG_LEVEL": "DEBUG",
            **extra,
        }

    def leaks(
        self, *, attacker: ModelServer | None = None, also: tuple[Path, ...] = ()
    ) -> list[str]:
        """Where the key shows up: attacker requests, the home, the data dir, the log."""
        found = []
        if attacker is not None:
            for rec in attacker.requests:
                if self.key in str(rec.headers) or self.key in rec.raw_body:
                    found.append(f"attacker request {rec.method} {rec.path}")
        for root in (self.home, self.data_dir, self.log, *also):
            files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
            for path in files:
                if self.key.encode() in path.read_bytes():
                    found.append(str(path))
        return found


@pytest.fixture
def victim(tmp_path: Path) -> Victim:
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".bashrc").write_text("# the victim's shell start-up\n")
    data_dir = tmp_path / "victor-data"
    data_dir.mkdir()
    return Victim(
        key=f"sk-ant-canary-{uuid.uuid4().hex}",
        home=home,
        log=tmp_path / "victor.log",
        data_dir=data_dir,
    )


@pytest.fixture
def attacker() -> Iterator[ModelServer]:
    """The attacker's server: any request reaching it is a leak."""
    with ModelServer() as server:
        yield server


StartDaemon = Callable[..., Awaitable[Daemon]]

#: a hang guard for requests, not a speed check (the first one waits for the agent to start,
#: slow on a loaded machine)
SLOW_OK = 90.0


@pytest.fixture
async def start(model_server: ModelServer, victim: Victim) -> AsyncIterator[StartDaemon]:
    """``await start([folder], init_options=..., env=...)``: the daemon as the victim runs it."""
    started: list[Daemon] = []

    async def start_one(folders: list[Path], env: dict[str, str] | None = None, **kw: Any):
        daemon = await start_daemon(
            model_server,
            folders,
            data_dir=victim.data_dir,
            env=victim.env(**(env or {})),
            **kw,
        )
        started.append(daemon)
        return daemon

    yield start_one
    for daemon in reversed(started):
        await daemon.stop()


def new_folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root.resolve()


def folder_uri(path: Path) -> str:
    return path.resolve().as_uri()
