"""Inline completions for one workspace folder: cache, one model request per document,
superseded requests aborted, context built off the event loop (plain Python, no LSP)."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from victor.agent.completions.context import BufferIndex, CompletionInput, build_prompt
from victor.agent.completions.postprocess import clean_completion
from victor.providers.completion import CompletionClient, CompletionPrompt

log = logging.getLogger(__name__)

CACHED_DOCUMENTS = 64
CACHED_PER_DOCUMENT = 8


EDGE_CHARS = 256


@dataclass(frozen=True, slots=True)
class _Shown:
    """A suggestion and the document around the cursor it was made for. The document is kept
    as lengths, hashes and the text next to the cursor, not copies of it: 64 documents of a
    megabyte each must not cost half a gigabyte."""

    prefix_len: int
    prefix_hash: int
    prefix_edge: str
    suffix_len: int
    suffix_hash: int
    suffix_edge: str
    text: str

    @classmethod
    def of(cls, prefix: str, suffix: str, text: str) -> _Shown:
        return cls(
            len(prefix),
            hash(prefix),
            prefix[-EDGE_CHARS:],
            len(suffix),
            hash(suffix),
            suffix[:EDGE_CHARS],
            text,
        )

    def typed_since(self, prefix: str, suffix: str) -> str | None:
        """What was typed after the suggestion was made, if the rest is unchanged."""
        if len(prefix) < self.prefix_len or len(suffix) != self.suffix_len:
            return None
        head = prefix[: self.prefix_len]
        if not head.endswith(self.prefix_edge) or not suffix.startswith(self.suffix_edge):
            return None
        if hash(head) != self.prefix_hash or hash(suffix) != self.suffix_hash:
            return None
        return prefix[self.prefix_len :]

    def still_around_cursor(self, text: str) -> bool:
        """Whether ``text`` still reads the same prefix and suffix next to the cursor (a
        same-length edit further away passes; any typing at the cursor does not)."""
        at = self.prefix_len
        return (
            len(text) == at + self.suffix_len
            and text[at - len(self.prefix_edge) : at] == self.prefix_edge
            and text[at : at + len(self.suffix_edge)] == self.suffix_edge
        )


@dataclass(slots=True)
class CompletionStats:
    model_requests: int = 0
    cache_hits: int = 0
    superseded: int = 0
    errors: int = 0
    last_error: str | None = None


class Superseded(Exception):
    """A newer request for the same document replaced this one."""


class InlineCompleter:
    """``await complete(doc_key, make_input)`` -> suggestions (possibly none).

    ``make_input`` builds the request's ``CompletionInput``; it runs in a worker thread (it
    may read style cards and scan other buffers). A request for a document that has one in
    flight cancels that one at once: its HTTP request is aborted, its caller gets
    ``Superseded``.
    """

    def __init__(self, client: CompletionClient, model: str, *, max_tokens: int = 256) -> None:
        self.client = client
        self.model = model
        self.max_tokens = max_tokens
        self.stats = CompletionStats()
        self._inflight: dict[str, tuple[asyncio.Task[list[str]], _Shown]] = {}
        self._shown: OrderedDict[str, list[_Shown]] = OrderedDict()
        self._index = BufferIndex()

    def cached(self, doc_key: str, prefix: str, suffix: str) -> list[str] | None:
        """What an earlier suggestion still offers after the user typed part of it."""
        for shown in reversed(self._shown.get(doc_key, ())):
            typed = shown.typed_since(prefix, suffix)
            if typed is not None and shown.text.startswith(typed) and len(typed) < len(shown.text):
                self._shown.move_to_end(doc_key)
                return [shown.text[len(typed) :]]
        return None

    async def complete(
        self,
        doc_key: str,
        prefix: str,
        suffix: str,
        make_input: Callable[[], CompletionInput],
    ) -> list[str]:
        """Suggestions for the cursor between ``prefix`` and ``suffix`` of the document."""
        previous = self._inflight.pop(doc_key, None)
        if previous is not None and not previous[0].done():
            previous[0].cancel()  # aborts its HTTP request now, not when it would have ended
            self.stats.superseded += 1
        hit = self.cached(doc_key, prefix, suffix)
        if hit is not None:
            self.stats.cache_hits += 1
            return hit
        task = asyncio.create_task(self._ask(doc_key, prefix, suffix, make_input))
        self._inflight[doc_key] = (task, _Shown.of(prefix, suffix, ""))
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the caller itself was cancelled ($/cancelRequest)
            raise Superseded(doc_key) from None
        finally:
            entry = self._inflight.get(doc_key)
            if entry is not None and entry[0] is task:
                del self._inflight[doc_key]

    def document_changed(self, doc_key: str, text: str) -> bool:
        """The document now reads ``text``: a request in flight for a cursor whose
        surroundings changed is aborted at once (its HTTP request closed), not when the next
        request arrives. True if one was."""
        entry = self._inflight.get(doc_key)
        if entry is None or entry[0].done() or entry[1].still_around_cursor(text):
            return False
        del self._inflight[doc_key]
        entry[0].cancel()
        self.stats.superseded += 1
        return True

    async def _ask(
        self, doc_key: str, prefix: str, suffix: str, make_input: Callable[[], CompletionInput]
    ) -> list[str]:
        def prepare() -> tuple[CompletionInput, CompletionPrompt]:
            inp = make_input()
            return inp, build_prompt(inp, max_tokens=self.max_tokens, index=self._index)

        inp, prompt = await asyncio.to_thread(prepare)
        self.stats.model_requests += 1
        try:
            raw = await self.client.complete(prompt, self.model)
        except Exception as exc:
            self.stats.errors += 1
            self.stats.last_error = str(exc)
            raise
        text = clean_completion(
            raw, prefix=prefix, suffix=suffix, style=inp.style, language=inp.language
        )
        if not text:
            return []
        self._remember(doc_key, _Shown.of(prefix, suffix, text))
        return [text]

    def _remember(self, doc_key: str, shown: _Shown) -> None:
        entries = self._shown.setdefault(doc_key, [])
        entries.append(shown)
        del entries[:-CACHED_PER_DOCUMENT]
        self._shown.move_to_end(doc_key)
        while len(self._shown) > CACHED_DOCUMENTS:
            self._shown.popitem(last=False)

    async def aclose(self) -> None:
        for task, _ in list(self._inflight.values()):
            task.cancel()
        self._inflight.clear()
        await self.client.aclose()
