"""`rag info`, the per-user default index and the first-use line of `rag ask` (real Chroma in
tmp dirs; a fake embedder recorded under the bundled model's name, so no model loads)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import rag.answer.assistant
from ingest import ingest_paths
from rag.cli import main
from rag.config import BUNDLED_EMBED_MODEL, Settings, default_data_dir
from rag.index.chroma import make_chroma_client
from rag.index.store import IndexStore
from rag.info_command import disk_bytes
from tests.chroma_server import chroma_server  # noqa: F401  (fixture)
from tests.conftest import SEEDS
from tests.fakes import FakeEmbedder


@pytest.fixture
def fake_model(monkeypatch) -> FakeEmbedder:
    embedder = FakeEmbedder(name=BUNDLED_EMBED_MODEL)
    monkeypatch.setattr(rag.answer.assistant, "build_embedder", lambda settings: embedder)
    return embedder


@pytest.fixture
def no_model(monkeypatch):
    """`rag info` must neither load a model nor seed the demo articles."""

    def refuse(*args, **kwargs):
        raise AssertionError("rag info loaded a model or seeded the index")

    monkeypatch.setattr(rag.answer.assistant, "build_embedder", refuse)
    monkeypatch.setattr(rag.answer.assistant, "entry_points", refuse)


def info(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(main, ["info", *args], env=env)
    assert result.exit_code == 0, result.output
    return result


def test_info__no_index_yet_says_where_it_would_be_and_creates_nothing(tmp_path, no_model):
    where = default_data_dir()
    assert where == tmp_path / "user-data" / "newsrag"  # never the real per-user dir in tests
    text = info().stdout
    assert text.startswith("No index yet. It will be created in") and str(where) in text
    assert "per-user default" in text
    data = json.loads(info("--json").stdout)
    assert data["exists"] is False and data["data_dir"] == str(where) and data["data_dir_from"] == "default"
    assert data["mode"] == "embedded" and data["documents"] == 0 and data["chunks"] == 0
    assert not where.exists()


def test_info__an_empty_embedded_index(tmp_path, no_model):
    settings = Settings(data_dir=tmp_path / "idx")
    IndexStore(make_chroma_client(settings), settings, BUNDLED_EMBED_MODEL)  # the collections, no documents
    data = json.loads(info("--json", "--data-dir", str(settings.data_dir)).stdout)
    assert data["exists"] is True and data["documents"] == 0 and data["data_dir_from"] == "--data-dir"
    assert data["embed_model"] == BUNDLED_EMBED_MODEL and data["size_bytes"] > 0
    assert any("The index is empty" in note for note in data["notes"])
    text = info("--data-dir", str(settings.data_dir)).stdout
    assert "Documents:  0" in text and "Note: The index is empty" in text


def test_info__a_populated_index_text_and_json(tmp_path, no_model, monkeypatch):
    settings = Settings(data_dir=tmp_path / "idx")
    report = ingest_paths([SEEDS], settings, embedder=FakeEmbedder(name=BUNDLED_EMBED_MODEL))
    monkeypatch.setenv("RAG_DATA_DIR", str(settings.data_dir))
    data = json.loads(info("--json").stdout)
    assert data["exists"] is True and data["data_dir_from"] == "RAG_DATA_DIR"
    assert data["documents"] == len(report.new) == 2 and data["chunks"] > 2
    assert data["embed_model"] == data["configured_embed_model"] == BUNDLED_EMBED_MODEL and data["notes"] == []
    assert data["size_bytes"] == disk_bytes(settings.data_dir) > 0 and data["server"] is None
    text = info().stdout.splitlines()
    assert text[0] == f"Index:      {settings.data_dir} (from RAG_DATA_DIR)"
    assert text[1] == "Store:      embedded Chroma, collection 'news'"
    assert text[2:5] == ["Documents:  2", f"Chunks:     {data['chunks']}", f"Model:      {BUNDLED_EMBED_MODEL}"]
    assert text[5].startswith("Size:       ") and text[5].endswith(" on disk")


def test_info__names_the_kept_sentence_vectors_and_their_size(tmp_path, no_model):
    import numpy as np

    from rag.index.sentence_store import SENTENCE_STORE_FILE, SentenceStore

    settings = Settings(data_dir=tmp_path / "idx")
    ingest_paths([SEEDS], settings, embedder=FakeEmbedder(name=BUNDLED_EMBED_MODEL))
    where = ["--data-dir", str(settings.data_dir)]
    assert json.loads(info("--json", *where).stdout)["sentence_vectors_bytes"] is None
    assert not any(line.startswith("Sentences:") for line in info(*where).stdout.splitlines())

    store = SentenceStore(settings.data_dir / SENTENCE_STORE_FILE, "reader", 4)
    store.put({f"Sentence {n}.": np.ones(4, dtype=np.float32) for n in range(100)})
    store.close()
    data = json.loads(info("--json", *where).stdout)
    path = settings.data_dir / SENTENCE_STORE_FILE
    wal = path.with_name(path.name + "-wal")
    assert data["sentence_vectors_bytes"] == path.stat().st_size + (wal.stat().st_size if wal.exists() else 0) > 0
    assert data["size_bytes"] == disk_bytes(settings.data_dir) > data["sentence_vectors_bytes"]
    (line,) = [line for line in info(*where).stdout.splitlines() if line.startswith("Sentences:")]
    assert SENTENCE_STORE_FILE in line and "rag read-ahead" in line


def test_info__model_mismatch_is_noted(tmp_path, no_model):
    settings = Settings(data_dir=tmp_path / "idx")
    ingest_paths([SEEDS], settings, embedder=FakeEmbedder())  # recorded as "fake-embedder"
    text = info("--data-dir", str(settings.data_dir)).stdout
    assert "Model:      fake-embedder" in text and "Note: Built with 'fake-embedder'" in text


def test_info__server_mode_reports_what_the_server_holds(chroma_server, tmp_path, no_model):  # noqa: F811
    empty = json.loads(info("--json", "--data-dir", str(tmp_path / "app"), env=chroma_server.env()).stdout)
    assert empty["mode"] == "server" and empty["exists"] is False and empty["server"] == chroma_server.url
    settings = chroma_server.settings(tmp_path / "app")
    ingest_paths([SEEDS], settings, embedder=FakeEmbedder(name=BUNDLED_EMBED_MODEL))
    data = json.loads(info("--json", "--data-dir", str(tmp_path / "app"), env=chroma_server.env()).stdout)
    assert data["exists"] is True and data["documents"] == 2 and data["size_bytes"] is None
    assert data["server_version"]
    text = info("--data-dir", str(tmp_path / "app"), env=chroma_server.env()).stdout
    assert f"Chroma server at {chroma_server.url}" in text and "kept by the server (not reported)" in text


def test_ask__from_two_folders_uses_one_per_user_index(tmp_path, monkeypatch, fake_model):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    (tmp_path / "a" / ".rag" / "chroma").mkdir(parents=True)  # an index of the old default in folder a
    question = ["ask", "How old were the captured soldiers?", "--json"]

    monkeypatch.chdir(tmp_path / "a")
    first = CliRunner().invoke(main, question)
    assert first.exit_code in (0, 1), first.output
    where = default_data_dir()
    assert first.stderr.splitlines()[0] == (
        f"No articles indexed yet in {where}: indexing the two demo articles to try it with. "
        "They leave by themselves when you add your own (`rag ingest PATH`).")
    assert "--data-dir .rag" in first.stderr and "WARNING" not in first.output
    assert (where / "chroma").is_dir() and not (tmp_path / "a" / ".rag" / "bm25").exists()

    monkeypatch.chdir(tmp_path / "b")
    second = CliRunner().invoke(main, question)
    assert second.exit_code == first.exit_code and second.stderr == ""  # nothing seeded again
    assert json.loads(second.stdout)["passages"] == json.loads(first.stdout)["passages"]
    assert not (tmp_path / "b" / ".rag").exists()
    assert json.loads(info("--json").stdout)["documents"] == 2


def test_ask__dotenv_data_dir_still_wins(tmp_path, monkeypatch, fake_model):
    (tmp_path / ".env").write_text("RAG_DATA_DIR=here-index\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["ask", "How old were the captured soldiers?"])
    assert result.exit_code in (0, 1), result.output
    assert (tmp_path / "here-index" / "chroma").is_dir() and not default_data_dir().exists()
    assert f"indexed yet in {Path('here-index')}:" in result.stderr


@pytest.mark.parametrize("question", ["", "   ", "\u200b\u00ad"])
def test_ask__a_blank_question_is_a_usage_error_and_touches_no_index(question, no_model):
    result = CliRunner().invoke(main, ["ask", question])
    assert result.exit_code == 2 and "The question is empty" in result.output
    assert not default_data_dir().exists()
