"""A BM25 keyword index over the chunks, derived from Chroma and cached on disk.

Chroma is the one source of truth. The BM25 index covers the committed chunks (those
whose document record holds their version, `IndexStore.committed_chunk_ids()`): it is
rebuilt from Chroma whenever that set of ids changes, and its cache is stamped with a hash
of those ids. A process killed between a Chroma write and a BM25 save, or a second app
instance sharing a Chroma server, can never make keyword search disagree with the vector
store; and the chunks a killed writer left uncommitted never count in a reader's index
(their words would skew idf, and they would be proposed as candidates) before the next
writer's repair removes them. After a normal run, and after a repair, every chunk is
committed, so the writer's stamp and a reader's agree.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.errors import StoreError
from rag.text.tokenize import import_bm25s, tokenize, tokenize_one

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


# Bumped whenever rag.text.tokenize or the BM25 parameters change: a cache written with another
# version is rebuilt rather than scored with mismatched query tokens.
TOKENIZER_VERSION = "2"
_TOKENIZER_FILE = "tokenizer.json"
# Anserini's defaults for passage retrieval; bm25s' own are 1.5 / 0.75.
K1 = 0.9
B = 0.4
class Bm25Index:
    """Keyword scores for every chunk; `search` returns (chunk_id, score) best first."""

    def __init__(self, model, chunk_ids: list[str], stamp: str) -> None:
        self._model = model
        self.chunk_ids = chunk_ids
        self.stamp = stamp
        self._position = {chunk_id: i for i, chunk_id in enumerate(chunk_ids)}
        self._doc_of = np.array([doc_id_of(chunk_id) for chunk_id in chunk_ids], dtype=object)
        self._document_frequency = _document_frequencies(model) if chunk_ids else None

    @classmethod
    def build(cls, chunk_ids: Sequence[str], texts: Sequence[str]) -> Bm25Index:
        bm25s = import_bm25s()
        if len(chunk_ids) != len(texts):
            raise ValueError(f"{len(chunk_ids)} ids but {len(texts)} texts")
        model = bm25s.BM25(k1=K1, b=B)
        if chunk_ids:
            model.index(tokenize(texts), show_progress=False)
        return cls(model, list(chunk_ids), stamp_of(chunk_ids))

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for `query`, in `chunk_ids` order."""
        query_tokens = self._known(tokenize_one(query))
        if not self.chunk_ids or not query_tokens:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._model.get_scores(query_tokens), dtype=np.float32)

    def full_match_score(self, query: str) -> float:
        """What a chunk of average length holding every query word once would score:
        the sum of the query words' idf (words no chunk has count with the idf of df=0).

        Dividing by it turns BM25 into "how much of the question's information this chunk
        matches", comparable across queries, unlike dividing by the best score of the query,
        which gives a weak one-word match of a paraphrased question full marks.
        """
        tokens = tokenize_one(query)
        if not tokens or not self.chunk_ids:
            return 0.0
        n = len(self.chunk_ids)
        vocab = self._model.vocab_dict
        total = 0.0
        for token in tokens:
            position = vocab.get(token)
            df = 0
            if position is not None and self._document_frequency is not None and position < len(self._document_frequency):
                df = int(self._document_frequency[position])
            total += float(np.log1p((n - df + 0.5) / (df + 0.5)))
        return total

    def idf(self, term: str) -> float:
        """Inverse document frequency of a tokenized term over the chunks (0 if unseen).

        The answerers weigh question words with it: rare words say what is asked.
        """
        position = (getattr(self._model, "vocab_dict", None) or {}).get(term)
        if position is None or self._document_frequency is None or position >= len(self._document_frequency):
            return 0.0
        df = int(self._document_frequency[position])
        if df == 0:
            return 0.0
        return float(np.log1p((len(self.chunk_ids) - df + 0.5) / (df + 0.5)))

    def _known(self, tokens: list[str]) -> list[str]:
        vocab = getattr(self._model, "vocab_dict", None) or {}
        return [t for t in tokens if t in vocab]

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
        (generation / _TOKENIZER_FILE).write_text(json.dumps({"version": TOKENIZER_VERSION}), encoding="utf-8")
        pointer = cache_dir / f"{_CURRENT_FILE}.{os.getpid()}.tmp"
        pointer.write_text(generation.name, encoding="utf-8")
        os.replace(pointer, cache_dir / _CURRENT_FILE)
        _remove_other_generations(cache_dir, keep=generation.name)

    @classmethod
    def load(cls, cache_dir: Path) -> Bm25Index | None:
        """The cached index, or None when there is none or it cannot be read."""
        bm25s = import_bm25s()
        try:
            generation = cache_dir / (cache_dir / _CURRENT_FILE).read_text(encoding="utf-8").strip()
            chunk_ids = json.loads((generation / _IDS_FILE).read_text(encoding="utf-8"))
            tokenizer = json.loads((generation / _TOKENIZER_FILE).read_text(encoding="utf-8"))
            if tokenizer.get("version") != TOKENIZER_VERSION:
                raise ValueError(f"tokenizer version {tokenizer.get('version')!r}, not {TOKENIZER_VERSION!r}")
            model = bm25s.BM25.load(str(generation), show_progress=False) if chunk_ids else bm25s.BM25()
        except (OSError, ValueError) as exc:
            logger.info("No usable BM25 cache in %s (%s); it will be rebuilt", cache_dir, exc)
            return None
        return cls(model, chunk_ids, stamp_of(chunk_ids))


def _document_frequencies(model) -> np.ndarray:
    """Chunks containing each vocabulary word (bm25s keeps scores as a word-major CSC matrix)."""
    indptr = np.asarray(model.scores["indptr"])
    return np.diff(indptr)


def _remove_other_generations(cache_dir: Path, keep: str) -> None:
    for entry in cache_dir.iterdir():
        if entry.is_dir() and entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)


def _texts_of(store, wanted: set[str]) -> tuple[list[str], list[str]]:
    """(ids, texts) of the chunks in `wanted` that are still stored."""
    ids: list[str] = []
    texts: list[str] = []
    for chunk in store.iter_chunks():
        if chunk.chunk_id in wanted:
            ids.append(chunk.chunk_id)
            texts.append(chunk.text)
    return ids, texts


def synced_bm25(store, cache_dir: Path, save: bool = True) -> Bm25Index:
    """The BM25 index matching the committed chunks in `store` now: from cache, or rebuilt
    (and cached, with `save`). Readers pass `save=False`: they never write.

    With `save` (the writer's call, at the end of an ingest), changes are also announced to
    the other app instances sharing the index: `store.publish_changes()` bumps its generation
    marker when this store wrote anything, or when the chunks differ from the cached index
    (for instance after a killed run), so readers know to refresh.
    """
    chunk_ids = store.committed_chunk_ids()
    cached = Bm25Index.load(cache_dir)
    if cached is not None and cached.stamp == stamp_of(chunk_ids):
        if save and getattr(store, "changed", False):
            store.publish_changes()
        return cached
    index = Bm25Index.build(*_texts_of(store, set(chunk_ids)))
    if save:
        try:
            index.save(cache_dir)
        except OSError as exc:
            raise StoreError(
                f"Could not save the keyword index in {cache_dir}: {exc.strerror or exc}. The articles "
                "are indexed; free space or fix permissions and run again to rebuild it."
            ) from exc
        if hasattr(store, "publish_changes"):
            store.publish_changes()
    logger.info("Rebuilt the BM25 index over %d chunks", len(index))
    return index
