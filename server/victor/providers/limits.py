"""Per-model output limits, and capping ``maxTokens`` to them.

An API rejects a request whose ``max_tokens`` is above the model's output limit (400
"max_tokens: 100000 > 64000, ..."), so a large ``maxTokens`` setting would break every turn.
Known models are capped, with a warning in the log once per (model, value) and a note the
user sees in ``victor/status``; unknown models (local ones, new ones) are sent the setting
as is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Max output tokens, from https://docs.anthropic.com/en/docs/about-claude/models/overview
# ("Max output" row). The longest matching prefix wins, so dated ids match their family.
ANTHROPIC_MAX_OUTPUT = {
    "claude-opus-4-7": 128_000,
    "claude-opus-4-6": 128_000,
    "claude-opus-4-5": 64_000,
    "claude-opus-4-1": 32_000,
    "claude-opus-4": 32_000,
    "claude-sonnet-4": 64_000,
    "claude-haiku-4-5": 64_000,
    "claude-3-7-sonnet": 64_000,
    "claude-3-5-sonnet": 8_192,
    "claude-3-5-haiku": 8_192,
    "claude-3-opus": 4_096,
    "claude-3-haiku": 4_096,
}

# From https://platform.openai.com/docs/models (max output tokens of each model page).
OPENAI_MAX_OUTPUT = {
    "gpt-5": 128_000,
    "gpt-4.1": 32_768,
    "gpt-4o": 16_384,
    "gpt-4-turbo": 4_096,
    "gpt-3.5-turbo": 4_096,
    "o1": 100_000,
    "o1-mini": 65_536,
    "o3": 100_000,
    "o4-mini": 100_000,
}

# OpenAI reasoning models refuse ``max_tokens`` ("not compatible with o-series models",
# https://platform.openai.com/docs/api-reference/chat/create#chat-create-max_tokens) and take
# ``max_completion_tokens``; so do the gpt-5 family.
OPENAI_REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4")


def output_limit(table: dict[str, int], model: str) -> int | None:
    """The output limit of ``model`` in ``table``; ``None`` for a model the table lacks."""
    name = (model or "").lower()
    # a provider-prefixed name ("openai/gpt-4o", a router's) counts by its last part
    name = name.rsplit("/", 1)[-1]
    keys = [k for k in table if name.startswith(k)]
    return table[max(keys, key=len)] if keys else None


def is_openai_reasoning_model(model: str) -> bool:
    return (model or "").lower().rsplit("/", 1)[-1].startswith(OPENAI_REASONING_PREFIXES)


@dataclass(frozen=True, slots=True)
class TokenCap:
    """What a ``max_tokens`` request becomes for one model."""

    requested: int
    sent: int
    limit: int | None

    @property
    def capped(self) -> bool:
        return self.sent < self.requested

    def note(self, model: str) -> str:
        """One sentence for the user ("" when nothing was capped)."""
        if not self.capped:
            return ""
        return (
            f"maxTokens {self.requested} is above {model}'s output limit of {self.limit} "
            f"tokens; {self.sent} is sent."
        )


_TABLES = {"anthropic": ANTHROPIC_MAX_OUTPUT, "openai": OPENAI_MAX_OUTPUT}


def cap_for(provider: str, model: str, requested: int) -> TokenCap:
    """What ``requested`` becomes for ``model`` of ``provider`` ("anthropic", "openai" ...),
    without logging (for status reports)."""
    table = _TABLES.get(provider)
    limit = output_limit(table, model) if table else None
    return TokenCap(requested, requested if limit is None else min(requested, limit), limit)


class TokenCapper:
    """Caps per the table and warns once per (model, requested value)."""

    def __init__(self, table: dict[str, int], provider: str) -> None:
        self.table = table
        self.provider = provider
        self._warned: set[tuple[str, int]] = set()

    def cap(self, model: str, requested: int) -> TokenCap:
        limit = output_limit(self.table, model)
        result = TokenCap(requested, requested if limit is None else min(requested, limit), limit)
        if result.capped and (model, requested) not in self._warned:
            self._warned.add((model, requested))
            log.warning("%s: %s", self.provider, result.note(model))
        return result
