"""Deterministic stand-ins for slow collaborators, for tests that isolate logic."""

from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

from rag.index.embeddings import PieceVectors

_WORD = re.compile(r"\w+|[^\w\s]")


class FakeEmbedder:
    """Bag-of-words vectors from hashed words: similar texts get similar vectors.

    Records every call so tests can assert what was (not) embedded.
    """

    def __init__(self, name: str = "fake-embedder", dimension: int = 64, max_tokens: int = 256) -> None:
        self.name = name
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.embedded: list[str] = []

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dimension), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_pieces(self, texts: Sequence[str]) -> list[PieceVectors]:
        self.embedded.extend(texts)
        result = []
        for text in texts:
            words = _WORD.findall(text.lower())
            tokens = np.stack([self._vector(w) for w in words]) if words else np.zeros((0, self.dimension))
            result.append(PieceVectors(self._vector(text), tuple(words), tokens.astype(np.float16)))
        return result

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(t)) for t in texts]

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
            vector[bucket % self.dimension] += 1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0:
            vector[0] = 1.0
            return vector
        return vector / norm


class FakeChatModel:
    """Replies from a queue (or echoes a fixed default) and records every call."""

    def __init__(self, *replies: str, name: str = "fake:chat") -> None:
        self.name = name
        self.replies = list(replies)
        self.calls: list[list] = []

    def complete(self, messages, *, temperature: float = 0.0) -> str:
        self.calls.append(list(messages))
        return self.replies.pop(0) if self.replies else "NOT_IN_SOURCES"

    def stream(self, messages, *, temperature: float = 0.0):
        reply = self.complete(messages, temperature=temperature)
        yield from re.findall(r"\s*\S+", reply)


def make_answer(text: str, *quotes: str, refused: bool = False):
    """An Answer whose citations [1], [2], ... quote `quotes` (for verifier and judge tests)."""
    import rag

    citations = tuple(
        rag.Citation.of_passage(n, rag.Passage(f"d::v::{n:05d}", "d", "t", "s", q, 0, len(q), 1.0))
        for n, q in enumerate(quotes, start=1)
    )
    return rag.Answer(
        question="q", standalone_question="q", text=text, refused=refused, citations=citations,
        passages=(), answerer="test",
    )
