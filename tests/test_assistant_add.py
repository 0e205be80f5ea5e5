"""`Assistant.add(paths)` / `rag.add(paths)`: ingest through the assistant's own, already
loaded model (the `rag.ingest` plugin), under the write lock; the next question sees the new
articles; bad input is a clear error that changes nothing (fake embedder, real Chroma)."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

import ingest.pipeline
import rag
import rag.answer.assistant
from rag import Assistant, InvalidInputError, Settings
from tests.fakes import FakeEmbedder
from tests.helpers import copy_seeds, open_store

FLOOD = (
    "Zorbex River Floods Quillam\n\n"
    "The Zorbex river burst its banks on Tuesday and flooded the town of Quillam, officials said.\n\n"
    "About 400 residents of Quillam were moved to a school on higher ground while pumps were brought in.\n"
)
STORM = "Storm Hits Varnholt\n\nA hailstorm damaged the roofs of 90 houses in Varnholt on Sunday, the mayor said.\n"


@pytest.fixture
def model_loads(monkeypatch) -> list[FakeEmbedder]:
    """Every embedder an assistant builds; ingest must never build one of its own."""
    built: list[FakeEmbedder] = []

    def build(settings):
        built.append(FakeEmbedder())
        return built[-1]

    def refuse(settings):
        raise AssertionError("ingest loaded a second model")

    monkeypatch.setattr(rag.answer.assistant, "build_embedder", build)
    monkeypatch.setattr(ingest.pipeline, "build_embedder", refuse)
    return built


def _seeded(tmp_path: Path) -> Assistant:
    assistant = Assistant(Settings(data_dir=tmp_path / "index"), auto_seed=False)
    assistant.add(copy_seeds(tmp_path / "seeds"))
    return assistant


def test_add__is_registered_as_a_rag_ingest_plugin():
    assert [p.value for p in entry_points(group="rag.ingest") if p.name == "paths"] == ["ingest.api:add_paths"]


def test_add__indexes_new_files_and_the_next_question_finds_them_with_one_model_load(tmp_path, model_loads):
    assistant = _seeded(tmp_path)
    assistant.GENERATION_CHECK_SECONDS = 3600  # add refreshes the assistant itself, without waiting for it
    assert assistant.ask("How old were the captured soldiers?").passages  # the index is open and in use
    news = tmp_path / "news"
    news.mkdir()
    (news / "flood.txt").write_text(FLOOD, encoding="utf-8")
    (news / "storm.md").write_text(STORM, encoding="utf-8")
    (news / "notes.pdf").write_bytes(b"%PDF-1.4")  # inside a folder: ignored, as `rag ingest` does

    progress: list[tuple[int, int]] = []
    report = assistant.add(news, progress=lambda done, total: progress.append((done, total)))

    assert isinstance(report, rag.IngestReport) and report.ok
    assert sorted(report.new) == ["news/flood.txt", "news/storm.md"] and report.ignored_files == 1
    assert progress[-1] == (2, 2)
    assert report.documents_total == 4
    assert assistant.retrieve("Zorbex river flooded Quillam", k=1)[0].doc_id == "news/flood.txt"
    answer = assistant.ask("Which town did the Zorbex river flood?")
    assert "news/flood.txt" in {p.doc_id for p in answer.passages}
    assert "news/storm.md" in {d.doc_id for d in assistant.list_documents()}
    assert len(model_loads) == 1  # the assistant's model did the asking and both ingests

    again = assistant.add([news / "flood.txt"])  # unchanged: nothing re-embedded
    assert again.unchanged == ("news/flood.txt",) and again.chunks_written == 0


def test_add__bad_paths_are_a_clear_error_and_the_index_is_unchanged(tmp_path, model_loads):
    assistant = _seeded(tmp_path)
    store = open_store(assistant.settings, model_loads[0].name)
    chunks_before = sorted(chunk.chunk_id for chunk in store.iter_chunks())
    good = tmp_path / "flood.txt"
    good.write_text(FLOOD, encoding="utf-8")
    unsupported = tmp_path / "report.pdf"
    unsupported.write_bytes(b"%PDF-1.4")

    with pytest.raises(InvalidInputError, match=r"Nothing was added: .*missing\.txt: no such file or folder"):
        assistant.add([good, tmp_path / "missing.txt"])
    with pytest.raises(InvalidInputError, match=r"Nothing was added: .*report\.pdf: .*\.pdf"):
        assistant.add(unsupported)
    for nonsense, message in [([], "the list is empty"), (42, "not int"), ([good, None], "not None"),
                              ([""], "file or folder name")]:
        with pytest.raises(InvalidInputError, match=message):
            assistant.add(nonsense)  # type: ignore[arg-type]

    assert sorted(chunk.chunk_id for chunk in store.iter_chunks()) == chunks_before
    assert "flood.txt" not in {d.doc_id for d in assistant.list_documents()}
    assert assistant.retrieve("Zorbex river flooded Quillam", k=1)[0].doc_id != "flood.txt"


def test_add__takes_the_write_lock_like_rag_ingest(tmp_path, model_loads):
    from rag.index.lease import exclusive_writer

    assistant = _seeded(tmp_path)
    (tmp_path / "flood.txt").write_text(FLOOD, encoding="utf-8")
    with exclusive_writer(assistant.settings):  # another ingest is writing
        with pytest.raises(rag.IndexLockedError):
            assistant.add(tmp_path / "flood.txt")
    assert assistant.add(tmp_path / "flood.txt").new == ("flood.txt",)


def test_add__without_the_ingest_plugin_says_how_to_fix_it(tmp_path, monkeypatch, model_loads):
    monkeypatch.setattr(rag.answer.assistant, "entry_points", lambda group: [])
    with pytest.raises(rag.ConfigurationError, match="pip install -e ."):
        Assistant(Settings(data_dir=tmp_path / "index")).add(tmp_path)


def test_module_level_add__ingests_with_the_default_assistant(tmp_path, monkeypatch, model_loads):
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.setattr(rag.api, "_default", None)
    (tmp_path / "flood.txt").write_text(FLOOD, encoding="utf-8")
    report = rag.add(str(tmp_path / "flood.txt"))  # one path, as a string, is fine too
    assert report.new == ("flood.txt",)
    assert rag.retrieve("Zorbex river flooded Quillam", k=1)[0].doc_id == "flood.txt"
    # Articles were added before the first question: the demo articles are not seeded on top.
    assert [d.doc_id for d in rag.api.default_assistant().list_documents()] == ["flood.txt"]
    assert len(model_loads) == 1
