"""Hybrid retrieval: fusion maths, near-duplicate collapse, filters, k, BM25 tokenisation
(fake embedder, real Chroma in a temp dir), and paraphrased questions with the real model."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from eval.squad import Question, Span, first_hit_rank, is_hit, score
from ingest import ingest_paths
from rag.index.bm25 import Bm25Index, bm25_after_writing, stamp_of, synced_bm25
from rag.text.tokenize import tokenize_one
from rag.config import Settings
from rag.errors import InvalidInputError
from rag.answer.retrieval import (
    Candidate,
    FusionConfig,
    HybridRetriever,
    collapse_near_duplicates,
    fuse,
    rank_candidates,
)
from rag.index.store import IndexStore, chunk_id_for, version_of
from rag.types import Chunk, Filters, Passage
from tests.conftest import SEEDS
from tests.helpers import open_store

FLOODS = (
    "Heavy rain fell across the valley on Tuesday. The river rose two metres overnight. "
    "Officials opened three shelters for families who left their homes."
)
ARTICLES = [
    {"id": "floods", "title": "Rivers rise after record storm", "published": "2025-03-01", "text": FLOODS},
    # The same wire story under another id, with one line added (so ingest keeps both).
    {"id": "floods-wire", "title": "Storm floods valley", "published": "2025-03-02",
     "text": FLOODS + "\n\nReporting by the wire desk."},
    {"id": "budget", "title": "City council passes budget", "published": "2025-04-10",
     "text": "The council approved the budget by seven votes to two. Spending on buses grows by a "
     "tenth.\n\nThe mayor said the plan keeps taxes flat for a second year."},
    {"id": "match", "title": "Home side wins the final", "published": "2025-05-20",
     "text": "The home side won the final 2-1 after extra time. Their captain scored the winner in "
     "the 112th minute, and fans filled the square until midnight."},
]


def make_retriever(settings: Settings, embedder, fusion: FusionConfig | None = None) -> HybridRetriever:
    store = open_store(settings, embedder.name)
    return HybridRetriever(store, synced_bm25(store, settings.data_dir / "bm25"), embedder, fusion, documents=store.documents)


@pytest.fixture
def retriever(tmp_path: Path, settings: Settings, fake_embedder) -> HybridRetriever:
    corpus = tmp_path / "news.jsonl"
    corpus.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    report = ingest_paths([corpus], settings, embedder=fake_embedder)
    assert report.ok and len(report.new) == 4, report.summary()
    return make_retriever(settings, fake_embedder)


def candidate(chunk_id="d::v::00000", cosine=0.5, bm25=0.0, full=0.0, dense_rank=None, bm25_rank=None,
              text="some text", doc_id="d") -> Candidate:
    return Candidate(chunk_id, cosine, bm25, dense_rank, bm25_rank, full, text=text,
                     metadata={"doc_id": doc_id, "start": 0, "end": len(text)})


# -- fusion maths ----------------------------------------------------------------


def test_fuse__convex_divides_bm25_by_the_full_match_score_capped_at_one():
    fusion = FusionConfig(method="convex", bm25_weight=0.5)
    scores = fuse([candidate(cosine=0.6, bm25=3.0, full=12.0), candidate(cosine=0.2, bm25=20.0, full=12.0),
                   candidate(cosine=0.4, bm25=0.0, full=0.0)], fusion)
    assert scores == pytest.approx([0.5 * 0.25 + 0.5 * 0.6, 0.5 * 1.0 + 0.5 * 0.2, 0.5 * 0.4])


def test_fuse__a_weak_keyword_match_gets_little_credit_with_query_normalisation():
    # A paraphrased question: the best BM25 hit matches one word of six; dense knows better.
    lexical = candidate("a::v::0", cosine=0.30, bm25=2.0, full=15.0)
    semantic = candidate("b::v::0", cosine=0.55, bm25=0.5, full=15.0)
    by_query = fuse([lexical, semantic], FusionConfig(bm25_weight=0.5))
    by_max = fuse([lexical, semantic], FusionConfig(bm25_weight=0.5, bm25_normalization="max"))
    assert by_query[1] > by_query[0]
    assert by_max[0] > by_max[1]  # what max normalisation did: full marks for the one-word match
    assert by_max == pytest.approx([0.5 * 1 + 0.5 * 0.30, 0.5 * 0.25 + 0.5 * 0.55])


def test_fuse__weights_zero_and_one_are_pure_dense_and_pure_keyword():
    cs = [candidate(cosine=0.9, bm25=1.0, full=10.0), candidate(cosine=0.1, bm25=8.0, full=10.0)]
    assert fuse(cs, FusionConfig(bm25_weight=0.0)) == pytest.approx([0.9, 0.1])
    assert fuse(cs, FusionConfig(bm25_weight=1.0)) == pytest.approx([0.1, 0.8])


def test_fuse__rrf_sums_weighted_reciprocal_ranks():
    fusion = FusionConfig(method="rrf", bm25_weight=0.5, rrf_k=60)
    scores = fuse([candidate(dense_rank=0, bm25_rank=2), candidate(dense_rank=None, bm25_rank=0)], fusion)
    assert scores == pytest.approx([0.5 / 61 + 0.5 / 63, 0.5 / 61])
    assert fuse([], fusion) == []


def test_rank_candidates__best_first_ties_broken_by_chunk_id_and_cut_at_k():
    cs = [candidate("c::v::0", cosine=0.5), candidate("a::v::0", cosine=0.5), candidate("b::v::0", cosine=0.9)]
    ranked = rank_candidates(cs, FusionConfig(bm25_weight=0.0), k=2)
    assert [c.chunk_id for _, c in ranked] == ["b::v::0", "a::v::0"]


@pytest.mark.parametrize("kwargs", [{"method": "sum"}, {"bm25_weight": 1.5}, {"bm25_weight": -0.1},
                                    {"candidates": 0}, {"bm25_normalization": "z"}])
def test_fusion_config__rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        FusionConfig(**kwargs)


def test_fusion_config__defaults_are_the_measured_ones():
    assert FusionConfig() == FusionConfig(method="convex", bm25_weight=0.5, candidates=40,
                                          bm25_normalization="query")


# -- near-duplicates -------------------------------------------------------------------


def test_collapse__same_text_under_two_doc_ids_is_one_passage():
    a = candidate("floods::v::0", text=FLOODS, doc_id="floods")
    b = candidate("wire::v::0", text=FLOODS, doc_id="floods-wire")
    other = candidate("budget::v::0", text="The council approved the budget.", doc_id="budget")
    kept = collapse_near_duplicates([(0.9, a), (0.8, b), (0.7, other)], threshold=0.8)
    assert [c.chunk_id for _, c in kept] == ["floods::v::0", "budget::v::0"]


def test_collapse__overlapping_chunks_of_one_article_are_kept():
    a = candidate("floods::v::0", text=FLOODS, doc_id="floods")
    b = candidate("floods::v::1", text=FLOODS, doc_id="floods")
    assert len(collapse_near_duplicates([(0.9, a), (0.8, b)], threshold=0.8)) == 2


def test_retrieve__a_wire_copy_does_not_take_a_second_slot(retriever):
    passages = retriever.retrieve("How far did the river rise overnight?", k=4)
    flood_passages = [p for p in passages if "river rose two metres" in p.text]
    assert len(flood_passages) == 1
    assert {p.doc_id for p in passages} >= {"budget", "match"}  # the freed slot goes to the next article


# -- retrieve: results, filters, k ------------------------------------------------------


def test_retrieve__finds_the_passage_with_exact_offsets(retriever):
    passages = retriever.retrieve("captain scored the winner in extra time", k=1)
    assert len(passages) == 1 and passages[0].doc_id == "match"
    document = retriever._store.get_document("match")
    assert document.text[passages[0].start:passages[0].end] == passages[0].text
    assert passages[0].published == "2025-05-20" and passages[0].title == "Home side wins the final"


def test_retrieve__scores_are_descending(retriever):
    passages = retriever.retrieve("budget votes and buses", k=4)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(doc_ids=("budget",)), {"budget"}),
        (Filters(titles=("FINAL",)), {"match"}),
        (Filters(titles=("storm",)), {"floods", "floods-wire"}),
        (Filters(published_from="2025-04-01", published_to="2025-04-30"), {"budget"}),
        (Filters(published_from="2025-05-01"), {"match"}),
        (Filters(published_to="2025-03-01"), {"floods"}),
    ],
)
def test_retrieve__filters_restrict_the_documents(retriever, filters, expected):
    passages = retriever.retrieve("river rain budget captain", k=10, filters=filters)
    assert passages and {p.doc_id for p in passages} <= expected


@pytest.mark.parametrize(
    "filters",
    [Filters(doc_ids=("nope",)), Filters(titles=("no such title",)),
     Filters(published_from="2030-01-01"), Filters(sources=("elsewhere",))],
)
def test_retrieve__a_filter_matching_nothing_returns_nothing(retriever, filters):
    assert retriever.retrieve("river rain budget captain", k=5, filters=filters) == []


def test_retrieve__empty_filters_match_everything(retriever):
    assert len(retriever.retrieve("river rain budget captain", k=10, filters=Filters())) >= 3


@pytest.mark.parametrize("k", [0, -1, 51])
def test_retrieve__rejects_k_out_of_range(retriever, k):
    with pytest.raises(InvalidInputError):
        retriever.retrieve("river", k=k)


def test_retrieve__k_caps_the_number_of_passages(retriever):
    assert len(retriever.retrieve("river rain budget captain", k=1)) == 1
    assert len(retriever.retrieve("river rain budget captain", k=50)) <= 50


def test_retrieve__a_query_of_stop_words_only_still_ranks_by_meaning(retriever):
    passages = retriever.retrieve("what was it?", k=2)
    assert len(passages) == 2  # dense candidates; BM25 contributes nothing


def test_retrieve__empty_index_returns_nothing(settings, fake_embedder):
    from rag.index.store import IndexStore  # noqa: F401  (opening the store creates the collections)

    assert make_retriever(settings, fake_embedder).retrieve("anything", k=3) == []


# -- only committed chunks are served: what a killed writer leaves is invisible ----------

VOLCANO = "The volcano erupted at dawn and buried the hamlet of Zorblat under grey ash."
REPLAY = "The away side won the replay three to nil, and their goalkeeper saved two penalties."


def _metadata(doc_id: str, text: str, version: str) -> dict[str, str]:
    return {"doc_id": doc_id, "title": f"About {doc_id}", "source": "wire", "published": "2025-06-01",
            "content_hash": hashlib.sha256(text.encode("utf-8")).hexdigest(), "version": version}


def _write_chunks_only(store: IndexStore, embedder, doc_id: str, text: str, version: str) -> Chunk:
    """What a writer killed between a document's chunks and its record leaves: the chunk
    of one version of `text`, and no record holding that version (and the index marked
    WRITING, as every writer marks it before its first write)."""
    chunk = Chunk(chunk_id_for(doc_id, version, 0), doc_id, 0, text, 0, len(text))
    store._before_write([doc_id])
    store._chunks.upsert(
        ids=[chunk.chunk_id], embeddings=embedder.embed_documents([text]), documents=[text],
        metadatas=[{**_metadata(doc_id, text, version), "chunk_index": 0, "start": 0, "end": len(text)}],
    )
    return chunk


def _commit(store: IndexStore, embedder, chunk: Chunk, version: str) -> None:
    """The writer finishing the document: its chunks, its record, old versions dropped."""
    store.write_document(chunk.text, _metadata(chunk.doc_id, chunk.text, version), [chunk],
                         embedder.embed_documents([chunk.text]))


def _reader(store: IndexStore, settings: Settings, embedder) -> HybridRetriever:
    """A retriever opened the way the app opens one: it never writes, so never repairs."""
    return HybridRetriever(store, synced_bm25(store, settings.data_dir / "bm25"), embedder, documents=store.documents)


def _assert_quotes_its_document(store: IndexStore, passages: list[Passage]) -> None:
    for p in passages:
        document = store.get_document(p.doc_id)
        assert document is not None, f"{p.chunk_id}: no record for {p.doc_id}"
        assert p.chunk_id.split("::")[1] == document.metadata["version"], f"{p.chunk_id} is not the committed version"
        assert document.text[p.start:p.end] == p.text, p.chunk_id


def test_retrieve__never_serves_chunks_that_no_record_commits_until_it_does(retriever, settings, fake_embedder):
    store = retriever._store
    volcano = _write_chunks_only(store, fake_embedder, "volcano", VOLCANO, "v1")  # new, no record yet
    replay = _write_chunks_only(store, fake_embedder, "match", REPLAY, "v2")  # the record still holds v1
    uncommitted = {volcano.chunk_id, replay.chunk_id}
    reader = _reader(store, settings, fake_embedder)
    # The retriever built before (its BM25 never saw them) and the one built now both hide them.
    for opened in (retriever, reader):
        for question in (VOLCANO, REPLAY):
            passages = opened.retrieve(question, k=10)
            assert passages and not {p.chunk_id for p in passages} & uncommitted, question
            _assert_quotes_its_document(store, passages)
    assert not set(reader._bm25.chunk_ids) & uncommitted
    assert reader._bm25.idf(tokenize_one("volcano")[0]) == 0.0  # their words do not count either

    _commit(store, fake_embedder, volcano, "v1")
    _commit(store, fake_embedder, replay, "v2")
    # Committed by a record since either retriever was built: served at once, from dense search.
    for opened in (retriever, reader):
        assert opened.retrieve(VOLCANO, k=1)[0].chunk_id == volcano.chunk_id
        assert opened.retrieve(REPLAY, k=1)[0].chunk_id == replay.chunk_id
        _assert_quotes_its_document(store, opened.retrieve("the final, the volcano and the replay", k=10))
    assert uncommitted <= set(_reader(store, settings, fake_embedder)._bm25.chunk_ids)


def test_retrieve__still_returns_k_passages_when_uncommitted_chunks_rank_first(retriever, fake_embedder):
    store = retriever._store
    for n in range(5):  # more than one batch of record reads (2 * k) of better-ranked orphans
        _write_chunks_only(store, fake_embedder, f"volcano-{n}", f"{VOLCANO} Report {n}.", "v1")
    passages = retriever.retrieve(VOLCANO, k=2)
    assert len(passages) == 2 and not [p for p in passages if p.doc_id.startswith("volcano")]
    _assert_quotes_its_document(store, passages)


def test_retrieve__reads_the_texts_of_only_the_candidates_it_goes_through(retriever, settings, fake_embedder,
                                                                           monkeypatch):
    store = retriever._store
    for n in range(12):
        text = f"Quake report {n}: {VOLCANO}"
        _commit(store, fake_embedder, Chunk(chunk_id_for(f"quake-{n}", "v1", 0), f"quake-{n}", 0, text, 0, len(text)), "v1")
    retriever = _reader(store, settings, fake_embedder)
    vectors_read: list[str] = []
    texts_read: list[str] = []
    chunk_vectors, read_chunks = store.chunk_vectors, store.read_chunks
    monkeypatch.setattr(store, "chunk_vectors", lambda ids: vectors_read.extend(ids) or chunk_vectors(ids))
    monkeypatch.setattr(store, "read_chunks", lambda ids: texts_read.extend(ids) or read_chunks(ids))

    passages = retriever.retrieve(VOLCANO, k=2)

    assert len(passages) == 2
    assert {p.chunk_id for p in passages} <= set(texts_read) and len(texts_read) <= 4  # texts of 2 * k at most
    assert [p.text for p in passages] == [read_chunks([p.chunk_id])[p.chunk_id].text for p in passages]


def test_scored__every_candidate_has_its_stored_vectors_cosine_read_for_the_keyword_only_ones(
    retriever, fake_embedder, monkeypatch
):
    store = retriever._store
    vectors_read: list[str] = []
    chunk_vectors = store.chunk_vectors
    monkeypatch.setattr(store, "chunk_vectors", lambda ids: vectors_read.extend(ids) or chunk_vectors(ids))
    retriever.fusion = FusionConfig(candidates=1)  # dense and BM25 each propose one: different ones

    scored = retriever.scored("rain valley")

    query = fake_embedder.embed_query("rain valley")
    stored = chunk_vectors([s.chunk_id for s in scored])
    assert {s.chunk_id for s in scored} == set(stored)  # every candidate exists
    for s in scored:
        assert s.cosine == pytest.approx(float(np.dot(stored[s.chunk_id], query)), abs=1e-6)
    keyword_only = [s.chunk_id for s in scored if s.dense_rank is None]
    assert keyword_only and any(s.dense_rank is not None for s in scored)
    assert sorted(vectors_read) == sorted(keyword_only)  # the dense search gave the others' cosines


def test_retrieve__skips_a_candidate_whose_chunk_is_gone_when_its_text_is_read(retriever, monkeypatch):
    store = retriever._store
    best = retriever.retrieve("river shelters families", k=1)[0]
    read_chunks = store.read_chunks
    monkeypatch.setattr(store, "read_chunks", lambda ids: {i: c for i, c in read_chunks(ids).items() if i != best.chunk_id})

    passages = retriever.retrieve("river shelters families", k=2)

    assert len(passages) == 2 and best.chunk_id not in {p.chunk_id for p in passages}


def test_document_texts__the_articles_a_search_checked_without_reading_them_again(retriever, monkeypatch):
    store = retriever._store
    passages = retriever.retrieve("river shelters families", k=3)
    stored = {p.doc_id: store.get_document(p.doc_id).text for p in passages}
    records_read: list[tuple[list[str], bool]] = []
    records_of = store._records_of

    def recorded(doc_ids, action, *, with_texts=False):
        doc_ids = list(doc_ids)
        records_read.append((doc_ids, with_texts))
        return records_of(doc_ids, action, with_texts=with_texts)

    monkeypatch.setattr(store, "_records_of", recorded)
    searched = {p.doc_id: version_of(p.chunk_id) for p in passages}
    assert len(searched) >= 2

    texts = store.document_texts(searched)

    assert records_read == []  # the search read them with the records it checked
    for p in passages:
        assert texts[p.doc_id] == stored[p.doc_id]
        assert texts[p.doc_id][p.start : p.end] == p.text
    # Another version than the search read (re-ingested since, say): the stored text, read.
    doc_id = passages[0].doc_id
    assert store.document_texts({doc_id: "another-version"}) == {doc_id: texts[doc_id]}
    assert records_read == [([doc_id], True)]
    assert store.document_texts({"nope": "v"}) == {}


def test_committed_versions__a_search_over_articles_already_kept_reads_their_records_alone(retriever, monkeypatch):
    store = retriever._store
    first = retriever.retrieve("river shelters families", k=3)
    records_read: list[bool] = []
    records_of = store._records_of

    def recorded(doc_ids, action, *, with_texts=False):
        records_read.append(with_texts)
        return records_of(doc_ids, action, with_texts=with_texts)

    monkeypatch.setattr(store, "_records_of", recorded)

    again = retriever.retrieve("river shelters families", k=3)  # a next question about the same articles

    assert again == first and records_read and not any(records_read)  # their texts kept: not read again
    reads = len(records_read)
    texts = store.document_texts({p.doc_id: version_of(p.chunk_id) for p in again})
    assert len(records_read) == reads  # ... and served from what was kept
    assert all(texts[p.doc_id][p.start : p.end] == p.text for p in again)
    # A document among them whose text is not kept: the texts read with the records again.
    store.committed_versions([p.doc_id for p in again] + ["not-kept"], with_texts=True)
    assert records_read[-1] is True


def test_synced_bm25__a_reader_after_a_kill_and_the_writer_after_repair_reuse_the_cache(
    retriever, settings, fake_embedder, monkeypatch
):
    store = retriever._store
    cache = settings.data_dir / "bm25"
    written = Bm25Index.load(cache)  # saved by the ingest that built the index
    assert written is not None and written.stamp == stamp_of(store.chunk_ids())
    _write_chunks_only(store, fake_embedder, "volcano", VOLCANO, "v1")
    _write_chunks_only(store, fake_embedder, "match", REPLAY, "v2")
    assert len(store.committed_chunk_ids()) == len(store.chunk_ids()) - 2

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the BM25 index was rebuilt although its committed chunks did not change")

    monkeypatch.setattr(Bm25Index, "build", no_rebuild)
    assert synced_bm25(store, cache).stamp == written.stamp  # a reader, orphans on disk
    started = store.start_writing()  # the next writer: the index says WRITING, so it repairs first
    assert not started.clean
    assert sorted(store.committed_chunk_ids()) == sorted(store.chunk_ids()) == sorted(written.chunk_ids)
    assert bm25_after_writing(store, cache, started).stamp == written.stamp


# -- BM25 tokenisation and scoring ------------------------------------------------------


def test_tokenize__drops_question_words_folds_accents_stems_and_keeps_numbers():
    assert tokenize_one("How many soldiers were captured, and when?") == ["mani", "soldier", "captur"]
    assert tokenize_one("Genève") == tokenize_one("geneve") == ["genev"]
    assert tokenize_one("aged 20 and 26, in 1 day") == ["age", "20", "26", "1", "day"]


def test_bm25__full_match_score_bounds_a_normal_match():
    index = Bm25Index.build(
        ["a::v::0", "b::v::0", "c::v::0"],
        ["the river rose two metres", "the council passed the budget", "the captain scored late"],
    )
    scores = index.scores("river metres")
    full = index.full_match_score("river metres")
    assert full > 0 and 0 < scores[0] <= full * 1.05 and scores[1] == scores[2] == 0
    # a word no chunk has still counts in the full match: half the question is unmatched
    assert index.full_match_score("river zebra") > index.full_match_score("river")
    assert index.full_match_score("what was it") == 0.0


def test_bm25__cache_from_another_tokenizer_version_is_rebuilt(tmp_path):
    index = Bm25Index.build(["a::v::0"], ["the river rose"])
    index.save(tmp_path / "bm25")
    assert Bm25Index.load(tmp_path / "bm25") is not None
    generation = tmp_path / "bm25" / (tmp_path / "bm25" / "CURRENT").read_text().strip()
    (generation / "tokenizer.json").write_text(json.dumps({"version": "0"}))
    assert Bm25Index.load(tmp_path / "bm25") is None
    (generation / "tokenizer.json").unlink()
    assert Bm25Index.load(tmp_path / "bm25") is None


# -- the benchmark's hit rule ------------------------------------------------------------


def test_squad_hit_rule_and_scores():
    q = Question("1", "Who?", "Normans", ((100, 110), (150, 160)))
    assert is_hit(Span("Normans", 0, 101), q) and is_hit(Span("Normans", 155, 400), q)
    assert not is_hit(Span("Normans", 110, 150), q)  # [start, end): touching is not overlapping
    assert not is_hit(Span("Other", 0, 1000), q)
    assert first_hit_rank([Span("Other", 0, 999), Span("Normans", 90, 120)], q) == 2
    result = score([1, 2, None, 11])
    assert result["hit@1"] == 0.25 and result["hit@5"] == 0.5 and result["hit@10"] == 0.5
    assert result["mrr@10"] == pytest.approx((1 + 0.5) / 4, abs=1e-4)


# -- paraphrased questions about the seed articles, real model --------------------------

UKRAINE = "ukraine-captures"
NORTH_KOREA = "north-korea-confirms"
# (question with little word overlap, article, a phrase of the passage that answers it)
PARAPHRASES = [
    ("How old were the captured troops?", UKRAINE, "aged 20 and 26"),
    ("Which country's spies helped question the prisoners?", UKRAINE, "facilitated by South Korean intelligence"),
    ("Where are the wounded prisoners being treated?", UKRAINE, "receiving medical treatment in Kyiv"),
    ("What exchange did Zelensky propose for the captives?", UKRAINE, "offered a prisoner swap"),
    ("What did a prisoner say his commanders had told him before he left?", UKRAINE,
     "going to do training like an actual battle"),
    ("How many of Pyongyang's fighters died or were hurt, according to Seoul's spy agency?", UKRAINE,
     "2,700 wounded"),
    ("How did the Kremlin react to the accusations last autumn?", UKRAINE, "another piece of fake news"),
    ("What trick are the fighters learning against unmanned aircraft, according to the Australian ex-general?",
     UKRAINE, "decoys for drones"),
    ("Which paper carried Pyongyang's admission?", NORTH_KOREA, "state-run Rodong Sinmun newspaper"),
    ("What memorial did the leader promise to build?", NORTH_KOREA, "erect a monument in Pyongyang"),
    ("How did Washington respond to the admission?", NORTH_KOREA, "State Department swiftly responded"),
    ("What might the regime get back for helping Moscow?", NORTH_KOREA,
     "economic aid and potentially weapons technology"),
    ("How did soldiers avoid being taken alive?", NORTH_KOREA, "grenades to commit suicide"),
    ("Did Kyiv accept the claim that the area had been retaken?", NORTH_KOREA, "disputed Putin"),
    ("What treaty binds the two countries to defend each other?", NORTH_KOREA, "comprehensive strategic pact"),
    ("Where did one of the captives want to stay?", UKRAINE, "desire to remain in Ukraine"),
    ("What papers did the prisoners have on them?", UKRAINE, "carried a Russian military I.D."),
]


def _paraphrase_ranks(retriever: HybridRetriever) -> list[int | None]:
    documents = {d: retriever._store.get_document(d) for d in retriever._store.stored_documents()}
    ranks = []
    for question, article, phrase in PARAPHRASES:
        doc_id = next(d for d in documents if article in d)
        start = documents[doc_id].text.index(phrase)
        gold = Question(question, question, doc_id, ((start, start + len(phrase)),))
        passages = retriever.retrieve(question, k=10)
        ranks.append(first_hit_rank([Span(p.doc_id, p.start, p.end) for p in passages], gold))
    return ranks


def test_paraphrased_questions_find_their_passage_with_the_real_model(tmp_path, real_embedder, record_property):
    articles = tmp_path / "seeds"
    shutil.copytree(SEEDS, articles)
    settings = Settings(data_dir=tmp_path / "index")
    ingest_paths([articles], settings, embedder=real_embedder)
    ours = _paraphrase_ranks(make_retriever(settings, real_embedder))
    dense = _paraphrase_ranks(make_retriever(settings, real_embedder, FusionConfig(bm25_weight=0.0)))
    at3 = [r is not None and r <= 3 for r in ours]
    def mrr(ranks):
        return sum(1 / r for r in ranks if r) / len(ranks)

    report = f"hit@3 {sum(at3)}/{len(at3)}, MRR@10 {mrr(ours):.3f} (dense alone {mrr(dense):.3f})"
    record_property("paraphrases", report)
    print(report, "misses:", [q for (q, _, _), hit in zip(PARAPHRASES, at3) if not hit])
    assert sum(at3) >= math.ceil(0.7 * len(at3)), report
    assert mrr(ours) >= mrr(dense) - 1e-9, report  # the keyword side must not cost paraphrases


@pytest.mark.slow
def test_retrieval_benchmark_on_a_tiny_corpus(tmp_path):
    from click.testing import CliRunner

    from eval import bench

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    rows = [
        {"id": "q1", "question": "How far did the river rise?", "doc_id": "floods", "answerable": True,
         "answers": [{"text": "two metres", "start": FLOODS.index("two metres"),
                      "end": FLOODS.index("two metres") + 10}]},
        {"id": "q2", "question": "Who won the final?", "doc_id": "match", "answerable": False, "answers": []},
    ]
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(bench.cli, ["retrieval", "--corpus", str(corpus), "--questions", str(questions)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["questions"] == 1
    assert set(payload["results"]) == {"ours", "dense", "bm25", "rrf", "llamaindex_vector", "llamaindex_fusion"}
    assert payload["results"]["ours"]["hit@1"] == 1.0
