"""Providers wired to the local model server, with fast retries so tests stay quick."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.providers.helpers import ANTHROPIC_KEY, OPENAI_KEY
from tests.support.model_server import ModelServer
from victor.providers.anthropic import AnthropicProvider
from victor.providers.openai_compat import OpenAICompatProvider


@pytest.fixture
async def claude(model_server: ModelServer) -> AsyncIterator[AnthropicProvider]:
    provider = AnthropicProvider(
        api_key=ANTHROPIC_KEY, base_url=model_server.url, backoff_base=0.001
    )
    yield provider
    await provider.aclose()


@pytest.fixture
async def local(model_server: ModelServer) -> AsyncIterator[OpenAICompatProvider]:
    provider = OpenAICompatProvider(
        base_url=model_server.url + "/v1",
        api_key=OPENAI_KEY,
        default_model="qwen2.5-coder:7b",
        backoff_base=0.001,
    )
    yield provider
    await provider.aclose()
