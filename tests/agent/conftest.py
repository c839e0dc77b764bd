from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.model_server import ModelServer


@pytest.fixture
def llm() -> Iterator[ModelServer]:
    """A local server speaking the Anthropic and OpenAI APIs, recording every request."""
    with ModelServer() as server:
        yield server


@pytest.fixture
def anthropic(llm: ModelServer):
    from victor.providers.anthropic import AnthropicProvider

    return AnthropicProvider(api_key="test-key", base_url=llm.url)
