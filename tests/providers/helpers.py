"""Helpers for the provider tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

from victor.providers.base import StreamEvent

ANTHROPIC_KEY = "sk-ant-test-SECRET-0123456789"
OPENAI_KEY = "sk-openai-test-SECRET-9876543210"


async def collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in events]


def texts(events: list[StreamEvent]) -> list[str]:
    return [e.text for e in events if e.type == "text"]
