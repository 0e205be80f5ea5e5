"""A BM25 keyword index over the chunks, derived from Chroma, kept in segments and cached on disk.

Chroma is the one source of truth. The BM25 index covers the committed chunks (those
whose document record holds their version, `IndexStore.committed_chunk_ids()`), and its
cache is stamped with a hash of those ids. Whenever that set changes, `_synced` brings
the index in line *incrementally*: the chunks that left are marked deleted, the ones that
arrived (their texts read from Chroma, nothing else) form a new segment, and segments are
merged now and then (tiered, like a log-structured index) so there are never many. Adding
one article to a 40,000-chunk index therefore tokenizes that article only. A process killed
between a Chroma write and a BM25 save, or a second app instance sharing a Chroma server, can
never make keyword search disagree with the vector store; and the chunks a killed writer left
uncommitted never count in a reader's index before the next writer's repair removes them.

Finding which chunks arrived means listing every committed chunk id (about a second at
45,000 chunks), so the cache also records the store generation it matches (`IndexStore.
generation()`, see `rag.index.store`). When the index is clean and still at that generation,
nothing was written since the cache was saved: a reader loads it as it is
(`bm25_for_reader`), and a writer brings it up to date from the documents it touched itself
(`bm25_after_writing`). A reader that already holds an index reads again only the documents
the last writer recorded as changed (`IndexState.changes_since`), without loading anything.
Anything else (a killed writer, two writes since, a cache from before this record) falls
back to the full comparison.

Segments are folders of .npy arrays, memory-mapped when loaded: loading the cache of 45,000
chunks takes ~50 ms, not ~200 ms, and a search reads only the pages of its query words.

Scores are Lucene's BM25 (as bm25s' default "lucene" method computes them, which the tests
check score for score): idf = ln(1 + (N - df + 0.5) / (df + 0.5)) and
tf / (tf + k1 (1 - b + b |d| / avgdl)), with N, df and avgdl over the live chunks of every
segment at query time. bm25s itself is not used for the index because it bakes idf and the
length norm into one precomputed score matrix: one new chunk changes both for every chunk,
so adding anything means re-indexing everything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import sparse

from rag.errors import StoreError
from rag.index.store import IndexState, IndexStore, new_generation
from rag.text.tokenize import tokenize, tokenize_one

logger = logging.getLogger(__name__)

_CURRENT_FILE = "CURRENT"
_MANIFEST_FILE = "manifest.json"
_SEGMENTS_DIR = "segments"
# A segment's arrays, one .npy file each: the word-count matrix (CSC parts and shape) and the chunk lengths.
_SEGMENT_ARRAYS = ("data", "indices", "indptr", "shape", "lengths")


def doc_id_of(chunk_id: str) -> str:
    """The document a chunk id belongs to (ids are `{doc_id}::{version}::{index}`)."""
    return chunk_id.rsplit("::", 2)[0]


def stamp_of(chunk_ids: Iterable[str]) -> str:
    """A fingerprint of a set of chunk ids, independent of their order."""
    digest = hashlib.sha256()
    for chunk_id in sorted(chunk_ids):
        digest.update(chunk_id.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:24]


# Bumped whenever rag.text.tokenize, the BM25 parameters or the cache format change: a cache
# written with another version is rebuilt rather than scored with mismatched query tokens.
TOKENIZER_VERSION = "3"
_TOKENIZER_FILE = "tokenizer.json"
# Anserini's defaults for passage retrieval; bm25s' own are 1.5 / 0.75.
K1 = 0.9
B = 0.4
# Merging: a new segment is merged into the one before it while it holds at least this share
# of that one's chunks, and everything is merged into one when more than this share of the
# chunks are deleted ones.
MERGE_RATIO = 0.5
MAX_DELETED_SHARE = 0.25
BUILD_SLICE = 4096


@dataclass(frozen=True)
class KeywordMatch:
    """A chunk found by `Bm25Index.search`, with its BM25 score (positive)."""

    chunk_id: str
    score: float


@dataclass(frozen=True)
class _Segment:
    """Chunks indexed together: their ids, lengths in words and a chunk × word count matrix
    (CSC: one column per word of the vocabulary when the segment was made; ids are global)."""

    name: str
    chunk_ids: tuple[str, ...]
    lengths: np.ndarray
    counts: sparse.csc_matrix

    @classmethod
    def of(cls, chunk_ids: Sequence[str], tokens: Sequence[Sequence[str]], vocab: dict[str, int]) -> _Segment:
        """A segment of these chunks; words new to `vocab` are added to it."""
        rows, cols, values = [], [], []
        for row, words in enumerate(tokens):
            for word, count in Counter(words).items():
                rows.append(row)
                cols.append(vocab.setdefault(word, len(vocab)))
                values.append(count)
        counts = sparse.csc_matrix(
            (np.asarray(values, dtype=np.float32), (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
            shape=(len(chunk_ids), len(vocab)),
        )
        lengths = np.asarray([len(words) for words in tokens], dtype=np.float32)
        return cls(uuid.uuid4().hex, tuple(chunk_ids), lengths, counts)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def widened(self, width: int) -> sparse.csc_matrix:
        """The count matrix with `width` columns (words added to the vocabulary since have none)."""
        if self.counts.shape[1] == width:
            return self.counts
        return sparse.csc_matrix((self.counts.data, self.counts.indices,
                                  np.concatenate([self.counts.indptr, np.full(width - self.counts.shape[1],
                                                                              self.counts.indptr[-1])])),
                                 shape=(len(self), width))

    def save(self, folder: Path) -> None:
        """Write the segment as a folder of .npy files (one per array) and its chunk ids, so
        that `load` can map the arrays instead of reading them."""
        path = folder / self.name
        if path.is_dir():  # segments are immutable: one written before is still this one
            return
        partial = folder / f"{self.name}.{os.getpid()}.tmp"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        shape = np.asarray(self.counts.shape, dtype=np.int64)
        arrays = zip(_SEGMENT_ARRAYS, (self.counts.data, self.counts.indices, self.counts.indptr, shape, self.lengths))
        for key, array in arrays:
            np.save(partial / f"{key}.npy", np.ascontiguousarray(array))
        (partial / "chunk_ids.json").write_text(json.dumps(list(self.chunk_ids)), encoding="utf-8")
        os.replace(partial, path)

    @classmethod
    def load(cls, folder: Path, name: str) -> _Segment:
        """The segment as saved. Its arrays are memory-mapped, read-only: loading a 45,000-chunk
        segment takes milliseconds instead of reading its 33 MB, and a search reads the pages
        of its query words only. (A segment saved as one .npz by an older version is read.)"""
        path = folder / name
        if path.is_dir():
            arrays = {key: np.load(path / f"{key}.npy", mmap_mode="r") for key in _SEGMENT_ARRAYS}
            chunk_ids = tuple(json.loads((path / "chunk_ids.json").read_text(encoding="utf-8")))
        else:
            with np.load(folder / f"{name}.npz") as stored:
                arrays = {key: stored[key] for key in _SEGMENT_ARRAYS}
                chunk_ids = tuple(json.loads(str(stored["chunk_ids"])))
        shape = tuple(int(n) for n in arrays["shape"])
        if len(shape) != 2 or len(chunk_ids) != shape[0] or len(arrays["lengths"]) != shape[0]:
            raise ValueError(f"segment {name} is inconsistent")
        counts = sparse.csc_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape, copy=False)
        return cls(name, chunk_ids, arrays["lengths"], counts)


def _merged(segments: Sequence[_Segment], deleted: Mapping[str, frozenset[str]], width: int) -> _Segment:
    """One segment holding the live chunks of `segments` (their counts, nothing re-tokenized)."""
    matrix = sparse.vstack([s.widened(width) for s in segments], format="csr")
    ids = [chunk_id for s in segments for chunk_id in s.chunk_ids]
    keep = np.asarray([c not in deleted.get(s.name, ()) for s in segments for c in s.chunk_ids], dtype=bool)
    lengths = np.concatenate([s.lengths for s in segments])[keep]
    return _Segment(uuid.uuid4().hex, tuple(np.asarray(ids, dtype=object)[keep].tolist()), lengths,
                    sparse.csc_matrix(matrix[keep]))


class Bm25Index:
    """Keyword scores for every live chunk; `search` returns (chunk_id, score) best first.

    A chunk is deleted in the segment that holds it (`deleted`: segment name -> chunk ids), so
    the same chunk id can come back in a later segment (an article removed, then indexed again).
    """

    def __init__(
        self, vocab: dict[str, int], segments: Sequence[_Segment], deleted: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        self._vocab = vocab
        self._segments = tuple(segments)
        self._deleted = {name: frozenset(ids) for name, ids in (deleted or {}).items() if ids}
        all_ids = [chunk_id for segment in self._segments for chunk_id in segment.chunk_ids]
        self._alive = np.asarray([c not in self._deleted.get(s.name, ()) for s in self._segments for c in s.chunk_ids],
                                 dtype=bool)
        self._rows = np.flatnonzero(self._alive)  # live position -> row over all segments
        self.chunk_ids = [all_ids[row] for row in self._rows]
        self._offsets = np.cumsum([0, *(len(s) for s in self._segments)])
        lengths = np.concatenate([s.lengths for s in self._segments]) if self._segments else np.zeros(0, np.float32)
        live_lengths = lengths[self._alive]
        average = float(live_lengths.mean()) if len(live_lengths) and live_lengths.mean() > 0 else 1.0
        self._norm = (K1 * ((1 - B) + B * lengths / average)).astype(np.float32)
        self._position = {chunk_id: i for i, chunk_id in enumerate(self.chunk_ids)}
        self._postings_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # The store generation the cache on disk records for this index ("" when unknown):
        # set by `load` and `save`.
        self.store_generation = ""

    @classmethod
    def build(cls, chunk_ids: Sequence[str], texts: Sequence[str]) -> Bm25Index:
        if len(chunk_ids) != len(texts):
            raise ValueError(f"{len(chunk_ids)} ids but {len(texts)} texts")
        vocab: dict[str, int] = {}
        # Tokenized a slice at a time, then merged: the word lists of 45,000 chunks held at
        # once took ~500 MB; their counts take a tenth of that.
        parts = [_Segment.of(chunk_ids[lo : lo + BUILD_SLICE], tokenize(texts[lo : lo + BUILD_SLICE]), vocab)
                 for lo in range(0, len(chunk_ids), BUILD_SLICE)]
        segments = [_merged(parts, {}, len(vocab)) if len(parts) > 1 else parts[0]] if parts else []
        return cls(vocab, segments)

    def updated(self, added_ids: Sequence[str], added_texts: Sequence[str], removed: Iterable[str]) -> Bm25Index:
        """This index with `removed` chunks gone and the added ones in a new segment (merged
        into the last ones while it is not much smaller than they are)."""
        if len(added_ids) != len(added_texts):
            raise ValueError(f"{len(added_ids)} ids but {len(added_texts)} texts")
        vocab = dict(self._vocab)
        deleted = {name: set(ids) for name, ids in self._deleted.items()}
        removed = set(removed)
        for segment, row_alive in zip(self._segments, np.split(self._alive, self._offsets[1:-1])):
            gone = {c for c, alive in zip(segment.chunk_ids, row_alive) if alive and c in removed}
            if gone:
                deleted.setdefault(segment.name, set()).update(gone)
        segments = list(self._segments)
        if added_ids:
            segments.append(_Segment.of(added_ids, tokenize(added_texts), vocab))
        total_rows = sum(len(s) for s in segments)
        frozen = {name: frozenset(ids) for name, ids in deleted.items()}
        if sum(map(len, frozen.values())) > MAX_DELETED_SHARE * total_rows:
            return _compacted(vocab, segments, frozen)
        while len(segments) > 1 and len(segments[-1]) >= MERGE_RATIO * len(segments[-2]):
            last_two = segments[-2:]
            segments[-2:] = [_merged(last_two, frozen, len(vocab))]
            frozen = {name: ids for name, ids in frozen.items() if name not in {s.name for s in last_two}}
        return Bm25Index(vocab, segments, frozen)

    # Computed on first use: each costs tens of milliseconds at 45,000 chunks, and an index
    # loaded or updated after a clean write may never need them.
    @cached_property
    def stamp(self) -> str:
        return stamp_of(self.chunk_ids)

    @cached_property
    def _doc_of(self) -> np.ndarray:
        return np.array([doc_id_of(chunk_id) for chunk_id in self.chunk_ids], dtype=object)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def chunk_ids_of(self, doc_ids: Iterable[str]) -> set[str]:
        """The live chunks of these documents."""
        wanted = set(doc_ids)
        return {chunk_id for chunk_id, doc_id in zip(self.chunk_ids, self._doc_of) if doc_id in wanted}

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    # -- scoring -------------------------------------------------------------------

    def _postings(self, word_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(live positions, counts) of the chunks holding word `word_id`, over every segment."""
        cached = self._postings_cache.get(word_id)
        if cached is not None:
            return cached
        rows, counts = [], []
        for offset, segment in zip(self._offsets, self._segments):
            matrix = segment.counts
            if word_id < matrix.shape[1]:
                lo, hi = matrix.indptr[word_id], matrix.indptr[word_id + 1]
                rows.append(matrix.indices[lo:hi] + offset)
                counts.append(matrix.data[lo:hi])
        row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        count = np.concatenate(counts) if counts else np.zeros(0, np.float32)
        live = self._alive[row]
        found = (row[live], count[live])
        self._postings_cache[word_id] = found
        return found

    def _idf_of(self, df: int) -> float:
        n = len(self.chunk_ids)
        return float(np.log1p((n - df + 0.5) / (df + 0.5)))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every live chunk for `query`, in `chunk_ids` order (a word said twice
        counts twice, as bm25s counts it)."""
        scores_by_row = np.zeros(len(self._alive), dtype=np.float32)
        for word in tokenize_one(query):
            word_id = self._vocab.get(word)
            if word_id is None:
                continue
            rows, counts = self._postings(word_id)
            if len(rows):
                idf = self._idf_of(len(rows))
                scores_by_row[rows] += (idf * counts / (counts + self._norm[rows])).astype(np.float32)
        return scores_by_row[self._rows]

    def _df(self, word: str) -> int:
        word_id = self._vocab.get(word)
        return 0 if word_id is None else len(self._postings(word_id)[0])

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
        return sum(self._idf_of(self._df(token)) for token in tokens)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a tokenized term over the chunks (0 if unseen).

        The answerers weigh question words with it: rare words say what is asked.
        """
        df = self._df(term)
        return self._idf_of(df) if df else 0.0

    def score_of(self, scores: np.ndarray, chunk_id: str) -> float:
        position = self._position.get(chunk_id)
        return float(scores[position]) if position is not None else 0.0

    def search(
        self, query: str, k: int, allowed_docs: set[str] | None = None, scores: np.ndarray | None = None
    ) -> list[KeywordMatch]:
        """The `k` best-scoring chunks with a positive score, in `allowed_docs` if given."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        scores = self.scores(query) if scores is None else scores
        if allowed_docs is not None and len(scores):
            scores = np.where(np.isin(self._doc_of, list(allowed_docs)), scores, 0.0)
        return [KeywordMatch(self.chunk_ids[i], float(scores[i])) for i in _best(scores, k)]

    # -- the cache on disk ---------------------------------------------------------------

    def save(self, cache_dir: Path, store_generation: str = "") -> None:
        """Write the segments not yet on disk and a new generation (vocabulary, segment list,
        deleted chunks, and the store generation this index matches, if known), then switch
        the CURRENT pointer to it atomically."""
        segments_dir = cache_dir / _SEGMENTS_DIR
        segments_dir.mkdir(parents=True, exist_ok=True)
        for segment in self._segments:
            segment.save(segments_dir)
        generation = Path(tempfile.mkdtemp(prefix=f"{self.stamp}-", dir=cache_dir))
        words = sorted(self._vocab, key=self._vocab.__getitem__)
        manifest = {"segments": [s.name for s in self._segments],
                    "deleted": {name: sorted(ids) for name, ids in self._deleted.items()}, "vocab": words,
                    "store_generation": store_generation}
        (generation / _MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
        (generation / _TOKENIZER_FILE).write_text(json.dumps({"version": TOKENIZER_VERSION}), encoding="utf-8")
        pointer = cache_dir / f"{_CURRENT_FILE}.{os.getpid()}.tmp"
        pointer.write_text(generation.name, encoding="utf-8")
        os.replace(pointer, cache_dir / _CURRENT_FILE)
        self.store_generation = store_generation
        _remove_unused(cache_dir, keep=generation.name, segments={s.name for s in self._segments})

    @classmethod
    def load(cls, cache_dir: Path) -> Bm25Index | None:
        """The cached index, or None when there is none or it cannot be read."""
        try:
            generation = cache_dir / (cache_dir / _CURRENT_FILE).read_text(encoding="utf-8").strip()
            tokenizer = json.loads((generation / _TOKENIZER_FILE).read_text(encoding="utf-8"))
            if tokenizer.get("version") != TOKENIZER_VERSION:
                raise ValueError(f"tokenizer version {tokenizer.get('version')!r}, not {TOKENIZER_VERSION!r}")
            manifest = json.loads((generation / _MANIFEST_FILE).read_text(encoding="utf-8"))
            vocab = {word: i for i, word in enumerate(manifest["vocab"])}
            segments = [_Segment.load(cache_dir / _SEGMENTS_DIR, name) for name in manifest["segments"]]
            if any(s.counts.shape[1] > len(vocab) for s in segments):
                raise ValueError("a segment has words the vocabulary lacks")
            index = cls(vocab, segments, manifest["deleted"])
            index.store_generation = str(manifest.get("store_generation") or "")
            return index
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.info("No usable BM25 cache in %s (%s); it will be rebuilt", cache_dir, exc)
            return None


def _compacted(vocab: dict[str, int], segments: Sequence[_Segment], deleted: Mapping[str, frozenset[str]]) -> Bm25Index:
    """Every live chunk in one segment, and the vocabulary cut to the words they hold."""
    merged = _merged(segments, deleted, len(vocab))
    used = np.flatnonzero(np.diff(merged.counts.indptr) > 0)
    words = sorted(vocab, key=vocab.__getitem__)
    new_vocab = {words[i]: n for n, i in enumerate(used)}
    counts = sparse.csc_matrix(merged.counts[:, used])
    return Bm25Index(new_vocab, [_Segment(merged.name, merged.chunk_ids, merged.lengths, counts)])


def _remove_unused(cache_dir: Path, keep: str, segments: set[str]) -> None:
    for entry in cache_dir.iterdir():
        if entry.is_dir() and entry.name not in (keep, _SEGMENTS_DIR):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)
    # A reader that mapped a segment removed here keeps reading it (POSIX keeps the file
    # until it is unmapped).
    for entry in (cache_dir / _SEGMENTS_DIR).iterdir():
        if entry.name.split(".", 1)[0] not in segments or ".tmp" in entry.name or entry.name.endswith(".npz"):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _texts_of(store, wanted: Sequence[str]) -> tuple[list[str], list[str]]:
    """(ids, texts) of the chunks in `wanted` that are still stored, in `wanted`'s order."""
    texts = store.chunk_texts(wanted)
    ids = [chunk_id for chunk_id in wanted if chunk_id in texts]
    return ids, [texts[chunk_id] for chunk_id in ids]


def synced_bm25(store: IndexStore, cache_dir: Path) -> Bm25Index:
    """The BM25 index matching the committed chunks in `store` now: the cache brought up to
    date in memory (only chunks that arrived are read and tokenized), or built. It never
    writes, and lists every committed chunk id; the app's readers use `bm25_for_reader` and
    its writers `bm25_after_writing`, which avoid that when they can."""
    return _synced(store, Bm25Index.load(cache_dir))


def bm25_for_reader(
    store: IndexStore, cache_dir: Path, state: IndexState, held: Bm25Index | None = None, seen: str | None = None
) -> Bm25Index:
    """The BM25 index for a reader that read `state` (`store.index_state()`) just before.

    A reader that already holds an index (`held`, made for generation `seen`) keeps it when
    nothing changed since, and reads again only the documents the last writer changed when
    the state records them (`IndexState.changes_since`): adding one article to a big index
    costs the reader that article, not a reload. Otherwise: the cache as it is when it
    records that generation of a clean index, else the full comparison.

    A clean state at the cache's generation means the last writer finished and saved this
    cache for what it committed, and nothing was written since: every write marks the index
    WRITING first, and the writer that clears it publishes a new generation. So the cache
    holds exactly the committed chunks, without listing them. A writer at work or killed
    (WRITING), or another instance's ingest (a generation this cache never saw), takes the
    full comparison, which leaves uncommitted chunks out.

    Why `held` may be brought up to date from the recorded changes alone: it holds what was
    committed at some moment after `seen` was published; since then only the last writer
    wrote (it started from `seen`, clean, and writers take turns), and it recorded every
    document it touched, so every other document's chunks are still the held ones.
    """
    if held is not None:
        changed = state.changes_since(seen)
        if changed is not None:
            return _with_documents_resynced(held, store, set(changed))
    cached = Bm25Index.load(cache_dir)
    if cached is not None and _records(cached, state):
        return cached
    return _synced(store, cached)


def bm25_after_writing(store: IndexStore, cache_dir: Path, started: IndexState) -> Bm25Index:
    """A writer's last step, after its last Chroma write: bring the BM25 cache in line with the
    committed chunks, save it, then publish a new generation and mark the index clean (one
    metadata write) if anything changed. `started` is what `store.start_writing()` returned.

    If the index was clean at the cache's generation when this run started, the cache held
    exactly the committed chunks then (see `bm25_for_reader`), and only this run changed them
    since (the writer lock): only the documents it touched are read again. Otherwise the
    full comparison of `synced_bm25`.

    Crash order: the cache is saved (recording the new generation) before the store publishes
    it. Killed in between, the store still says WRITING at the old generation, so the next
    writer repairs and compares in full, and readers compare in full too.
    """
    cached = Bm25Index.load(cache_dir)
    if cached is not None and _records(cached, started):
        index = _with_documents_resynced(cached, store, store.touched_doc_ids)
    else:
        index = _synced(store, cached)
    # A run that wrote, or found the index unclean (a killed writer may have committed
    # documents the readers' indexes lack), makes the readers refresh.
    announce = store.changed or store.writing or not started.clean
    generation = new_generation() if announce else started.generation
    _save(index, cached, cache_dir, generation)
    store.finish_writing(generation if announce else None)
    return index


def _records(cached: Bm25Index, state: IndexState) -> bool:
    """Whether the cache is the committed chunks of the index in `state`."""
    return state.clean and bool(state.generation) and cached.store_generation == state.generation


def _synced(store: IndexStore, cached: Bm25Index | None) -> Bm25Index:
    """`cached` if it holds exactly the committed chunks, else brought in line (or built):
    lists every committed chunk id."""
    chunk_ids = store.committed_chunk_ids()
    if cached is not None and cached.stamp == stamp_of(chunk_ids):
        return cached
    if cached is not None and len(cached):
        have = set(cached.chunk_ids)
        wanted = set(chunk_ids)
        index = cached.updated(*_texts_of(store, [c for c in chunk_ids if c not in have]), removed=have - wanted)
        how = "Updated"
    else:
        index = Bm25Index.build(*_texts_of(store, chunk_ids))
        how = "Built"
    logger.info("%s the BM25 index: %d chunks in %d segments", how, len(index), index.segment_count)
    return index


def _with_documents_resynced(cached: Bm25Index, store: IndexStore, doc_ids: set[str]) -> Bm25Index:
    """`cached` with the chunks of `doc_ids` made what the store commits now (texts read for
    the chunks that arrived only); the other documents' chunks are taken as they are."""
    if not doc_ids:
        return cached
    committed = store.committed_chunk_ids_of(doc_ids)
    held = cached.chunk_ids_of(doc_ids)
    arrived = [chunk_id for chunk_id in committed if chunk_id not in held]
    left = held - set(committed)
    if not arrived and not left:
        return cached
    index = cached.updated(*_texts_of(store, arrived), removed=left)
    logger.info("Updated the BM25 index from %d changed documents: %d chunks in %d segments",
                len(doc_ids), len(index), index.segment_count)
    return index


def _save(index: Bm25Index, cached: Bm25Index | None, cache_dir: Path, generation: str) -> None:
    """Save `index` recording `generation`, unless the cache on disk is already exactly that."""
    if index is cached and index.store_generation == generation:
        return
    try:
        index.save(cache_dir, store_generation=generation)
    except OSError as exc:
        raise StoreError(
            f"Could not save the keyword index in {cache_dir}: {exc.strerror or exc}. The articles "
            "are indexed; free space or fix permissions and run again to rebuild it."
        ) from exc


def _best(scores: np.ndarray, k: int) -> list[int]:
    """The positions of the `k` best positive scores, best first, ties in position order: the
    first `k` of a stable argsort of every score, found among the positive ones only and sorted
    only as far as the `k`-th (1.5 ms of a question at 45,508 chunks went to sorting them all)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        kth = -np.partition(-scores[positive], k - 1)[k - 1]
        positive = positive[scores[positive] >= kth]  # ties at the k-th score all kept, in order
    return positive[np.argsort(-scores[positive], kind="stable")][:k].tolist()
