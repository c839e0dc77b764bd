"""Billing of recorded model requests for bench_cost.py: what each request cost at Anthropic's
rates, the lower bound, and how much of an OpenAI-compatible request prefixes the previous."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import _common  # noqa: F401 - puts the repository on sys.path (tests.support)

from tests.support.model_cache import estimate_tokens, prompt_segments
from victor.agent.cache_keeper import KEEP_WARM_NOTE
from victor.agent.coordinators.summary_compaction import (
    SUMMARY_REQUEST_START,
    SUMMARY_SYSTEM_PROMPT,
)


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


def ideal_cache(session: Any) -> Bill:
    """What the same requests would cost with a cache that never expires and never misses:
    each request reads the longest prefix it shares with any earlier request (as if every
    block were a breakpoint, no look-back limit, no minimum length) and writes the rest,
    which later requests may read; summary requests at full price; no keep-warm requests.
    Unlike the lower bound, answers and compacted contexts must be written once (1.25x) before
    they are read, as the API bills them: the gap to this shows what the layout loses to
    the cache itself (expiry, breakpoints), the gap from it to the bound what the API's
    prices and the compactions cost."""
    out = Bill()
    seen: set[str] = set()
    for rec in session.requests:
        if is_keep_warm(rec["body"]):
            continue
        segments = prompt_segments(rec["body"])
        tokens = [estimate_tokens(s) for s, _ in segments]
        if _is_summary(rec["body"]):
            out.uncached += sum(tokens)
            continue
        digest = hashlib.sha256()
        read_to = 0
        prefixes = []
        for i, (segment, _) in enumerate(segments):
            digest.update(json.dumps(segment, sort_keys=True, ensure_ascii=False).encode())
            prefixes.append(digest.hexdigest())
            if prefixes[-1] in seen:
                read_to = i + 1
        out.read += sum(tokens[:read_to])
        out.written += sum(tokens[read_to:])
        seen.update(prefixes)
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
    """A one-off summary request (a transcript under the summary's own system prompt). A
    summary that continues the conversation is billed like any other request of it."""
    messages = body.get("messages") or []
    system = body.get("system") or (messages[0].get("content") if messages else "")
    return SUMMARY_SYSTEM_PROMPT[:40] in json.dumps(system)


def _asks_for_summary(body: dict[str, Any]) -> bool:
    """A summary request that continues the conversation (its last message asks for it)."""
    messages = body.get("messages") or []
    return bool(messages) and SUMMARY_REQUEST_START in json.dumps(messages[-1])


def prefix_shares(session: Any, *, compaction_turns: bool = False) -> list[tuple[int, int]]:
    """Per chat request (after the first; outside compaction turns, or only in them with
    ``compaction_turns``; summary requests left out): the bytes of its raw body that are a
    byte-identical prefix of the previous chat request, and its size."""
    shares: list[tuple[int, int]] = []
    previous: bytes | None = None
    for rec in session.requests:
        if _is_summary(rec["body"]) or _asks_for_summary(rec["body"]):
            continue  # not a chat request (a summary's is not streamed, for one)
        raw = rec["raw_body"].encode()
        if previous is not None and (rec["turn"] in session.compacted_turns) == compaction_turns:
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
