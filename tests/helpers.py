"""Small helpers shared by the ingest tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import SEEDS


def copy_seeds(target: Path) -> list[Path]:
    """The two demo articles copied into `target`, which is created."""
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(p, target / p.name)) for p in sorted(SEEDS.glob("*.txt"))]


def open_store(settings, model_name: str):
    from rag.index.chroma import make_chroma_client
    from rag.index.store import IndexStore

    return IndexStore(make_chroma_client(settings), settings, model_name)


def chunks_by_doc(store) -> dict[str, list[tuple[str, str, dict]]]:
    found: dict[str, list[tuple[str, str, dict]]] = {}
    for chunk in store.iter_chunks():
        found.setdefault(str(chunk.metadata["doc_id"]), []).append((chunk.chunk_id, chunk.text, dict(chunk.metadata)))
    return found


def assert_consistent(store) -> None:
    """Every record's chunks are all there, exactly, and no chunk lacks a record."""
    documents = store.stored_documents()
    by_doc = chunks_by_doc(store)
    assert set(by_doc) == set(documents)
    for doc_id, chunks in by_doc.items():
        stored = documents[doc_id]
        assert len(chunks) == stored.chunk_count
        assert {m["version"] for _, _, m in chunks} == {stored.version}
        text = store.get_document(doc_id).text
        for _, chunk_text, metadata in chunks:
            assert text[metadata["start"] : metadata["end"]] == chunk_text


def seeded_settings(tmp_path_factory, name: str):
    """Settings of a fresh index holding the demo articles, embedded with `FakeEmbedder`."""
    from ingest import ingest_paths
    from rag.config import Settings
    from tests.fakes import FakeEmbedder

    settings = Settings(data_dir=tmp_path_factory.mktemp(name))
    ingest_paths([SEEDS], settings, embedder=FakeEmbedder())
    return settings


def llm_assistant(settings, server, **model_options):
    """An Assistant (fake embedder) whose LLM is `OpenAIChatModel` talking to the scripted
    `server` over real HTTP; `model_options` override timeout_s=2, max_retries=2, backoff_s=0.01."""
    from rag.answer.assistant import Assistant
    from rag.llm.openai_chat import OpenAIChatModel
    from tests.fakes import FakeEmbedder

    options = {"timeout_s": 2.0, "max_retries": 2, "backoff_s": 0.01} | model_options
    model = OpenAIChatModel("sk-test", "test-model", base_url=server.base_url, **options)
    return Assistant(settings, embedder=FakeEmbedder(), chat_model=model)
