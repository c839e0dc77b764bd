"""Shared by the security tests: canary secrets, and every place an attacker could read them.

A test plants canaries (fake keys in files outside the workspace, in secret files, in the API
key itself), drives the real daemon over stdio against the recording model server, and then
asserts no canary is in any model request (body, path, headers), the daemon's logs (stderr),
its messages to the client, or the session store.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from pathlib import Path

from tests.reliability.harness import Daemon
from tests.support.model_server import ModelServer


def canary(label: str) -> str:
    """A unique string that can only come from the place it was planted."""
    return f"CANARY-{label}-{uuid.uuid4().hex}"


def leak_places(
    daemon: Daemon, model: ModelServer, store_dir: Path | None = None
) -> dict[str, bytes]:
    places: dict[str, bytes] = {
        "daemon stderr (logs)": bytes(daemon.stderr_bytes),
        "messages to the client": bytes(daemon.stdout_bytes),
    }
    for r in model.requests:
        # the API key belongs in the auth header (and nowhere else)
        headers = {k: v for k, v in r.headers.items() if k not in ("x-api-key", "authorization")}
        places[f"model request {r.index} ({r.path})"] = json.dumps(
            [r.path, r.query, r.raw_body, headers]
        ).encode()
    if store_dir is not None:
        for path in sorted(store_dir.rglob("*")):  # the session database with its -wal and -shm
            if path.is_file():
                places[f"data dir: {path.name}"] = path.read_bytes()
    return places


def assert_nowhere(secrets: Iterable[str], places: dict[str, bytes]) -> None:
    for secret in secrets:
        for where, content in places.items():
            assert secret.encode() not in content, f"{secret} leaked into {where}"


# The reliability tests' fixtures: ``start([folder], ...)`` -> a real daemon, shut down after.
from tests.reliability.conftest import data_dir, start  # noqa: E402, F401
