"""Incremental, idempotent ingest into a real Chroma in a temp dir (fake embedder)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest import Duplicate, ingest_paths
from rag.index.bm25 import Bm25Index, stamp_of
from rag.errors import IndexLockedError, IndexMismatchError, InvalidInputError
from rag.index.lock import write_lock
from tests.fakes import FakeEmbedder
from tests.helpers import assert_consistent, chunks_by_doc, copy_seeds, open_store

UKRAINE = "articles/ukraine-captures-two-north-korean-soldiers-exposing-alliance-with-russia.txt"
NORTH_KOREA = "articles/north-korea-confirms-sending-troops-to-russia-to-fight-in-ukraine-war.txt"


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    copy_seeds(tmp_path / "articles")
    return tmp_path / "articles"


def test_ingest__second_run_embeds_nothing_and_says_unchanged(articles, settings, fake_embedder):
    first = ingest_paths([articles], settings, embedder=fake_embedder)
    assert sorted(first.new) == sorted([UKRAINE, NORTH_KOREA])
    assert first.ok and first.chunks_written == first.chunks_total > 0
    fake_embedder.embedded.clear()

    second = ingest_paths([articles], settings, embedder=fake_embedder)

    assert fake_embedder.embedded == []
    assert second.new == () and second.updated == () and len(second.unchanged) == 2
    assert second.summary().startswith("0 new, 0 updated, 2 unchanged, 0 failed")
    assert second.chunks_total == first.chunks_total


def test_ingest__chunks_have_exact_offsets_and_metadata(articles, settings, fake_embedder):
    ingest_paths([articles], settings, embedder=fake_embedder)
    store = open_store(settings, fake_embedder.name)
    assert_consistent(store)
    document = store.get_document(NORTH_KOREA)
    assert document.title == "North Korea confirms sending troops to Russia to fight in Ukraine war"
    assert document.metadata["authors"] == "Anna Fadiah; Hayu Andini"
    assert "ZoyaPatel" not in document.text and "Ahmedabad" not in document.text
    for key in ("doc_id", "title", "source", "source_file", "content_hash", "version", "ingested_at"):
        assert key in document.metadata
    for _, _, metadata in chunks_by_doc(store)[NORTH_KOREA]:
        assert metadata["authors"] == "Anna Fadiah; Hayu Andini"
        assert metadata["content_hash"] == document.metadata["content_hash"]


def test_ingest__changed_file_replaces_its_old_chunks(articles, settings, fake_embedder):
    ingest_paths([articles], settings, embedder=fake_embedder)
    path = articles / Path(UKRAINE).name
    path.write_text(path.read_text(encoding="utf-8") + "\nA new closing paragraph was added.\n", encoding="utf-8")

    report = ingest_paths([articles], settings, embedder=fake_embedder)

    assert report.updated == (UKRAINE,) and report.unchanged == (NORTH_KOREA,)
    store = open_store(settings, fake_embedder.name)
    assert_consistent(store)
    new_text = store.get_document(UKRAINE).text
    assert "A new closing paragraph was added." in new_text
    assert all(text in new_text for _, text, _ in chunks_by_doc(store)[UKRAINE])


def test_ingest__prune_removes_documents_whose_files_are_gone(articles, settings, fake_embedder):
    ingest_paths([articles], settings, embedder=fake_embedder)
    (articles / Path(UKRAINE).name).unlink()

    kept = ingest_paths([articles], settings, embedder=fake_embedder)
    assert kept.pruned == () and kept.documents_total == 2

    pruned = ingest_paths([articles], settings, embedder=fake_embedder, prune=True)
    assert pruned.pruned == (UKRAINE,) and pruned.documents_total == 1
    store = open_store(settings, fake_embedder.name)
    assert set(chunks_by_doc(store)) == {NORTH_KOREA}
    assert_consistent(store)


def test_ingest__prune_keeps_documents_of_files_that_now_fail(articles, settings, fake_embedder):
    ingest_paths([articles], settings, embedder=fake_embedder)
    (articles / Path(UKRAINE).name).write_bytes(b"\xff\xfe not utf-8 any more")

    report = ingest_paths([articles], settings, embedder=fake_embedder, prune=True)

    assert report.failed == 1 and "not valid UTF-8" in report.problems[0].message
    assert report.pruned == () and report.documents_total == 2


def test_ingest__same_article_under_two_paths_is_indexed_once(articles, settings, fake_embedder):
    shutil.copy(articles / Path(UKRAINE).name, articles / "copy-of-the-same-article.txt")
    report = ingest_paths([articles], settings, embedder=fake_embedder)
    # Files are read in sorted order, so the copy is met first and owns the text.
    assert report.duplicates == (Duplicate(UKRAINE, "articles/copy-of-the-same-article.txt"),)
    assert report.documents_total == 2 and "copy-of-the-same-article" in " ".join(report.new)


def test_ingest__moved_file_is_kept_when_pruning(articles, settings, fake_embedder):
    ingest_paths([articles], settings, embedder=fake_embedder)
    (articles / Path(UKRAINE).name).rename(articles / "moved.txt")

    report = ingest_paths([articles], settings, embedder=fake_embedder, prune=True)

    assert report.new == ("articles/moved.txt",) and report.pruned == (UKRAINE,)
    store = open_store(settings, fake_embedder.name)
    assert set(store.stored_documents()) == {"articles/moved.txt", NORTH_KOREA}


def test_ingest__bad_files_are_reported_and_the_rest_ingested(tmp_path, settings, fake_embedder, monkeypatch):
    folder = tmp_path / "mixed"
    copy_seeds(folder)
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (folder / "latin1.txt").write_bytes(b"Caf\xe9 au lait \x81")  # 0x81: undefined in Windows-1252
    (folder / "locked.txt").write_text("A perfectly fine article that cannot be read.", encoding="utf-8")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = ingest_paths([folder, tmp_path / "missing"], settings, embedder=fake_embedder)

    messages = {Path(p.path).name: p.message for p in report.problems}
    assert messages == {
        "empty.txt": "empty file",
        "binary.txt": "binary file, not text",
        "latin1.txt": "not valid UTF-8 (byte 3) nor Windows-1252 (byte 13): re-save the file as UTF-8",
        "locked.txt": "cannot read file: Permission denied",
        "missing": "no such file or folder",
    }
    assert len(report.new) == 2 and report.ignored_files == 1 and not report.ok


def test_ingest__the_size_limit_bounds_each_json_line_not_the_feed(tmp_path, settings, fake_embedder):
    """RAG_MAX_FILE_MB bounds one article: a .txt file, but each line of a JSON Lines feed
    (a feed of thousands of articles is far larger than any one of them)."""
    limit = settings.model_copy(update={"max_file_mb": 0.001})  # 1,000 bytes
    feed = tmp_path / "feed.jsonl"
    lines = [json.dumps({"id": f"n{i}", "text": f"Story {i}: the council met on Monday about the harbour."})
             for i in range(40)]
    lines.insert(7, json.dumps({"id": "big", "text": "word " * 400}))
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert feed.stat().st_size > 3_000
    (tmp_path / "long.txt").write_text("Long story\n\n" + "The council met. " * 100, encoding="utf-8")

    report = ingest_paths([feed, tmp_path / "long.txt"], limit, embedder=fake_embedder)

    assert len(report.new) == 40 and "big" not in report.new
    assert [(p.line, p.message) for p in report.problems if p.line] == [
        (8, "line is 0.0 MB, over the 0.0 MB limit (RAG_MAX_FILE_MB)")]
    assert any(p.path.endswith("long.txt") and "over the 0.0 MB limit" in p.message for p in report.problems)


def test_ingest__jsonl_bad_lines_are_reported_with_line_numbers(tmp_path, settings, fake_embedder):
    feed = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a1", "text": "Seoul said 300 soldiers died.", "title": "Losses",
                    "published": "January 13, 2025", "authors": ["Jane Roe", "Ann Poe"],
                    "url": "https://example.org/a1"}),
        "{not json",
        json.dumps({"title": "no text here"}),
        json.dumps(["a", "list"]),
        json.dumps({"text": "An article without an id.\n\n  Kept exactly as given.  "}),
    ]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = ingest_paths([feed], settings, embedder=fake_embedder)

    assert [(p.line, p.message) for p in report.problems] == [
        (2, "invalid JSON: Expecting property name enclosed in double quotes"),
        (3, "missing required field 'text'"),
        (4, "each line must be a JSON object"),
    ]
    assert report.new == ("a1", "feed.jsonl#5")
    store = open_store(settings, fake_embedder.name)
    first = store.get_document("a1")
    assert first.title == "Losses" and first.source == "https://example.org/a1"
    assert first.metadata["published"] == "2025-01-13" and first.metadata["authors"] == "Jane Roe; Ann Poe"
    assert store.get_document("feed.jsonl#5").text == "An article without an id.\n\n  Kept exactly as given.  "


def test_ingest__html_keeps_visible_article_text_only(tmp_path, settings, fake_embedder):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Kursk | Daily</title><script>var tracking = 1;</script></head><body>"
        "<nav>Home World Sport</nav><article><h1>Troops in Kursk</h1>"
        "<p>Ukraine captured two soldiers.</p><p>They were aged 20 and 26.</p></article>"
        "<footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    ingest_paths([page], settings, embedder=fake_embedder)
    document = open_store(settings, fake_embedder.name).get_document("page.html")
    assert document.text == "Troops in Kursk\n\nUkraine captured two soldiers.\n\nThey were aged 20 and 26."
    assert document.title == "Troops in Kursk"


def test_ingest__bm25_index_matches_chroma(articles, settings, fake_embedder):
    ingest_paths([articles], settings, embedder=fake_embedder)
    store = open_store(settings, fake_embedder.name)
    bm25 = Bm25Index.load(settings.data_dir / "bm25")
    assert bm25.stamp == stamp_of(store.chunk_ids())
    best_id = bm25.search("soldiers aged 20 and 26", k=1)[0].chunk_id
    assert best_id.startswith(UKRAINE)


def test_ingest__new_chunk_settings_rechunk_everything(articles, settings, fake_embedder):
    ingest_paths([articles], settings, embedder=fake_embedder)
    smaller = settings.model_copy(update={"chunk_tokens": 80})
    report = ingest_paths([articles], smaller, embedder=fake_embedder)
    assert len(report.updated) == 2
    store = open_store(settings, fake_embedder.name)
    assert_consistent(store)
    assert report.chunks_total == report.chunks_written > 13


def test_ingest__other_embedding_model_is_refused(articles, settings, fake_embedder):
    ingest_paths([articles], settings, embedder=fake_embedder)
    with pytest.raises(IndexMismatchError, match="fake-embedder"):
        ingest_paths([articles], settings, embedder=FakeEmbedder(name="another-model"))
    assert open_store(settings, fake_embedder.name).count_documents() == 2


def test_ingest__refused_while_another_writer_holds_the_lock(articles, settings, fake_embedder):
    with write_lock(settings.data_dir):
        with pytest.raises(IndexLockedError, match=str(settings.data_dir)):
            ingest_paths([articles], settings, embedder=fake_embedder)
    assert ingest_paths([articles], settings, embedder=fake_embedder).ok


@pytest.mark.parametrize("paths", ["seeds/", [], ()])
def test_ingest__paths_must_be_a_non_empty_list(paths, settings):
    with pytest.raises(InvalidInputError, match="one or more files or folders"):
        ingest_paths(paths, settings)


def test_ingest__progress_ends_at_its_total_whatever_happened(tmp_path, settings, fake_embedder):
    feed = tmp_path / "feed.jsonl"
    rows = [{"id": "a", "text": "First."}, {"id": "a", "text": "Same id again."}, {"id": "b", "text": "First."}]
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    calls: list[tuple[int, int]] = []

    report = ingest_paths([feed], settings, embedder=fake_embedder, progress=lambda d, t: calls.append((d, t)))

    assert report.new == ("a",) and len(report.duplicates) == 1 and report.failed == 1
    assert "doc id 'a' appears twice" in report.problems[0].message
    assert calls[-1] == (3, 3) and calls[0][0] <= calls[-1][0]


def test_ingest__same_relative_data_dir_in_two_folders_is_two_indexes(tmp_path, monkeypatch, fake_embedder):
    from rag.config import Settings

    copy_seeds(tmp_path / "articles")
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path / "first")
    ingest_paths([tmp_path / "articles"], Settings(data_dir="index"), embedder=fake_embedder)
    monkeypatch.chdir(tmp_path / "second")
    report = ingest_paths([tmp_path / "articles"], Settings(data_dir="index"), embedder=fake_embedder)
    assert len(report.new) == 2  # not "unchanged": chromadb must not reuse the first folder's client


def _long_article(path: Path, sentences: int = 400) -> Path:
    path.write_text("Long Report\n\n" + " ".join(
        f"Paragraph {i} of the report says the harbour council met on day {i} to vote." for i in range(sentences)
    ), encoding="utf-8")
    return path


def test_ingest__text_progress_moves_inside_one_long_article(tmp_path, settings, fake_embedder, monkeypatch):
    import ingest.pipeline

    monkeypatch.setattr(ingest.pipeline, "EMBED_SLICE", 3)
    article = _long_article(tmp_path / "report.txt")
    documents: list[tuple[int, int]] = []
    text: list[tuple[int, int]] = []

    ingest_paths([article], settings, embedder=fake_embedder,
                 progress=lambda d, t: documents.append((d, t)), text_progress=lambda d, t: text.append((d, t)))

    assert documents == [(0, 1), (1, 1)]  # one article: the document count only starts and ends
    (total,) = {t for _, t in text}  # the article's text (its title line is not part of it)
    assert len(article.read_text(encoding="utf-8")) - 20 < total < len(article.read_text(encoding="utf-8"))
    inside = [d for d, _ in text if 0 < d < total]
    assert len(inside) >= 3, text  # it moved while the one article was embedded
    reported = [d for d, _ in text]
    assert reported == sorted(set(reported)) and text[-1] == (total, total)  # each report moves it on


def test_ingest__a_batch_is_embedded_longest_first_and_each_vector_stays_with_its_chunk(
    tmp_path, settings, fake_embedder, monkeypatch
):
    import ingest.pipeline
    from ingest.pipeline import passage_for_embedding

    monkeypatch.setattr(ingest.pipeline, "EMBED_SLICE", 4)
    records = tmp_path / "records.jsonl"
    lengths = [3, 20, 7, 15, 1, 19, 12, 10, 5, 17]  # sentences per one-chunk record, shuffled
    records.write_text("".join(json.dumps({
        "id": f"r{n}", "title": f"Record {n}",
        "text": " ".join(f"Record {n} says fact {i} about the harbour." for i in range(count)),
    }) + "\n" for n, count in enumerate(lengths)), encoding="utf-8")

    ingest_paths([records], settings, embedder=fake_embedder)

    sent = [len(passage) for passage in fake_embedder.embedded]
    assert len(sent) == len(lengths) and sent == sorted(sent, reverse=True)  # one batch, longest first
    store = open_store(settings, fake_embedder.name)
    chunks, vectors = store.read_chunks(store.chunk_ids()), store.chunk_vectors(store.chunk_ids())
    assert len(chunks) == len(vectors) == len(lengths)
    for chunk in chunks.values():
        expected = fake_embedder.embed_documents([passage_for_embedding(str(chunk.metadata["title"]), chunk.text)])[0]
        assert vectors[chunk.chunk_id] == pytest.approx(expected, abs=1e-6), chunk.chunk_id


def test_ingest__slices_embedded_apart_stay_with_their_own_chunks(tmp_path, settings, fake_embedder, monkeypatch):
    import ingest.pipeline
    from ingest.pipeline import passage_for_embedding

    monkeypatch.setattr(ingest.pipeline, "EMBED_SLICE", 3)
    ingest_paths([_long_article(tmp_path / "report.txt")], settings, embedder=fake_embedder)

    store = open_store(settings, fake_embedder.name)
    chunks, vectors = store.read_chunks(store.chunk_ids()), store.chunk_vectors(store.chunk_ids())
    assert len(chunks) == len(vectors) > 6  # more than two slices
    for chunk in chunks.values():
        expected = fake_embedder.embed_documents([passage_for_embedding(str(chunk.metadata["title"]), chunk.text)])[0]
        assert vectors[chunk.chunk_id] == pytest.approx(expected, abs=1e-6), chunk.chunk_id
