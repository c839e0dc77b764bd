"""Token estimates that are cheap enough to run on every turn.

Provider token-count endpoints cost a round trip, so the context coordinator estimates and
calibrates: after each answer the provider reports the real input token count, and the ratio
between it and the estimate for the same request nudges a correction factor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from victor.protocols import EDITOR_CONTEXT, Message, ToolSpec

# About 3.6 characters per token for English and code with common BPE vocabularies;
# the calibration factor corrects this per provider.
_CHARS_PER_TOKEN = 3.6
_PER_MESSAGE_OVERHEAD = 4
_CACHE_KEY = "_tokens"


def estimate_text(text: str) -> int:
    return int(len(text) / _CHARS_PER_TOKEN) + 1 if text else 0


class TokenCounter:
    def __init__(self) -> None:
        self.factor = 1.0

    @staticmethod
    def raw(message: Message) -> int:
        """Uncalibrated estimate of one message with its editor context, cached on it (its
        content never changes; compaction may drop the editor context)."""
        editor = message.metadata.get(EDITOR_CONTEXT) or ""
        size = len(message.content) + len(editor) * 1_000_003  # changes when either does
        cached = message.metadata.get(_CACHE_KEY)
        if isinstance(cached, list) and len(cached) == 2 and cached[1] == size:
            return int(cached[0])
        raw = estimate_text(message.content) + _PER_MESSAGE_OVERHEAD
        if editor:
            raw += estimate_text(editor) + 2
        for call in message.tool_calls:
            raw += estimate_text(call.name) + estimate_text(json.dumps(call.arguments)) + 8
        message.metadata[_CACHE_KEY] = [raw, size]
        return raw

    def message(self, message: Message) -> int:
        return self.messages((message,))

    def from_raw(self, raw_total: int, count: int) -> int:
        """Calibrated tokens of ``count`` messages whose raw estimates add up to ``raw_total``.

        Summing raw figures first lets callers keep running totals (see ContextCoordinator)
        and still agree exactly with ``messages()``."""
        return int(raw_total * self.factor) + count

    def messages(self, messages: Iterable[Message]) -> int:
        total = count = 0
        for message in messages:
            total += self.raw(message)
            count += 1
        return self.from_raw(total, count)

    def text(self, text: str) -> int:
        return int(estimate_text(text) * self.factor)

    def tools(self, tools: Iterable[ToolSpec]) -> int:
        return sum(
            self.text(t.name + t.description + json.dumps(t.input_schema)) + 10 for t in tools
        )

    def calibrate(self, estimated: int, actual: int) -> None:
        """Move the factor toward ``actual / estimated`` (bounded, smoothed)."""
        if estimated <= 50 or actual <= 0:
            return
        observed = max(0.3, min(3.0, actual / (estimated / self.factor)))
        self.factor = 0.7 * self.factor + 0.3 * observed
