"""Anthropic prompt caching, simulated faithfully enough to bill a session honestly.

What the API documents (docs.anthropic.com, "Prompt caching"; the tables were checked against
it in Nov 2026) and what this simulation does:

- The prompt is cached in the order tools -> system -> messages, block by block. A
  ``cache_control`` breakpoint on a block writes the prefix ending with that block to the
  cache; a later request reads the longest cached prefix it starts with. The API checks for a
  hit at each breakpoint and at most 20 blocks before it ("the system looks back ~20
  blocks"); a cached prefix further back than that is not found.
- A prefix shorter than the model's minimum cacheable length is never cached (no error, the
  tokens are billed as plain input): 1024 tokens for most Sonnet and Opus models, 2048 for
  Sonnet 4.6 and the Haiku 3 models, 4096 for Opus 4.5/4.6 and Haiku 4.5.
- An entry lives 5 minutes after it was last written or read ("the cache is refreshed for no
  additional cost each time the cached content is used"); caches are per model.
- Usage: ``cache_read_input_tokens`` = the prefix read, ``cache_creation_input_tokens`` =
  from there to the last cacheable breakpoint, ``input_tokens`` = the rest (after it).

The clock is injectable (``PromptCache(clock=...)``, ``ModelServer.advance_clock``), so a test
or a benchmark can let the cache expire without sleeping. Token counts are the server's
deterministic estimate (``estimate_tokens``), not a real tokenizer.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

CACHE_LIFETIME_SECONDS = 300.0
LOOKBACK_BLOCKS = 20
DEFAULT_MIN_CACHEABLE = 1024
# model name prefix -> minimum cacheable prompt length in tokens; the longest prefix wins
MIN_CACHEABLE_TOKENS = {
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-haiku-4-5": 4096,
    "claude-sonnet-4-6": 2048,
    "claude-3-5-haiku": 2048,
    "claude-3-haiku": 2048,
    "claude-sonnet-4-5": 1024,
    "claude-sonnet-4": 1024,
    "claude-opus-4-1": 1024,
    "claude-opus-4": 1024,
    "claude-3-7-sonnet": 1024,
}


def min_cacheable_tokens(model: str) -> int:
    name = (model or "").lower()
    matches = [k for k in MIN_CACHEABLE_TOKENS if name.startswith(k)]
    return MIN_CACHEABLE_TOKENS[max(matches, key=len)] if matches else DEFAULT_MIN_CACHEABLE


def estimate_tokens(value: Any) -> int:
    """Deterministic stand-in for a tokenizer: a quarter of the JSON's characters, rounded up."""
    if not isinstance(value, str):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return -(-len(value) // 4)


def _strip_cache(block: Any) -> tuple[Any, bool]:
    if isinstance(block, dict) and "cache_control" in block:
        return {k: v for k, v in block.items() if k != "cache_control"}, True
    return block, False


def without_breakpoints(value: Any) -> Any:
    """``value`` (a request body or part of it) with every ``cache_control`` left out: what
    two requests must share for the cache, whatever their breakpoints."""
    if isinstance(value, dict):
        return {k: without_breakpoints(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [without_breakpoints(v) for v in value]
    return value


def prompt_segments(body: dict[str, Any]) -> list[tuple[Any, bool]]:
    """The prompt in Anthropic's cache order (tools, system, messages), one entry per block,
    each with whether it carries a cache breakpoint. cache_control itself is not content."""
    segments: list[tuple[Any, bool]] = []
    for tool in body.get("tools") or []:
        segments.append(_strip_cache(tool))
    system = body.get("system")
    if isinstance(system, str) and system:
        segments.append((system, False))
    elif isinstance(system, list):
        segments.extend(_strip_cache(b) for b in system)
    for msg in body.get("messages") or []:
        content = msg.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for block in blocks or []:
            stripped, marked = _strip_cache(block)
            segments.append(({"role": msg.get("role"), "block": stripped}, marked))
    return segments


def count_prompt_tokens(body: dict[str, Any]) -> int:
    return max(1, sum(estimate_tokens(s) for s, _ in prompt_segments(body)))


class PromptCache:
    """The cache of one organisation. Not thread-safe: the server holds its lock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._offset = 0.0
        self._entries: dict[tuple[str, str], float] = {}  # (model, prefix digest) -> expiry

    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass for the cache (a pause in the session), without sleeping."""
        self._offset += max(0.0, seconds)

    def clear(self) -> None:
        self._entries.clear()

    def usage(self, body: dict[str, Any]) -> dict[str, int]:
        model = str(body.get("model") or "")
        segments = prompt_segments(body)
        digests, ends = [], []  # per block: digest of the prefix ending there, its tokens
        h = hashlib.sha256()
        total = 0
        for seg, _ in segments:
            h.update(json.dumps(seg, sort_keys=True, ensure_ascii=False).encode())
            digests.append(h.copy().hexdigest())
            total += estimate_tokens(seg)
            ends.append(total)
        total = max(1, total)
        now = self.now()
        self._entries = {k: t for k, t in self._entries.items() if t > now}
        minimum = min_cacheable_tokens(model)
        marks = [i for i, (_, marked) in enumerate(segments) if marked and ends[i] >= minimum]
        read_end = -1  # index of the last block read from the cache
        for mark in marks:
            for i in range(mark, max(-1, mark - LOOKBACK_BLOCKS), -1):
                if (model, digests[i]) in self._entries:
                    read_end = max(read_end, i)
                    break
        read = ends[read_end] if read_end >= 0 else 0
        if read_end >= 0:
            self._entries[(model, digests[read_end])] = now + CACHE_LIFETIME_SECONDS
        write = 0
        if marks and marks[-1] > read_end:
            write = ends[marks[-1]] - read
        for mark in marks:
            self._entries[(model, digests[mark])] = now + CACHE_LIFETIME_SECONDS
        return {
            "input_tokens": max(0, total - read - write),
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": write,
        }
