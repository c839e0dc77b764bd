"""A dependency-free text embedder for tool selection and semantic compaction."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

from victor.errors import InvalidArgumentError
from victor.protocols import IEmbeddingService
from victor.tools.text import words


class LexicalEmbedder(IEmbeddingService):
    """Hashed bag of words and character trigrams, L2-normalised.

    This is a *lexical* embedding, not a neural one: texts are similar when they share
    (stemmed) words or spellings, not when they mean the same thing in different words
    ("delete" and "remove" are unrelated to it). It is deterministic across processes and
    platforms (CRC32, not Python's salted ``hash``), needs no model download, and is good enough
    to rank a handful of tool descriptions or conversation messages against a query.

    The empty text (or text without words) maps to the zero vector, whose cosine similarity
    with anything is taken to be 0.
    """

    def __init__(self, dimensions: int = 512, trigram_weight: float = 0.3) -> None:
        if dimensions < 8:
            raise InvalidArgumentError("dimensions must be at least 8")
        self.dimensions = dimensions
        # Whole words carry the meaning; trigrams only catch near-misses ("config"/"configure").
        self.trigram_weight = trigram_weight

    def embed(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        for word in words(text):
            self._add(vector, "w:" + word, 1.0)
            padded = f"<{word}>"
            for i in range(len(padded) - 2):
                self._add(vector, "c:" + padded[i : i + 3], self.trigram_weight)
        norm = math.sqrt(sum(v * v for v in vector))
        if norm == 0.0:
            return vector
        return [v / norm for v in vector]

    def _add(self, vector: list[float], feature: str, weight: float) -> None:
        digest = zlib.crc32(feature.encode("utf-8", "surrogatepass"))
        vector[digest % self.dimensions] += weight


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity; 0.0 when either vector is zero or their lengths differ."""
    if len(a) != len(b):
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
