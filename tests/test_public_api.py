"""The curated public API is pinned, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

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
        "Chunk",
        "Citation",
        "ConfigurationError",
        "Document",
        "DocumentNotFoundError",
        "Embedder",
        "EmptyIndexError",
        "Evidence",
        "Fact",
        "Filters",
        "IndexLockedError",
        "IndexMismatchError",
        "InputTooLargeError",
        "InvalidInputError",
        "LLMError",
        "ModelError",
        "ModelIntegrityError",
        "Passage",
        "PieceVectors",
        "RagError",
        "Settings",
        "StoreError",
        "Support",
        "Turn",
        "Verdict",
        "__version__",
        "ask",
        "ask_stream",
        "build_chat_model",
        "build_embedder",
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
