"""The curated public API is pinned, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ingest
import rag


def test_rag_exports__are_pinned():
    assert rag.__all__ == [
        "Answer",
        "AnswerStream",
        "Article",
        "Assistant",
        "ChatMessage",
        "ChatModel",
        "ChromaUnavailableError",
        "Chunk",
        "Citation",
        "ConfigurationError",
        "Conversation",
        "Document",
        "DocumentInfo",
        "DocumentNotFoundError",
        "Embedder",
        "EmptyIndexError",
        "Evidence",
        "Fact",
        "FileProblem",
        "Filters",
        "IndexLockedError",
        "IndexMismatchError",
        "IngestReport",
        "InputTooLargeError",
        "InvalidInputError",
        "LLMError",
        "ModelError",
        "ModelIntegrityError",
        "Passage",
        "PieceVectors",
        "RagError",
        "ReadAhead",
        "Settings",
        "StoreError",
        "Support",
        "Turn",
        "Verdict",
        "__version__",
        "add",
        "ask",
        "ask_stream",
        "build_chat_model",
        "build_embedder",
        "conversation",
        "get_document",
        "retrieve",
        "seeds_dir",
    ]
    assert all(hasattr(rag, name) for name in rag.__all__)


def test_ingest_exports__are_pinned():
    assert ingest.__all__ == [
        "CleanArticle",
        "Duplicate",
        "FileProblem",
        "HtmlArticle",
        "Identified",
        "IngestReport",
        "RemoveReport",
        "Renamed",
        "Replaced",
        "SourceFile",
        "chunk_text",
        "clean_article",
        "discover",
        "extract_html",
        "ingest_paths",
        "load_articles",
        "passage_for_embedding",
        "remove_documents",
    ]
    assert all(hasattr(ingest, name) for name in ingest.__all__)


def test_types_shared_with_ingest__are_one_class_each():
    # rag names what `Assistant.add` returns and what the README says to catch; ingest and
    # rag.index.chroma keep their old import paths to the very same classes.
    from rag.index.chroma import ChromaUnavailableError

    assert ingest.IngestReport is rag.IngestReport and ingest.FileProblem is rag.FileProblem
    assert ChromaUnavailableError is rag.ChromaUnavailableError and issubclass(ChromaUnavailableError, rag.StoreError)


def test_py_typed__ships_with_the_package():
    from pathlib import Path

    assert (Path(rag.__file__).parent / "py.typed").is_file()


def test_citation__carries_its_passage_and_reads_its_fields_through_it():
    passage = rag.Passage("a.txt::v1::00002", "a.txt", "Fire", "wire", "Smoke rose. Two died.", 40, 61, 0.7)
    sentence = rag.Citation(2, passage, "Two died.", 52, 61, 0.93)
    assert sentence.passage is passage and sentence.chunk_id == "a.txt::v1::00002"
    assert (sentence.doc_id, sentence.title, sentence.source) == ("a.txt", "Fire", "wire")
    assert (sentence.text, sentence.start, sentence.end, sentence.score) == ("Two died.", 52, 61, 0.93)
    whole = rag.Citation.of_passage(1, passage)
    assert (whole.text, whole.start, whole.end, whole.score) == (passage.text, 40, 61, 0.7)
    assert whole == rag.Citation(1, passage, passage.text, 40, 61, 0.7) and whole != sentence
    assert sentence.to_dict() == {"n": 2, "doc_id": "a.txt", "title": "Fire", "source": "wire",
                                  "text": "Two died.", "start": 52, "end": 61, "score": 0.93}
    with pytest.raises(AttributeError):
        sentence.doc_id = "b.txt"  # type: ignore[misc]


def test_document_info__typed_from_a_document_record():
    full = rag.DocumentInfo.from_metadata({
        "doc_id": "news/a.txt", "title": "Fire", "source": "wire", "source_file": "/data/news/a.txt",
        "published": "2025-06-01", "authors": "Ann Lee; Bo Kim", "url": "https://example.org/a",
        "subheadline": "Smoke", "dateline": "KYIV", "chunk_count": 3, "ingested_at": "2025-06-02T00:00:00+00:00",
        "content_hash": "abc", "version": "v1", "published_day": 20240,
    })
    assert full == rag.DocumentInfo(
        doc_id="news/a.txt", title="Fire", source="wire", source_file="/data/news/a.txt", published="2025-06-01",
        authors=("Ann Lee", "Bo Kim"), url="https://example.org/a", subheadline="Smoke", dateline="KYIV",
        chunk_count=3, ingested_at="2025-06-02T00:00:00+00:00",
    )
    bare = rag.DocumentInfo.from_metadata({"doc_id": "b.txt"})
    assert bare == rag.DocumentInfo(doc_id="b.txt", title="b.txt", source="")
    assert bare.published is None and bare.authors == () and bare.chunk_count == 0


def test_errors__share_one_base_class():
    for name in rag.__all__:
        value = getattr(rag, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, rag.RagError)


def test_import_rag__loads_no_heavy_libraries():
    code = "import sys, rag; print(sorted(m for m in ('torch', 'chromadb', 'sentence_transformers', 'llama_index') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_seeds_dir__holds_the_two_demo_articles():
    names = sorted(p.name for p in rag.seeds_dir().glob("*.txt"))
    assert names == [
        "north-korea-confirms-sending-troops-to-russia-to-fight-in-ukraine-war.txt",
        "ukraine-captures-two-north-korean-soldiers-exposing-alliance-with-russia.txt",
    ]
