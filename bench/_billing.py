"""Billing of recorded model requests for bench_cost.py: what each request cost at Anthropic's
rates, the lower bound, and how much of an OpenAI-compatible request prefixes the previous."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import _common  # noqa: F401 - puts the repository on sys.path (tests.support)

from tests.support.model_cache import estimate_tokens, prompt_segments
from victor.agent.cache_keeper import KEEP_WARM_NOTE

SUMMARY_MARK = "Summarize this conversation"  # how the summary strategy's system prompt starts


@dataclass
class Bill:
    uncached: int = 0
    written: int = 0
    read: int = 0

    @property
    def total(self) -> int:
        return self.uncached + self.written + self.read

    @property
    def cost(self) -> float:
        return self.uncached + 1.25 * self.written + 0.1 * self.read

    @property
    def read_share(self) -> float:
        return self.read / self.total if self.total else 0.0


def bill(session: Any) -> Bill:
    out = Bill()
    for rec in session.requests:
        usage = rec.get("usage") or {}
        out.uncached += usage.get("input_tokens", 0)
        out.written += usage.get("cache_creation_input_tokens", 0)
        out.read += usage.get("cache_read_input_tokens", 0)
    return out


def lower_bound(session: Any) -> Bill:
    """Each request's newest user message at full price, everything before it read; no
    keep-warm requests (a cache that never expires needs none)."""
    out = Bill()
    for rec in session.requests:
        if is_keep_warm(rec["body"]):
            continue
        segments = prompt_segments(rec["body"])
        tokens = [estimate_tokens(s) for s, _ in segments]
        last_assistant = max(
            (
                i
                for i, (s, _) in enumerate(segments)
                if isinstance(s, dict) and s.get("role") == "assistant"
            ),
            default=-1,
        )
        if _is_summary(rec["body"]):
            out.uncached += sum(tokens)  # a one-off request: nothing to read
            continue
        cut = last_assistant + 1 if last_assistant >= 0 else _first_message(segments)
        out.read += sum(tokens[:cut])
        out.uncached += sum(tokens[cut:])
    return out


def is_keep_warm(body: dict[str, Any]) -> bool:
    """A request the daemon sent to keep an idle session's cache warm (cache_keeper.py)."""
    messages = body.get("messages") or []
    return bool(messages) and KEEP_WARM_NOTE in json.dumps(messages[-1])


def _first_message(segments: list[tuple[Any, bool]]) -> int:
    return next(
        (i for i, (s, _) in enumerate(segments) if isinstance(s, dict) and "role" in s),
        len(segments),
    )


def _is_summary(body: dict[str, Any]) -> bool:
    messages = body.get("messages") or []
    system = body.get("system") or (messages[0].get("content") if messages else "")
    return SUMMARY_MARK in json.dumps(system)


def prefix_shares(session: Any) -> list[tuple[int, int]]:
    """Per request (after the first, outside compaction turns and summaries): the bytes of
    its raw body that are a byte-identical prefix of the previous chat request, and its size."""
    shares: list[tuple[int, int]] = []
    previous: bytes | None = None
    for rec in session.requests:
        if _is_summary(rec["body"]):
            continue
        raw = rec["raw_body"].encode()
        if previous is not None and rec["turn"] not in session.compacted_turns:
            shares.append((_common_prefix(previous, raw), len(raw)))
        previous = raw
    return shares


def _common_prefix(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    lo, hi = 0, n  # binary search on equal prefixes: fast on 100 kB bodies
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo
