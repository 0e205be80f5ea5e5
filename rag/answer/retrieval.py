"""Hybrid retrieval: dense (Chroma, our embeddings) and BM25, fused, deduplicated, filtered.

Both searches propose candidates; every candidate then gets BOTH scores exactly (BM25
scores all chunks anyway; the dense search gives its candidates' cosines, the stored vectors
the others'), so fusion never has to guess a missing score the way rank-only fusion does.
Texts are read after the ranking, for only the candidates a search goes through.

Only committed chunks are ever returned: the ranked candidates are checked against the
document records as they are now, as far as the ranking is read (usually one read of the few
documents a search returns, their texts with them for the answerer: `IndexStore.document_texts`),
so chunks a killed writer left without a record, or of a version another record replaced, are
never served or cited, while documents another process committed since this retriever was
built are.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np

from rag.index.bm25 import Bm25Index, doc_id_of
from rag.index.embeddings import Embedder
from rag.errors import InvalidInputError
from rag.index.store import IndexStore, StoredChunk, is_committed
from rag.types import DocumentInfo, Filters, MetadataValue, Passage

logger = logging.getLogger(__name__)

MAX_K = 50
_SHINGLE_WORD = re.compile(r"\w+")


class Retriever(Protocol):
    def retrieve(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        """The `k` passages that best match `query`, best first."""
        ...


@dataclass(frozen=True)
class FusionConfig:
    """How dense and keyword scores combine.

    `convex` (the default): bm25_weight * bm25' + (1 - bm25_weight) * cosine, where bm25'
    is the BM25 score divided by what a passage matching every query word would score
    (`bm25_normalization="query"`, capped at 1), or by the best BM25 score among the
    query's candidates (`"max"`, kept for comparison: it gives a weak one-word match of a
    paraphrased question full marks). `rrf`: reciprocal rank fusion (Cormack et al., 2009),
    sum of weight / (rrf_k + rank), also kept for comparison in the benchmark.

    Defaults measured on the SQuAD 2.0 dev questions and on paraphrased questions about
    the seed articles (`python -m eval.bench retrieval`): equal weights, query normalisation.
    """

    method: str = "convex"
    bm25_weight: float = 0.5
    candidates: int = 40
    rrf_k: int = 60
    duplicate_similarity: float = 0.8
    bm25_normalization: str = "query"

    def __post_init__(self) -> None:
        if self.method not in ("convex", "rrf"):
            raise ValueError(f"unknown fusion method {self.method!r}: use 'convex' or 'rrf'")
        if not 0.0 <= self.bm25_weight <= 1.0:
            raise ValueError(f"bm25_weight must be within [0, 1], got {self.bm25_weight}")
        if self.candidates < 1:
            raise ValueError(f"candidates must be at least 1, got {self.candidates}")
        if self.bm25_normalization not in ("query", "max"):
            raise ValueError(
                f"unknown bm25_normalization {self.bm25_normalization!r}: use 'query' or 'max'"
            )


@dataclass(frozen=True)
class Scores:
    """A candidate chunk's scores, before its text is read (only the kept candidates' are)."""

    chunk_id: str
    cosine: float
    bm25: float
    dense_rank: int | None
    bm25_rank: int | None
    bm25_full_match: float = 0.0  # BM25 score of a passage holding every query word once


@dataclass(frozen=True)
class Candidate(Scores):
    """A candidate chunk with its scores, text and metadata."""

    text: str = field(kw_only=True)
    metadata: Mapping[str, MetadataValue] = field(kw_only=True)

    @classmethod
    def of(cls, scores: Scores, chunk: StoredChunk) -> Candidate:
        return cls(scores.chunk_id, scores.cosine, scores.bm25, scores.dense_rank, scores.bm25_rank,
                   scores.bm25_full_match, text=chunk.text, metadata=chunk.metadata)


S = TypeVar("S", bound=Scores)  # fusion reads only the scores: of candidates with their texts or not yet


class HybridRetriever:
    """Retrieves from one index; `refresh()` after the index changes."""

    def __init__(
        self,
        store: IndexStore,
        bm25: Bm25Index,
        embedder: Embedder,
        fusion: FusionConfig | None = None,
        *,
        documents: Callable[[], Sequence[DocumentInfo]],
    ) -> None:
        """`documents` gives the document listing filters are applied to: the `Assistant`'s,
        which it keeps up to date after each ingest (`IndexState.changes_since`), read only when
        a search has a filter."""
        self._store = store
        self._bm25 = bm25
        self._embedder = embedder
        self.fusion = fusion or FusionConfig()
        self._documents = documents

    def refresh(self, bm25: Bm25Index) -> None:
        self._bm25 = bm25

    def retrieve(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        if not 1 <= k <= MAX_K:
            raise InvalidInputError(f"k must be between 1 and {MAX_K}, got {k}")
        ranked = ranked_by_fused_score(self.scored(query, filters), self.fusion)
        kept = collapse_near_duplicates(self._readable(ranked, batch=2 * k), self.fusion.duplicate_similarity, limit=k)
        return [to_passage(candidate, score) for score, candidate in kept]

    def scored(self, query: str, filters: Filters | None = None) -> list[Scores]:
        """The union of dense and BM25 candidates, each with both scores, texts not read yet.
        They may include chunks no record commits (left by a killed writer): `retrieve` never
        returns those."""
        allowed = None if filters is None or filters.is_empty else allowed_doc_ids(self._documents(), filters)
        if allowed is not None and not allowed:
            return []
        query_vector = self._embedder.embed_query(query)
        where = {"doc_id": {"$in": sorted(allowed)}} if allowed is not None else None
        limit = self.fusion.candidates
        dense = self._store.nearest_chunks(query_vector, limit, where) if len(self._bm25) else []
        bm25_scores = self._bm25.scores(query)
        full_match = self._bm25.full_match_score(query)
        keyword = self._bm25.search(query, limit, allowed, scores=bm25_scores)
        dense_rank = {match.chunk_id: rank for rank, match in enumerate(dense)}
        bm25_rank = {match.chunk_id: rank for rank, match in enumerate(keyword)}
        # The dense candidates' cosines are the search's own (1 - cosine distance: within 6e-7 of
        # the dot product with their stored float32 vectors at 45,508 chunks); a BM25 candidate
        # the dense search did not find gets its cosine from its stored vector, read for those
        # only. Texts are read afterwards, only for the ~2k candidates a search goes through
        # (reading all ~70 texts with the vectors took 6.3 ms against 1.9 + 1.3 ms embedded,
        # 12.7 against 5.7 + 3.3 ms through a Chroma server, at 45,506 chunks).
        cosines = {match.chunk_id: match.similarity for match in dense}
        keyword_only = [chunk_id for chunk_id in bm25_rank if chunk_id not in cosines]
        cosines.update((chunk_id, float(np.dot(vector, query_vector)))
                       for chunk_id, vector in self._store.chunk_vectors(keyword_only).items())
        return [
            Scores(
                chunk_id=chunk_id,
                cosine=cosine,
                bm25=self._bm25.score_of(bm25_scores, chunk_id),
                dense_rank=dense_rank.get(chunk_id),
                bm25_rank=bm25_rank.get(chunk_id),
                bm25_full_match=full_match,
            )
            for chunk_id, cosine in cosines.items()
        ]

    def _readable(self, ranked: Sequence[tuple[float, Scores]], batch: int) -> Iterator[tuple[float, Candidate]]:
        """The ranked candidates whose document's record exists now and holds their version,
        in order, with their texts. Records and texts are read `batch` candidates at a time, only
        as far as the caller reads: a search usually reads those of just the passages it returns."""
        for lo in range(0, len(ranked), batch):
            part = ranked[lo : lo + batch]
            versions = self._store.committed_versions((doc_id_of(s.chunk_id) for _, s in part), with_texts=True)
            committed = [(score, s) for score, s in part if is_committed(s.chunk_id, versions)]
            chunks = self._store.read_chunks([s.chunk_id for _, s in committed])
            yield from ((score, Candidate.of(s, chunks[s.chunk_id])) for score, s in committed if s.chunk_id in chunks)


def ranked_by_fused_score(candidates: Sequence[S], fusion: FusionConfig) -> list[tuple[float, S]]:
    """Every (fused score, candidate) pair, best first; ties broken by chunk id."""
    return sorted(zip(fuse(candidates, fusion), candidates), key=lambda pair: (-pair[0], pair[1].chunk_id))


def rank_candidates(candidates: Sequence[Candidate], fusion: FusionConfig, k: int) -> list[tuple[float, Candidate]]:
    """The `k` best (fused score, candidate) pairs, best first, near-duplicates collapsed."""
    return collapse_near_duplicates(ranked_by_fused_score(candidates, fusion), fusion.duplicate_similarity, limit=k)


def fuse(candidates: Sequence[Scores], fusion: FusionConfig) -> list[float]:
    """One fused score per candidate, higher is better."""
    if not candidates:
        return []
    if fusion.method == "rrf":
        return [
            sum(
                weight / (fusion.rrf_k + rank + 1)
                for weight, rank in ((fusion.bm25_weight, c.bm25_rank), (1 - fusion.bm25_weight, c.dense_rank))
                if rank is not None
            )
            for c in candidates
        ]
    weight = fusion.bm25_weight
    if fusion.bm25_normalization == "max":
        best = max(c.bm25 for c in candidates)
        keyword = [c.bm25 / best if best > 0 else 0.0 for c in candidates]
    else:
        keyword = [
            min(1.0, c.bm25 / c.bm25_full_match) if c.bm25_full_match > 0 else 0.0 for c in candidates
        ]
    return [weight * kw + (1 - weight) * c.cosine for kw, c in zip(keyword, candidates)]


def collapse_near_duplicates(
    ranked: Iterable[tuple[float, Candidate]], threshold: float, limit: int | None = None
) -> list[tuple[float, Candidate]]:
    """Drop a passage whose words mostly repeat a better-ranked one from another article
    (the same wire story under two ids); stop once `limit` passages are kept, reading no
    further into `ranked`."""
    kept: list[tuple[float, Candidate, set[tuple[str, ...]]]] = []
    if limit is not None and limit < 1:
        return []
    for score, candidate in ranked:
        shingles = _shingles(candidate.text)
        if any(
            other.metadata.get("doc_id") != candidate.metadata.get("doc_id")
            and _jaccard(shingles, other_shingles) >= threshold
            for _, other, other_shingles in kept
        ):
            continue
        kept.append((score, candidate, shingles))
        if len(kept) == limit:
            break
    return [(score, candidate) for score, candidate, _ in kept]


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _SHINGLE_WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def allowed_doc_ids(documents: Sequence[DocumentInfo], filters: Filters | None) -> set[str] | None:
    """The doc_ids `filters` allow, or None when there is no filter at all."""
    if filters is None or filters.is_empty:
        return None
    titles = [t.lower() for t in filters.titles]
    allowed = set()
    for document in documents:
        published = document.published or ""
        if (
            (not filters.doc_ids or document.doc_id in filters.doc_ids)
            and (not filters.sources or document.source in filters.sources)
            and (not titles or any(t in document.title.lower() for t in titles))
            and (not filters.published_from or (published and published >= filters.published_from))
            and (not filters.published_to or (published and published <= filters.published_to))
        ):
            allowed.add(document.doc_id)
    return allowed


def to_passage(candidate: Candidate, score: float) -> Passage:
    metadata = candidate.metadata
    return Passage(
        chunk_id=candidate.chunk_id,
        doc_id=str(metadata["doc_id"]),
        title=str(metadata.get("title", metadata["doc_id"])),
        source=str(metadata.get("source", "")),
        text=candidate.text,
        start=int(metadata["start"]),
        end=int(metadata["end"]),
        score=round(float(score), 6),
        published=str(metadata["published"]) if "published" in metadata else None,
    )
