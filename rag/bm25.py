"""A BM25 keyword index over the chunks, derived from Chroma and cached on disk.

Chroma is the one source of truth. The BM25 index is rebuilt from it whenever the set
of chunk ids changes, and its cache is stamped with a hash of those ids: a process
killed between a Chroma write and a BM25 save, or a second app instance sharing a
Chroma server, can never make keyword search disagree with the vector store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

logger = logging.getLogger(__name__)

_IDS_FILE = "chunk_ids.json"
_CURRENT_FILE = "CURRENT"


def doc_id_of(chunk_id: str) -> str:
    """The document a chunk id belongs to (ids are `{doc_id}::{version}::{index}`)."""
    return chunk_id.rsplit("::", 2)[0]


def stamp_of(chunk_ids: Sequence[str]) -> str:
    """A fingerprint of a set of chunk ids, independent of their order."""
    digest = hashlib.sha256()
    for chunk_id in sorted(chunk_ids):
        digest.update(chunk_id.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def _import_bm25s():
    import bm25s

    # bm25s forces its logger to DEBUG at import; hand the decision back to the application.
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stemmed words without English stop words (the same for chunks and queries)."""
    bm25s = _import_bm25s()
    return bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )


class Bm25Index:
    """Keyword scores for every chunk; `search` returns (chunk_id, score) best first."""

    def __init__(self, model, chunk_ids: list[str], stamp: str) -> None:
        self._model = model
        self.chunk_ids = chunk_ids
        self.stamp = stamp
        self._position = {chunk_id: i for i, chunk_id in enumerate(chunk_ids)}
        self._doc_of = np.array([doc_id_of(chunk_id) for chunk_id in chunk_ids], dtype=object)

    @classmethod
    def build(cls, chunk_ids: Sequence[str], texts: Sequence[str]) -> "Bm25Index":
        bm25s = _import_bm25s()
        if len(chunk_ids) != len(texts):
            raise ValueError(f"{len(chunk_ids)} ids but {len(texts)} texts")
        model = bm25s.BM25()
        if chunk_ids:
            model.index(tokenize(texts), show_progress=False)
        return cls(model, list(chunk_ids), stamp_of(chunk_ids))

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for `query`, in `chunk_ids` order."""
        query_tokens = tokenize([query])[0]
        if not self.chunk_ids or not query_tokens:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._model.get_scores(query_tokens), dtype=np.float32)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a tokenized term over the chunks (0 if unseen)."""
        vocabulary = getattr(self._model, "vocab_dict", None) or {}
        term_id = vocabulary.get(term)
        if term_id is None or not self.chunk_ids:
            return 0.0
        indptr = self._model.scores["indptr"]
        frequency = int(indptr[term_id + 1] - indptr[term_id])
        return float(np.log(1 + (len(self.chunk_ids) - frequency + 0.5) / (frequency + 0.5)))

    def score_of(self, scores: np.ndarray, chunk_id: str) -> float:
        position = self._position.get(chunk_id)
        return float(scores[position]) if position is not None else 0.0

    def search(
        self, query: str, k: int, allowed_docs: set[str] | None = None, scores: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """The `k` best-scoring chunks with a positive score, in `allowed_docs` if given."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        scores = self.scores(query) if scores is None else scores
        if allowed_docs is not None and len(scores):
            scores = np.where(np.isin(self._doc_of, list(allowed_docs)), scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def save(self, cache_dir: Path) -> None:
        """Write a new generation, then switch the CURRENT pointer to it atomically."""
        cache_dir.mkdir(parents=True, exist_ok=True)
        generation = Path(tempfile.mkdtemp(prefix=f"{self.stamp}-", dir=cache_dir))
        if self.chunk_ids:
            self._model.save(str(generation), show_progress=False)
        (generation / _IDS_FILE).write_text(json.dumps(self.chunk_ids), encoding="utf-8")
        pointer = cache_dir / f"{_CURRENT_FILE}.{os.getpid()}.tmp"
        pointer.write_text(generation.name, encoding="utf-8")
        os.replace(pointer, cache_dir / _CURRENT_FILE)
        _remove_other_generations(cache_dir, keep=generation.name)

    @classmethod
    def load(cls, cache_dir: Path) -> "Bm25Index | None":
        """The cached index, or None when there is none or it cannot be read."""
        bm25s = _import_bm25s()
        try:
            generation = cache_dir / (cache_dir / _CURRENT_FILE).read_text(encoding="utf-8").strip()
            chunk_ids = json.loads((generation / _IDS_FILE).read_text(encoding="utf-8"))
            model = bm25s.BM25.load(str(generation), show_progress=False) if chunk_ids else bm25s.BM25()
        except (OSError, ValueError) as exc:
            logger.info("No usable BM25 cache in %s (%s); it will be rebuilt", cache_dir, exc)
            return None
        return cls(model, chunk_ids, stamp_of(chunk_ids))


def _remove_other_generations(cache_dir: Path, keep: str) -> None:
    for entry in cache_dir.iterdir():
        if entry.is_dir() and entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)


def synced_bm25(store, cache_dir: Path, save: bool = True) -> Bm25Index:
    """The BM25 index matching the chunks in `store` now: from cache, or rebuilt and cached."""
    chunk_ids = store.chunk_ids()
    cached = Bm25Index.load(cache_dir)
    if cached is not None and cached.stamp == stamp_of(chunk_ids):
        return cached
    ids: list[str] = []
    texts: list[str] = []
    for chunk_id, text, _ in store.iter_chunks():
        ids.append(chunk_id)
        texts.append(text)
    index = Bm25Index.build(ids, texts)
    if save:
        index.save(cache_dir)
    logger.info("Rebuilt the BM25 index over %d chunks", len(index))
    return index
