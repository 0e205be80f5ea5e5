"""The writer state marker and the BM25 generation record: a write after a clean one never
lists the whole index, and anything unclean or unseen falls back to the full repair and the
full BM25 comparison (real Chroma in temp dirs, fake embedder).

What must keep holding throughout: keyword search covers exactly the committed chunks, and
chunks a killed writer left uncommitted never count.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import rag
from ingest import ingest_paths, remove_documents
from rag.index.bm25 import Bm25Index, bm25_for_reader, stamp_of
from rag.index.store import (
    CHANGES_KEY,
    CLEAN,
    DEMO_KEY,
    EMBED_MODEL_KEY,
    WRITER_STATE_KEY,
    WRITING,
    IndexState,
    IndexStore,
    chunk_id_for,
    new_generation,
)
from rag.types import Chunk
from tests.chroma_server import chroma_server  # noqa: F401  (fixture)
from tests.fakes import FakeEmbedder
from tests.helpers import assert_consistent, copy_seeds, open_store

HARBOUR = "Harbour reopens\n\nThe harbour of Port Ellis reopened on Tuesday after a storm closed it for nine days.\n"
GLACIER = "Glacier retreats\n\nThe Vantor glacier lost 31 metres of ice this summer, surveyors in Kelby said.\n"
VOLCANO = "The Ormsby volcano erupted at dawn and ash fell on the village of Tallow."
ASH = "Ash from the Ormsby eruption closed the airport at Brenmoor for three days."

# What a write must not do once the index is clean: list every chunk id or every record.
FULL_SCANS = ("repair", "chunk_ids", "committed_chunk_ids", "stored_documents", "documents")


@pytest.fixture
def scans(monkeypatch) -> Counter[str]:
    """Counts the calls of the IndexStore methods that read the whole index."""
    calls: Counter[str] = Counter()
    for name in FULL_SCANS:
        real = getattr(IndexStore, name)

        def counted(self, *args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(IndexStore, name, counted)
    return calls


def write_article(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def ingest(paths, settings, embedder, **kwargs):
    report = ingest_paths(paths, settings, embedder=embedder, **kwargs)
    assert report.ok, report.problems
    return report


def assert_bm25_is_the_committed_chunks(settings, store: IndexStore) -> Bm25Index:
    """The cache on disk holds exactly the committed chunks, scored as a fresh build scores them,
    and records the generation the store published."""
    cached = Bm25Index.load(settings.data_dir / "bm25")
    assert cached is not None
    committed = store.committed_chunk_ids()
    assert sorted(cached.chunk_ids) == sorted(committed)
    texts = store.chunk_texts(committed)
    fresh = Bm25Index.build(committed, [texts[c] for c in committed])
    for query in ("harbour storm", "glacier ice", "soldiers captured"):
        got = dict(zip(cached.chunk_ids, cached.scores(query)))
        np.testing.assert_allclose([got[c] for c in committed], fresh.scores(query), rtol=1e-5, atol=1e-6)
    state = store.index_state()
    assert state.clean and cached.store_generation == state.generation
    return cached


@pytest.fixture
def seeded(tmp_path, settings, fake_embedder):
    """An index of the demo articles, written (and so marked clean) by one ingest."""
    ingest([copy_seeds(tmp_path / "seeds")[0].parent], settings, fake_embedder)
    return settings


def simulate_killed_write(settings, embedder) -> tuple[str, str]:
    """A writer that commits one document, then dies between the next one's chunks and its
    record, as a SIGKILL there leaves it: the index marked WRITING at the old generation, the
    first document committed (and published to nobody), the second one's chunk on disk with
    no record. (the committed chunk id, the orphan chunk id)"""
    store = open_store(settings, embedder.name)
    store.start_writing()
    committed = _write(store, embedder, "ash", ASH)

    class Killed(BaseException):  # as abrupt as a signal: nothing catches it
        pass

    class DiesOnRecord:
        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            if name == "upsert":
                raise Killed
            return getattr(self._inner, name)

    store._docs = DiesOnRecord(store._docs)  # type: ignore[assignment]
    with pytest.raises(Killed):
        _write(store, embedder, "volcano", VOLCANO)
    return committed, chunk_id_for("volcano", "v1", 0)


def _write(store: IndexStore, embedder, doc_id: str, text: str) -> str:
    """Write a one-chunk document through the store (marks WRITING first); its chunk id."""
    chunk = Chunk(chunk_id_for(doc_id, "v1", 0), doc_id, 0, text, 0, len(text))
    store.write_document(text, {"doc_id": doc_id, "title": doc_id, "content_hash": "h", "version": "v1",
                                "source_file": f"/elsewhere/{doc_id}.txt"}, [chunk], embedder.embed_documents([text]))
    return chunk.chunk_id


# -- (a) a clean write lists nothing ------------------------------------------------------


def test_ingest_after_a_clean_one__neither_repairs_nor_lists_the_index(seeded, tmp_path, fake_embedder, scans):
    store = open_store(seeded, fake_embedder.name)
    assert store.index_state().writer_state == CLEAN
    scans.clear()
    report = ingest([write_article(tmp_path / "more", "harbour.txt", HARBOUR)], seeded, fake_embedder)
    assert report.new == ("harbour.txt",)
    assert sum(scans.values()) == 0, scans  # no repair, no BM25 comparison, no listing for the plan
    scans.clear()
    cached = assert_bm25_is_the_committed_chunks(seeded, store)
    assert cached.search("Port Ellis harbour", 1)[0].chunk_id.startswith("harbour.txt::")


def test_reader_refresh_after_a_clean_write__lists_nothing_and_finds_the_new_article(
    seeded, tmp_path, fake_embedder, scans
):
    assistant = rag.Assistant(seeded, embedder=fake_embedder, auto_seed=False)
    assistant.retrieve("captured soldiers")  # opens the index: the cache is the writer's, as it is
    assert sum(scans.values()) == 0, scans
    ingest([write_article(tmp_path / "more", "harbour.txt", HARBOUR)], seeded, fake_embedder)
    scans.clear()
    assistant.refresh()
    assert sum(scans.values()) == 0, scans
    assert assistant._bm25 is not None
    assert assistant._bm25.search("Port Ellis harbour", 1)[0].chunk_id.startswith("harbour.txt::")
    assert assistant.retrieve("Port Ellis harbour storm", k=1)[0].doc_id == "harbour.txt"


def test_update_and_remove_after_clean_writes__keep_bm25_exactly_the_committed_chunks(
    seeded, tmp_path, fake_embedder, scans
):
    folder = tmp_path / "more"
    ingest([write_article(folder, "harbour.txt", HARBOUR), write_article(folder, "glacier.txt", GLACIER)],
           seeded, fake_embedder)
    store = open_store(seeded, fake_embedder.name)
    old_harbour = {c for c in store.committed_chunk_ids() if c.startswith("harbour.txt::")}
    scans.clear()
    write_article(folder, "harbour.txt", HARBOUR + "\nShips queued for two days to enter the harbour.\n")
    assert ingest([folder / "harbour.txt"], seeded, fake_embedder).updated == ("harbour.txt",)
    assert remove_documents(["glacier.txt"], seeded, model_name=fake_embedder.name).removed == (
        "glacier.txt",)
    assert scans["repair"] == scans["chunk_ids"] == scans["committed_chunk_ids"] == 0, scans
    cached = assert_bm25_is_the_committed_chunks(seeded, store)
    assert not old_harbour & set(cached.chunk_ids)
    assert not [c for c in cached.chunk_ids if c.startswith("glacier.txt::")]


def test_ingest_that_changes_nothing__writes_no_marker_and_announces_nothing(seeded, tmp_path, fake_embedder):
    store = open_store(seeded, fake_embedder.name)
    before = store.index_state()
    writes: list[dict] = []
    real = IndexStore._update_metadata

    def spy(self, changes):
        writes.append(dict(changes))
        return real(self, changes)

    IndexStore._update_metadata = spy  # type: ignore[method-assign]
    try:
        assert ingest([tmp_path / "seeds"], seeded, fake_embedder).unchanged
    finally:
        IndexStore._update_metadata = real  # type: ignore[method-assign]
    assert writes == [] and store.index_state() == before


def test_writer_markers__keep_the_other_metadata_keys(seeded, fake_embedder):
    store = open_store(seeded, fake_embedder.name)
    store.set_demo_documents(["seeds/a.txt"])
    store.start_writing()
    store.delete_document("not-there")  # marks WRITING
    assert store.index_state().writer_state == WRITING
    store.finish_writing(new_generation())
    metadata = store._read_metadata()
    assert metadata[WRITER_STATE_KEY] == CLEAN and metadata[EMBED_MODEL_KEY] == fake_embedder.name
    assert metadata[DEMO_KEY] == '["seeds/a.txt"]' and metadata["schema"] == 1
    assert store.demo_documents() == {"seeds/a.txt"}


# -- (b) a dead writer: the next one repairs ----------------------------------------------


def test_killed_writer__leaves_the_marker_and_the_next_ingest_repairs(seeded, tmp_path, fake_embedder, scans):
    store = open_store(seeded, fake_embedder.name)
    generation = store.generation()
    committed, orphan = simulate_killed_write(seeded, fake_embedder)
    assert store.index_state() == IndexState(generation, WRITING)
    assert orphan in store.chunk_ids() and orphan not in store.committed_chunk_ids()

    # A reader meanwhile (it never repairs) does not take the cache of that generation for the
    # committed chunks: it has the killed writer's committed document, never its orphan.
    reader = rag.Assistant(seeded, embedder=fake_embedder, auto_seed=False)
    reader.retrieve(VOLCANO)
    assert reader._bm25 is not None
    assert sorted(reader._bm25.chunk_ids) == sorted(store.committed_chunk_ids())
    assert committed in reader._bm25.chunk_ids and orphan not in reader._bm25.chunk_ids

    scans.clear()
    ingest([write_article(tmp_path / "more", "harbour.txt", HARBOUR)], seeded, fake_embedder)
    assert scans["repair"] == 1, scans
    assert orphan not in store.chunk_ids()
    assert_consistent(store)
    assert committed in assert_bm25_is_the_committed_chunks(seeded, store).chunk_ids
    assert store.generation() != generation  # readers hear of the killed writer's document too
    scans.clear()
    ingest([write_article(tmp_path / "more", "glacier.txt", GLACIER)], seeded, fake_embedder)
    assert scans["repair"] == 0, scans


def test_killed_between_bm25_save_and_publish__readers_and_the_next_writer_compare_in_full(
    seeded, tmp_path, fake_embedder, monkeypatch, scans
):
    store = open_store(seeded, fake_embedder.name)
    before = store.index_state()

    def killed(self, generation=None):
        raise KeyboardInterrupt  # the process dies here: the cache is saved, nothing published

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(IndexStore, "finish_writing", killed)
        ingest_paths([write_article(tmp_path / "more", "harbour.txt", HARBOUR)], seeded, embedder=fake_embedder)
    state = store.index_state()
    assert state == IndexState(before.generation, WRITING)
    cached = Bm25Index.load(seeded.data_dir / "bm25")
    assert cached is not None and cached.store_generation not in ("", before.generation)

    scans.clear()
    reader = bm25_for_reader(store, seeded.data_dir / "bm25", state)
    assert scans["committed_chunk_ids"] == 1  # compared in full: the cache is not trusted
    assert stamp_of(reader.chunk_ids) == stamp_of(store.committed_chunk_ids())
    ingest([write_article(tmp_path / "more", "glacier.txt", GLACIER)], seeded, fake_embedder)
    assert scans["repair"] == 1
    assert_bm25_is_the_committed_chunks(seeded, store)


# -- (c) an index from before the marker --------------------------------------------------


def test_index_without_the_marker__is_repaired_once_then_marked_clean(seeded, tmp_path, fake_embedder, scans):
    store = open_store(seeded, fake_embedder.name)
    _, orphan = simulate_killed_write(seeded, fake_embedder)
    metadata = dict(store._read_metadata())
    del metadata[WRITER_STATE_KEY]
    store._docs.modify(metadata=metadata)  # as an older version left it (with a half-written document)
    assert store.index_state().writer_state == ""

    scans.clear()
    assert ingest([tmp_path / "seeds"], seeded, fake_embedder).unchanged
    assert scans["repair"] == 1, scans
    assert orphan not in store.chunk_ids()
    assert store.index_state().writer_state == CLEAN
    assert_bm25_is_the_committed_chunks(seeded, store)
    scans.clear()
    ingest([write_article(tmp_path / "more", "harbour.txt", HARBOUR)], seeded, fake_embedder)
    assert scans["repair"] == 0, scans


def test_bm25_cache_from_before_the_generation_record__is_compared_in_full_once(
    seeded, tmp_path, fake_embedder, scans
):
    cache = seeded.data_dir / "bm25"
    old = Bm25Index.load(cache)
    assert old is not None
    old.save(cache)  # as an older version saved it: no store generation
    store = open_store(seeded, fake_embedder.name)
    scans.clear()
    bm25_for_reader(store, cache, store.index_state())
    assert scans["committed_chunk_ids"] == 1
    ingest([tmp_path / "seeds"], seeded, fake_embedder)  # a writer records it (nothing changed)
    assert Bm25Index.load(cache).store_generation == store.generation()  # type: ignore[union-attr]
    scans.clear()
    bm25_for_reader(store, cache, store.index_state())
    assert scans["committed_chunk_ids"] == 0


# -- (d) a write behind the cache's back --------------------------------------------------


def write_behind_the_cache(settings, embedder, doc_id: str, text: str) -> str:
    """Another app instance's ingest: a second IndexStore commits a document and publishes a
    generation, without this data dir's BM25 cache. The chunk id written."""
    other = open_store(settings, embedder.name)
    other.start_writing()
    chunk_id = _write(other, embedder, doc_id, text)
    other.finish_writing(new_generation())
    return chunk_id


def test_bm25_cache_at_a_stale_generation__is_fully_resynced(seeded, tmp_path, fake_embedder, scans):
    reader = rag.Assistant(seeded, embedder=fake_embedder, auto_seed=False)
    reader.retrieve("captured soldiers")
    behind = write_behind_the_cache(seeded, fake_embedder, "volcano", VOLCANO)
    # Two writes behind: the last writer's recorded changes start from a generation this
    # reader never saw, so they do not tell it what changed.
    write_behind_the_cache(seeded, fake_embedder, "ash", ASH)
    scans.clear()
    reader.refresh()
    assert scans["committed_chunk_ids"] == 1, scans
    assert reader._bm25 is not None and behind in reader._bm25.chunk_ids
    assert reader._bm25.search("Ormsby volcano Tallow", 1)[0].chunk_id == behind

    # This data dir's next writer must not take its stale cache for the committed chunks either.
    ingest([write_article(tmp_path / "more", "harbour.txt", HARBOUR)], seeded, fake_embedder)
    cached = assert_bm25_is_the_committed_chunks(seeded, open_store(seeded, fake_embedder.name))
    assert behind in cached.chunk_ids


# -- the document listing of a retriever --------------------------------------------------


def test_retriever__lists_the_documents_only_for_a_filter_and_again_after_a_refresh(
    seeded, tmp_path, fake_embedder, scans
):
    assistant = rag.Assistant(seeded, embedder=fake_embedder, auto_seed=False)
    assistant.retrieve("captured soldiers")
    assert scans["documents"] == 0
    ingest([write_article(tmp_path / "more", "harbour.txt", HARBOUR)], seeded, fake_embedder)
    assistant.refresh()
    assert scans["documents"] == 0
    passages = assistant.retrieve("Port Ellis harbour", k=3, filters={"doc_ids": ["harbour.txt"]})
    assert scans["documents"] == 1 and {p.doc_id for p in passages} == {"harbour.txt"}
    assistant.retrieve("Port Ellis harbour", k=3, filters={"doc_ids": ["harbour.txt"]})
    assert scans["documents"] == 1  # kept while the index is unchanged
    ingest([write_article(tmp_path / "more", "glacier.txt", GLACIER)], seeded, fake_embedder)
    assistant.refresh()
    passages = assistant.retrieve("Vantor glacier", k=3, filters={"doc_ids": ["glacier.txt"]})
    # The ingest recorded what it changed: the listing reads that document only.
    assert scans["documents"] == 1 and {p.doc_id for p in passages} == {"glacier.txt"}


# -- (e) a shared Chroma server -----------------------------------------------------------


def test_server_mode__a_reader_sees_another_instances_ingest_and_its_own_writer_catches_up(
    chroma_server, tmp_path  # noqa: F811
):
    embedder = FakeEmbedder()
    mine = chroma_server.settings(tmp_path / "app-a")
    theirs = chroma_server.settings(tmp_path / "app-b")  # another app instance: its own data dir
    ingest([copy_seeds(tmp_path / "seeds")[0].parent], mine, embedder)
    reader = rag.Assistant(mine, embedder=embedder, auto_seed=False)
    reader.GENERATION_CHECK_SECONDS = 0.0
    reader.retrieve("captured soldiers")

    ingest([write_article(tmp_path / "feed", "harbour.txt", HARBOUR)], theirs, embedder)
    passages = reader.retrieve("Port Ellis harbour storm", k=1)  # notices the new generation
    assert passages[0].doc_id == "harbour.txt"
    assert reader._bm25 is not None
    assert reader._bm25.search("Port Ellis harbour", 1)[0].chunk_id.startswith("harbour.txt::")

    # This instance's next ingest: its cache never saw that generation, so it compares in full.
    ingest([write_article(tmp_path / "mine", "glacier.txt", GLACIER)], mine, embedder)
    store = open_store(mine, embedder.name)
    cached = assert_bm25_is_the_committed_chunks(mine, store)
    assert [c for c in cached.chunk_ids if c.startswith("harbour.txt::")]


# -- the plan's look-ups ------------------------------------------------------------------


def test_small_ingest__finds_a_changed_source_by_its_key_when_none_of_its_names_is_its_doc_id(
    tmp_path, settings, fake_embedder, scans
):
    """Indexed through its folder as `news/harbour.txt`, then changed and ingested through the
    folder above (its names are now `top/news/harbour.txt`, ...): the run reads only the records
    it can match, and still updates that document rather than adding a second one."""
    path = write_article(tmp_path / "top" / "news", "harbour.txt", HARBOUR)
    assert ingest([tmp_path / "top" / "news"], settings, fake_embedder).new == ("news/harbour.txt",)
    path.write_text(HARBOUR + "\nShips queued for two days to enter the harbour.\n", encoding="utf-8")
    scans.clear()
    report = ingest([tmp_path / "top"], settings, fake_embedder)
    assert report.updated == ("news/harbour.txt",) and report.new == (), report.summary()
    assert scans["stored_documents"] == 0, scans
    assert set(open_store(settings, fake_embedder.name).stored_documents()) == {"news/harbour.txt"}


# -- (f) the changes a writer records, and readers that read only those --------------------


def assert_listing_is_the_stored_documents(assistant, store: IndexStore) -> None:
    listed = assistant.list_documents()
    assert listed == sorted(store.documents(), key=lambda d: d.title)


def test_recorded_changes__name_what_a_clean_write_touched_since_the_generation_it_started_from(
    seeded, tmp_path, fake_embedder
):
    store = open_store(seeded, fake_embedder.name)
    first = store.generation()
    folder = tmp_path / "more"
    ingest([write_article(folder, "harbour.txt", HARBOUR), write_article(folder, "glacier.txt", GLACIER)],
           seeded, fake_embedder)
    state = store.index_state()
    assert state.changed_after == first and state.changed_documents == {"harbour.txt", "glacier.txt"}
    assert state.changes_since(first) == {"harbour.txt", "glacier.txt"}
    assert state.changes_since(state.generation) == frozenset()
    assert state.changes_since("another") is None and state.changes_since(None) is None

    second = state.generation
    assert remove_documents(["glacier.txt"], seeded, model_name=fake_embedder.name).removed == ("glacier.txt",)
    assert store.index_state().changes_since(second) == {"glacier.txt"}
    assert store.index_state().changes_since(first) is None  # two writes ago: unknown

    store.publish_changes()  # a generation published without a record of what changed
    assert store.index_state().changes_since(store.generation()) == frozenset()
    assert store.index_state().changed_documents is None


def test_recorded_changes__none_after_a_repair_or_too_many_documents(seeded, tmp_path, fake_embedder, monkeypatch):
    store = open_store(seeded, fake_embedder.name)
    simulate_killed_write(seeded, fake_embedder)
    killed_at = store.generation()
    ingest([write_article(tmp_path / "more", "harbour.txt", HARBOUR)], seeded, fake_embedder)
    state = store.index_state()
    assert state.clean and state.changed_documents is None and state.changes_since(killed_at) is None

    monkeypatch.setattr("rag.index.store.MAX_RECORDED_CHANGES", 1)
    folder = tmp_path / "two"
    ingest([write_article(folder, "glacier.txt", GLACIER), write_article(folder, "ash.txt", ASH)],
           seeded, fake_embedder)
    assert store.index_state().changes_since(state.generation) is None
    ingest([write_article(tmp_path / "one", "volcano.txt", VOLCANO)], seeded, fake_embedder)
    assert store.index_state().changed_documents == {"volcano.txt"}


def test_recorded_changes__unreadable_values_mean_unknown():
    assert IndexState.from_metadata({"generation": "g", "writer_state": CLEAN, CHANGES_KEY: "{not json"}) == \
        IndexState("g", CLEAN)
    bad = '{"after": "f", "documents": [1, 2]}'
    assert IndexState.from_metadata({"generation": "g", "writer_state": CLEAN, CHANGES_KEY: bad}).changes_since("f") \
        is None
    good = '{"after": "f", "documents": ["a"]}'
    assert IndexState.from_metadata({"generation": "g", "writer_state": WRITING, CHANGES_KEY: good}).changes_since(
        "f") is None  # a writer is at work: nothing is known until it finishes
    assert IndexState.from_metadata({"generation": "g", "writer_state": CLEAN, CHANGES_KEY: good}).changes_since(
        "f") == {"a"}


def test_reader_after_recorded_changes__reads_only_those_documents_for_keywords_and_listing(
    seeded, tmp_path, fake_embedder, scans, monkeypatch
):
    """New, updated, moved and removed articles: the reader's keyword index and article listing
    follow each write without loading the BM25 cache or listing the index again."""
    loads: list[Path] = []
    real_load = Bm25Index.load.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(Bm25Index, "load", classmethod(lambda cls, d: loads.append(d) or real_load(cls, d)))
    assistant = rag.Assistant(seeded, embedder=fake_embedder, auto_seed=False)
    store = open_store(seeded, fake_embedder.name)
    assistant.retrieve("captured soldiers")
    assert_listing_is_the_stored_documents(assistant, store)
    folder = tmp_path / "more"
    harbour = write_article(folder, "harbour.txt", HARBOUR)
    steps = [
        lambda: ingest([harbour, write_article(folder, "glacier.txt", GLACIER)], seeded, fake_embedder),
        lambda: (harbour.write_text(HARBOUR + "\nShips queued for two days to enter the harbour.\n"),
                 ingest([harbour], seeded, fake_embedder)),
        lambda: remove_documents(["glacier.txt"], seeded, model_name=fake_embedder.name),
    ]
    for step in steps:
        step()
        loads.clear()
        scans.clear()
        assistant.refresh()
        assistant.list_documents()
        assert loads == [] and sum(scans.values()) == 0, (loads, scans)
        assert_listing_is_the_stored_documents(assistant, store)
        assert assistant._bm25 is not None
        assert sorted(assistant._bm25.chunk_ids) == sorted(store.committed_chunk_ids())
    assert assistant.retrieve("ships queued harbour", k=1)[0].doc_id == "harbour.txt"
    assert not assistant.retrieve("Vantor glacier", k=3, filters={"doc_ids": ["glacier.txt"]})


def test_reader_listing_after_a_move__shows_the_new_source(seeded, tmp_path, fake_embedder, scans):
    path = write_article(tmp_path / "a", "harbour.txt", HARBOUR)
    ingest([path], seeded, fake_embedder)
    assistant = rag.Assistant(seeded, embedder=fake_embedder, auto_seed=False)
    store = open_store(seeded, fake_embedder.name)
    before = {d.doc_id: d for d in assistant.list_documents()}["harbour.txt"]
    moved = tmp_path / "b" / "harbour.txt"
    moved.parent.mkdir()
    path.rename(moved)
    assert ingest([moved], seeded, fake_embedder).moved == ("harbour.txt",)
    scans.clear()
    after = {d.doc_id: d for d in assistant.list_documents()}["harbour.txt"]
    assert scans["documents"] == 0
    assert after.source_file != before.source_file and after == {d.doc_id: d for d in store.documents()}["harbour.txt"]


def test_reader_that_loaded_while_a_writer_was_at_work__catches_up_from_its_record(seeded, fake_embedder, scans):
    """The reader's index holds what was committed midway (one of the writer's two documents);
    the writer's record of both brings it exactly to the committed chunks."""
    store = open_store(seeded, fake_embedder.name)
    writer = open_store(seeded, fake_embedder.name)
    started = writer.start_writing()
    ash = _write(writer, fake_embedder, "ash", ASH)
    reader = rag.Assistant(seeded, embedder=fake_embedder, auto_seed=False)
    reader.retrieve("captured soldiers")
    assert reader._bm25 is not None and ash in reader._bm25.chunk_ids
    assert [d.doc_id for d in reader.list_documents() if d.doc_id == "ash"] == ["ash"]
    volcano = _write(writer, fake_embedder, "volcano", VOLCANO)
    writer.delete_document("ash")
    from rag.index.bm25 import bm25_after_writing

    bm25_after_writing(writer, seeded.data_dir / "bm25", started)
    assert store.index_state().changes_since(started.generation) == {"ash", "volcano"}
    scans.clear()
    reader.refresh()
    listed = [d.doc_id for d in reader.list_documents()]
    assert sum(scans.values()) == 0, scans
    assert "volcano" in listed and "ash" not in listed
    assert volcano in reader._bm25.chunk_ids and ash not in reader._bm25.chunk_ids
    assert sorted(reader._bm25.chunk_ids) == sorted(store.committed_chunk_ids())
    assert_listing_is_the_stored_documents(reader, store)
