"""Strategies that pick which tool specs a model request carries.

Every strategy returns up to ``limit`` tools, best first. Tools that do not match the query at
all still fill the remaining places (in their registered order): with few tools it is better to
offer one too many than to hide the one the model needed. Ties keep the registered order, so
results are deterministic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from victor.errors import InvalidArgumentError
from victor.protocols import IEmbeddingService, IToolSelectionStrategy, ToolSpec
from victor.tools.embedding import LexicalEmbedder, cosine
from victor.tools.text import words

log = logging.getLogger(__name__)

STRATEGIES = ("keyword", "semantic", "hybrid", "all")

# A query word found in the tool's name says more than one found in its description.
_NAME_WEIGHT = 1.0
_DESCRIPTION_WEIGHT = 0.5


def _rank(tools: Sequence[ToolSpec], scores: list[float], limit: int) -> list[ToolSpec]:
    if limit <= 0:
        return []
    order = sorted(range(len(tools)), key=lambda i: (-scores[i], i))
    return [tools[i] for i in order[:limit]]


def keyword_scores(query: str, tools: Sequence[ToolSpec]) -> list[float]:
    """Per tool, the weighted share of distinct query words it contains, in [0, 1]."""
    query_words = set(words(query))
    if not query_words:
        return [0.0] * len(tools)
    scores = []
    for spec in tools:
        name_words = set(words(spec.name, drop_stopwords=False))
        description_words = set(words(spec.description))
        hit = 0.0
        for word in query_words:
            if word in name_words:
                hit += _NAME_WEIGHT
            elif word in description_words:
                hit += _DESCRIPTION_WEIGHT
        scores.append(hit / (_NAME_WEIGHT * len(query_words)))
    return scores


class AllToolSelection(IToolSelectionStrategy):
    """Every tool, in registered order, up to the limit."""

    def select(self, query: str, tools: Sequence[ToolSpec], limit: int) -> list[ToolSpec]:
        return list(tools[: max(limit, 0)])


class KeywordToolSelection(IToolSelectionStrategy):
    """Word overlap between the query and each tool's name and description."""

    def select(self, query: str, tools: Sequence[ToolSpec], limit: int) -> list[ToolSpec]:
        return _rank(tools, keyword_scores(query, tools), limit)


class SemanticToolSelection(IToolSelectionStrategy):
    """Cosine similarity between embeddings of the query and of each tool's text."""

    def __init__(self, embedder: IEmbeddingService | None = None) -> None:
        self.embedder = embedder or LexicalEmbedder()
        # Tool texts rarely change; embedding them once matters for remote embedders.
        self._cache: dict[tuple[str, str], Sequence[float]] = {}

    def scores(self, query: str, tools: Sequence[ToolSpec]) -> list[float] | None:
        """Similarities in [-1, 1]; None when the embedder failed (callers fall back)."""
        try:
            q = self.embedder.embed(query)
            return [cosine(q, self._tool_vector(spec)) for spec in tools]
        except Exception:  # a broken embedder must not break the chat turn
            log.warning("embedding failed; falling back to keyword selection", exc_info=True)
            return None

    def select(self, query: str, tools: Sequence[ToolSpec], limit: int) -> list[ToolSpec]:
        scores = self.scores(query, tools)
        if scores is None:
            scores = keyword_scores(query, tools)
        return _rank(tools, scores, limit)

    def _tool_vector(self, spec: ToolSpec) -> Sequence[float]:
        key = (spec.name, spec.description)
        if key not in self._cache:
            # Name and description weigh the same, whatever the description's length: embedding
            # them together let long descriptions drown the name, the densest signal there is.
            name = self.embedder.embed(spec.name.replace("_", " "))
            description = self.embedder.embed(spec.description)
            self._cache[key] = [a + b for a, b in zip(name, description, strict=False)]
        return self._cache[key]


class HybridToolSelection(IToolSelectionStrategy):
    """``alpha * semantic + (1 - alpha) * keyword``: alpha=1 is purely semantic, 0 keyword."""

    def __init__(self, embedder: IEmbeddingService | None = None, alpha: float = 0.7) -> None:
        if not 0.0 <= alpha <= 1.0:
            raise InvalidArgumentError(f"alpha must be between 0 and 1, got {alpha}")
        self.alpha = alpha
        self.semantic = SemanticToolSelection(embedder)

    def select(self, query: str, tools: Sequence[ToolSpec], limit: int) -> list[ToolSpec]:
        keyword = keyword_scores(query, tools)
        semantic = self.semantic.scores(query, tools)
        if semantic is None:
            return _rank(tools, keyword, limit)
        a = self.alpha
        combined = [a * s + (1.0 - a) * k for s, k in zip(semantic, keyword, strict=True)]
        return _rank(tools, combined, limit)


_FACTORIES: dict[str, Callable[[float, IEmbeddingService | None], IToolSelectionStrategy]] = {
    "keyword": lambda alpha, embedder: KeywordToolSelection(),
    "semantic": lambda alpha, embedder: SemanticToolSelection(embedder),
    "hybrid": lambda alpha, embedder: HybridToolSelection(embedder, alpha),
    "all": lambda alpha, embedder: AllToolSelection(),
}


def make_tool_selection(
    strategy: str, alpha: float = 0.7, embedder: IEmbeddingService | None = None
) -> IToolSelectionStrategy:
    """The strategy named by settings; semantic ones use a LexicalEmbedder if none is given."""
    key = strategy.strip().lower() if isinstance(strategy, str) else ""
    factory = _FACTORIES.get(key)
    if factory is None:
        raise InvalidArgumentError(
            f"unknown tool selection strategy {strategy!r}; use one of: {', '.join(STRATEGIES)}"
        )
    return factory(alpha, embedder)
