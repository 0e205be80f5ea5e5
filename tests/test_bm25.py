"""The segmented BM25 index: scores equal bm25s' ("lucene", our k1/b) score for score, and an
index brought up to date incrementally equals one built from scratch on the same chunks."""

from __future__ import annotations

import json
import math
import random
import shutil

import numpy as np
import pytest

from rag.index.bm25 import B, K1, Bm25Index, synced_bm25
from rag.text.tokenize import import_bm25s, tokenize, tokenize_one
from tests.conftest import SEEDS
from tests.helpers import open_store

TEXTS = [
    "Soldiers were captured in Kursk.",
    "The captured soldiers were treated in Kyiv.",
    "A wildfire destroyed homes near Harbor Town.",
]


def _seed_chunks() -> tuple[list[str], list[str]]:
    """Paragraphs of the demo articles as chunks, plus a few short, long and empty ones."""
    texts = [p for path in sorted(SEEDS.glob("*.txt")) for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]
    texts += ["", "the the the", "Kursk " * 40 + "soldiers", "Kyiv"]
    return [f"d{i // 7}::v::{i % 7:05d}" for i in range(len(texts))], texts


QUERIES = [
    "How old were the captured soldiers?", "Kursk soldiers soldiers", "Kyiv hospital treatment",
    "North Korea troops Russia Ukraine war", "zebra", "what was it", "wounded 2,700 killed",
]


def _reference_scores(texts: list[str], query: str) -> np.ndarray:
    bm25s = import_bm25s()
    model = bm25s.BM25(k1=K1, b=B)
    model.index(tokenize(texts), show_progress=False)
    words = [w for w in tokenize_one(query) if w in model.vocab_dict]
    return np.asarray(model.get_scores(words), dtype=np.float32) if words else np.zeros(len(texts), np.float32)


def test_scores_equal_bm25s_lucene_score_for_score() -> None:
    ids, texts = _seed_chunks()
    index = Bm25Index.build(ids, texts)
    for query in QUERIES:
        np.testing.assert_allclose(index.scores(query), _reference_scores(texts, query), rtol=1e-5, atol=1e-6,
                                   err_msg=query)


def test_search__the_k_best_positive_scores_best_first_ties_in_index_order() -> None:
    # Repeated texts tie; every k from 1 past the number of matches: the first k of a stable sort
    # of all the scores, the chunks that score nothing left out.
    ids, texts = _seed_chunks()
    texts = texts + texts[:12] + ["Kursk soldiers"] * 5
    ids = ids + [f"r{i}::v::00000" for i in range(len(texts) - len(ids))]
    index = Bm25Index.build(ids, texts)
    for query in QUERIES + ["Kursk soldiers"]:
        scores = index.scores(query)
        order = [i for i in np.argsort(-scores, kind="stable") if scores[i] > 0]
        for k in (1, 2, 3, 5, 8, 40, len(order) + 3):
            got = index.search(query, k)
            assert [m.chunk_id for m in got] == [index.chunk_ids[i] for i in order[:k]], (query, k)
            assert [m.score for m in got] == [float(scores[i]) for i in order[:k]]


def test_document_frequencies_and_idf_come_out_right() -> None:
    index = Bm25Index.build(["a::1", "b::1", "c::1"], TEXTS)
    (soldier,) = tokenize_one("soldiers")
    (wildfire,) = tokenize_one("wildfire")
    # Two of three chunks say "soldiers", one says "wildfire": the rarer word weighs more.
    assert index.idf(soldier) == pytest.approx(math.log1p((3 - 2 + 0.5) / (2 + 0.5)))
    assert index.idf(wildfire) == pytest.approx(math.log1p((3 - 1 + 0.5) / (1 + 0.5)))
    assert index.idf("zebra") == 0.0
    assert index.full_match_score("soldiers wildfire") == pytest.approx(index.idf(soldier) + index.idf(wildfire))


def _assert_same(incremental: Bm25Index, fresh: Bm25Index) -> None:
    assert sorted(incremental.chunk_ids) == sorted(fresh.chunk_ids) and incremental.stamp == fresh.stamp
    for query in QUERIES:
        got = dict(zip(incremental.chunk_ids, incremental.scores(query)))
        want = dict(zip(fresh.chunk_ids, fresh.scores(query)))
        assert got == pytest.approx(want, rel=1e-5, abs=1e-6), query
        assert incremental.full_match_score(query) == pytest.approx(fresh.full_match_score(query))
    for word in ("soldier", "kursk", "captur", "zebra"):
        assert incremental.idf(word) == pytest.approx(fresh.idf(word))


def test_updated__equals_a_fresh_build_of_the_same_chunks() -> None:
    ids, texts = _seed_chunks()
    rng = random.Random(7)
    first = rng.sample(range(len(ids)), len(ids) // 2)
    index = Bm25Index.build([ids[i] for i in first], [texts[i] for i in first])
    live = set(first)
    for step in range(12):  # add a few, remove a few, in random order
        candidates = [i for i in range(len(ids)) if i not in live]
        added = rng.sample(candidates, min(len(candidates), rng.randint(0, 4)))
        removed = rng.sample(sorted(live), min(len(live), rng.randint(0, 3)))
        index = index.updated([ids[i] for i in added], [texts[i] for i in added], [ids[i] for i in removed])
        live = (live | set(added)) - set(removed)
        order = sorted(live)
        _assert_same(index, Bm25Index.build([ids[i] for i in order], [texts[i] for i in order]))


def test_updated__one_chunk_at_a_time_keeps_few_segments_and_compacts_deletions() -> None:
    index = Bm25Index.build(["a::v::00000"], ["The first chunk about Kursk."])
    for n in range(1, 257):
        index = index.updated([f"a::v::{n:05d}"], [f"Chunk {n} about soldiers in Kursk number {n}."], [])
        assert index.segment_count <= math.ceil(math.log2(n + 1)) + 2, n
    assert len(index) == 257
    removed = [f"a::v::{n:05d}" for n in range(0, 257, 2)]  # about half: past the compaction share
    index = index.updated([], [], removed)
    assert index.segment_count == 1 and len(index) == 128
    fresh = Bm25Index.build([f"a::v::{n:05d}" for n in range(1, 257, 2)],
                            [f"Chunk {n} about soldiers in Kursk number {n}." for n in range(1, 257, 2)])
    _assert_same(index, fresh)


def test_save_and_load__round_trip_and_unused_segments_are_removed(tmp_path) -> None:
    ids, texts = _seed_chunks()
    cache = tmp_path / "bm25"
    index = Bm25Index.build(ids[:20], texts[:20])
    index.save(cache)
    index = index.updated(ids[20:25], texts[20:25], ids[:3])
    index.save(cache)
    loaded = Bm25Index.load(cache)
    assert loaded is not None
    _assert_same(loaded, index)
    on_disk = {p.name.split(".")[0] for p in (cache / "segments").iterdir()}
    assert on_disk == {s.name for s in index._segments}
    assert [p.name for p in cache.iterdir() if p.is_dir() and p.name != "segments"] == [
        (cache / "CURRENT").read_text().strip()]


def _is_mapped(array: np.ndarray) -> bool:
    """Whether `array` is a view of a memory-mapped file (not a copy in memory)."""
    base = array
    while base is not None:
        if isinstance(base, np.memmap) or type(base).__name__ == "mmap":
            return True
        base = getattr(base, "base", None)
    return False


def test_load__maps_the_segment_arrays_and_a_removed_segment_still_searches(tmp_path) -> None:
    ids, texts = _seed_chunks()
    cache = tmp_path / "bm25"
    Bm25Index.build(ids, texts).save(cache)
    loaded = Bm25Index.load(cache)
    assert loaded is not None
    counts = loaded._segments[0].counts
    assert all(_is_mapped(a) for a in (counts.data, counts.indices, counts.indptr)), "read into memory, not mapped"
    before = loaded.search("captured soldiers Kursk", 3)
    loaded.updated(["z::v::00000"], ["zebra"], ids).save(cache)  # compacts: the old segment is removed
    assert not (cache / "segments" / loaded._segments[0].name).exists()
    fresh = Bm25Index.load(cache)
    assert fresh is not None and fresh.search("zebra", 1)[0].chunk_id == "z::v::00000"
    loaded._postings_cache.clear()
    assert loaded.search("captured soldiers Kursk", 3) == before  # still mapped (POSIX)


def test_load__reads_a_segment_an_older_version_saved_as_npz_and_the_next_save_converts_it(tmp_path) -> None:
    ids, texts = _seed_chunks()
    cache = tmp_path / "bm25"
    index = Bm25Index.build(ids, texts)
    index.save(cache)
    segment = index._segments[0]
    folder = cache / "segments"
    shutil.rmtree(folder / segment.name)
    np.savez(folder / f"{segment.name}.npz", data=segment.counts.data, indices=segment.counts.indices,
             indptr=segment.counts.indptr, shape=np.asarray(segment.counts.shape), lengths=segment.lengths,
             chunk_ids=np.asarray(json.dumps(list(segment.chunk_ids))))  # as the older version wrote it
    old = Bm25Index.load(cache)
    assert old is not None
    _assert_same(old, index)
    old.updated(ids[:1], ["zebra"], ids[:1]).save(cache)
    assert not list(folder.glob("*.npz")) and (folder / segment.name).is_dir()
    _assert_same(Bm25Index.load(cache), old.updated(ids[:1], ["zebra"], ids[:1]))  # type: ignore[arg-type]


def test_synced_bm25__reads_and_tokenizes_only_the_chunks_that_arrived(tmp_path, settings, fake_embedder) -> None:
    from ingest import ingest_paths

    ingest_paths([SEEDS], settings, embedder=fake_embedder)
    store = open_store(settings, fake_embedder.name)
    before = set(synced_bm25(store, settings.data_dir / "bm25").chunk_ids)
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "harbour.txt").write_text(
        "Harbour reopens\n\nThe harbour of Port Ellis reopened on Tuesday after a storm.\n", encoding="utf-8")
    read: list[list[str]] = []
    chunk_texts = type(store).chunk_texts

    def spy(self, chunk_ids):
        read.append(list(chunk_ids))
        return chunk_texts(self, chunk_ids)

    type(store).chunk_texts = spy  # type: ignore[method-assign]
    try:
        ingest_paths([tmp_path / "more"], settings, embedder=fake_embedder)
    finally:
        type(store).chunk_texts = chunk_texts  # type: ignore[method-assign]
    assert len(read) == 1 and all(c.startswith("more/harbour.txt::") for c in read[0]) and read[0]
    after = Bm25Index.load(settings.data_dir / "bm25")
    assert after is not None and set(after.chunk_ids) == before | set(read[0])
    assert after.search("Port Ellis harbour", 1)[0].chunk_id.startswith("more/harbour.txt::")


def test_updated__a_chunk_removed_then_indexed_again_is_live() -> None:
    """Removing an article and indexing the same text again gives the same chunk ids."""
    index = Bm25Index.build(["a::v::00000", "b::v::00000"], TEXTS[:2])
    index = index.updated([], [], ["a::v::00000"])
    assert index.chunk_ids == ["b::v::00000"]
    index = index.updated(["a::v::00000"], TEXTS[:1], [])
    _assert_same(index, Bm25Index.build(["a::v::00000", "b::v::00000"], TEXTS[:2]))


def test_build__in_slices_scores_the_same(monkeypatch) -> None:
    import rag.index.bm25

    ids, texts = _seed_chunks()
    whole = Bm25Index.build(ids, texts)
    monkeypatch.setattr(rag.index.bm25, "BUILD_SLICE", 5)
    sliced = Bm25Index.build(ids, texts)
    assert sliced.segment_count == 1
    _assert_same(sliced, whole)
    for query in QUERIES:
        np.testing.assert_allclose(sliced.scores(query), _reference_scores(texts, query), rtol=1e-5, atol=1e-6)
