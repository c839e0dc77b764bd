"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.model_server import ModelServer


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    """A started local model server (Anthropic + OpenAI wire formats) at ``model_server.url``.

    Function-scoped: each test gets a fresh queue, request log and prompt cache, and starting
    one costs about a millisecond. Script answers with ``model_server.enqueue(Reply(...))``;
    see tests/support/model_server.py for markers and control endpoints."""
    with ModelServer() as server:
        yield server
