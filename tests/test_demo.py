"""The demo articles come into an empty index only, leave when the user's own arrive, and
stay when asked for (`ingest.demo`); nothing of the user's is ever lost on the way."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import ingest.pipeline
import rag.answer.assistant
from ingest import ingest_paths
from rag import Assistant, Settings
from rag.cli import main
from rag.index.embeddings import BUNDLED_EMBED_MODEL
from tests.chroma_server import chroma_server  # noqa: F401  (fixture)
from tests.conftest import SEEDS
from tests.fakes import FakeEmbedder
from tests.helpers import assert_consistent, open_store

DEMO_IDS = sorted(f"seeds/{p.name}" for p in SEEDS.glob("*.txt"))
HARBOUR = ("Harbour reopens after storm\n\nThe harbour of Port Ellis reopened on Tuesday after a storm "
           "closed it for nine days, the mayor said.\n")


@pytest.fixture
def embedder(monkeypatch) -> FakeEmbedder:
    """One fake model for the assistant, the CLI and the pipeline (named as the bundled one)."""
    fake = FakeEmbedder(name=BUNDLED_EMBED_MODEL)
    monkeypatch.setattr(rag.answer.assistant, "build_embedder", lambda settings: fake)
    monkeypatch.setattr(ingest.pipeline, "build_embedder", lambda settings: fake)
    return fake


@pytest.fixture
def mine(tmp_path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    return folder


def _ids(assistant: Assistant) -> list[str]:
    return sorted(d.doc_id for d in assistant.list_documents())


def _demo_seeded(settings: Settings, embedder: FakeEmbedder) -> Assistant:
    """An assistant whose empty index got the demo articles on first use."""
    assistant = Assistant(settings, embedder=embedder)
    assert _ids(assistant) == DEMO_IDS
    assert all(d.demo for d in assistant.list_documents())
    return assistant


def test_demo__leaves_when_the_users_first_article_arrives(settings, embedder, mine):
    assistant = _demo_seeded(settings, embedder)
    report = ingest_paths([mine], settings, embedder=embedder)
    assert report.new == ("mine/harbour.txt",) and report.demo_removed == tuple(DEMO_IDS)
    assert "2 demo removed" in report.summary()
    assistant.refresh()
    assert _ids(assistant) == ["mine/harbour.txt"] and not assistant.list_documents()[0].demo
    assert_consistent(open_store(settings, embedder.name))
    answer = assistant.ask("When did the harbour of Port Ellis reopen?")
    assert {p.doc_id for p in answer.passages} == {"mine/harbour.txt"}  # the fake model reads no meaning


def test_demo__a_fresh_index_of_the_users_never_gets_it(settings, embedder, mine):
    ingest_paths([mine], settings, embedder=embedder)
    assistant = Assistant(settings, embedder=embedder)
    assistant.ask("How old were the captured soldiers?")
    assert _ids(assistant) == ["mine/harbour.txt"]


def test_demo__asked_for_with_rag_demo_it_stays(settings, embedder, mine):
    result = CliRunner().invoke(main, ["demo", "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.stdout
    report = ingest_paths([mine], settings, embedder=embedder)
    assert report.demo_removed == ()
    assert _ids(Assistant(settings, embedder=embedder)) == sorted([*DEMO_IDS, "mine/harbour.txt"])


def test_demo__rag_demo_over_the_seeded_demo_makes_it_stay(settings, embedder, mine):
    _demo_seeded(settings, embedder)
    assert CliRunner().invoke(main, ["demo", "--data-dir", str(settings.data_dir)]).exit_code == 0
    assert ingest_paths([mine], settings, embedder=embedder).demo_removed == ()
    assistant = Assistant(settings, embedder=embedder)
    assert len(_ids(assistant)) == 3 and not any(d.demo for d in assistant.list_documents())


def test_demo__an_ingest_naming_its_folder_keeps_it(settings, embedder, mine):
    _demo_seeded(settings, embedder)
    report = ingest_paths([SEEDS, mine], settings, embedder=embedder)
    assert report.demo_removed == () and sorted(report.unchanged) == DEMO_IDS
    assert len(_ids(Assistant(settings, embedder=embedder))) == 3


def test_demo__a_users_copy_of_a_demo_article_is_never_lost(settings, embedder, mine):
    """The copy is skipped as a duplicate of the demo article: so that article stays, as the user's."""
    _demo_seeded(settings, embedder)
    copy = shutil.copy(sorted(SEEDS.glob("*.txt"))[0], mine / "saved-from-the-web.txt")
    report = ingest_paths([mine], settings, embedder=embedder)
    assert [d.same_as for d in report.duplicates] == [DEMO_IDS[0]] and report.new == ("mine/harbour.txt",)
    assert report.demo_removed == (DEMO_IDS[1],)
    assistant = Assistant(settings, embedder=embedder)
    assert assistant.get_document(DEMO_IDS[0]).title in Path(copy).read_text(encoding="utf-8")
    assert not {d.doc_id: d.demo for d in assistant.list_documents()}[DEMO_IDS[0]]


def test_demo__stays_while_nothing_of_the_users_could_be_indexed(settings, embedder, tmp_path):
    _demo_seeded(settings, embedder)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "empty.txt").write_text("   \n", encoding="utf-8")
    report = ingest_paths([broken], settings, embedder=embedder)
    assert not report.ok and report.demo_removed == ()
    assert all(d.demo for d in Assistant(settings, embedder=embedder).list_documents())


def test_demo__a_chat_ui_upload_removes_it_and_says_so(settings, embedder, tmp_path):
    from ui.uploads import add_articles

    assistant = _demo_seeded(settings, embedder)
    upload = tmp_path / "harbour.txt"
    upload.write_text(HARBOUR, encoding="utf-8")
    outcome = add_articles([upload], assistant, settings)
    assert outcome.ok and "The demo articles left the index" in outcome.message
    assert _ids(assistant) == ["uploads/harbour.txt"]


def test_rag_demo_remove__removes_it_and_says_which(settings, embedder, mine):
    _demo_seeded(settings, embedder)
    ingest_paths([SEEDS, mine], settings, embedder=embedder)  # kept: the user named the folder
    runner = CliRunner()
    result = runner.invoke(main, ["demo", "--remove", "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Removed 2 demo articles: ") and all(d in result.stdout for d in DEMO_IDS)
    assert _ids(Assistant(settings, embedder=embedder)) == ["mine/harbour.txt"]
    again = runner.invoke(main, ["demo", "--remove", "--data-dir", str(settings.data_dir)])
    assert again.exit_code == 0 and again.stdout.strip() == "No demo articles are indexed."


def test_rag_ingest__says_the_demo_left(settings, embedder, mine):
    _demo_seeded(settings, embedder)
    result = CliRunner().invoke(main, ["ingest", str(mine), "-q", "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    assert "removed the 2 demo articles" in result.stderr and "`rag demo` brings them back" in result.stderr
    as_json = CliRunner().invoke(main, ["ingest", str(mine), "--json", "--data-dir", str(settings.data_dir)])
    assert json.loads(as_json.stdout)["demo_removed"] == []


def test_rag_info__counts_the_demo_articles_and_says_how_they_go(settings, embedder, mine):
    _demo_seeded(settings, embedder)
    info = json.loads(CliRunner().invoke(main, ["info", "--json", "--data-dir", str(settings.data_dir)]).stdout)
    assert info["demo_documents"] == 2
    assert any("`rag demo --remove`" in note for note in info["notes"])
    ingest_paths([mine], settings, embedder=embedder)
    info = json.loads(CliRunner().invoke(main, ["info", "--json", "--data-dir", str(settings.data_dir)]).stdout)
    assert info["demo_documents"] == 0 and info["documents"] == 1


def test_settle_demo__a_stale_list_names_nothing_and_is_cleared(settings, embedder, mine):
    """A crash after the demo articles were removed but before the list was cleared."""
    from rag.index.store import IndexStore

    ingest_paths([mine], settings, embedder=embedder)
    store: IndexStore = open_store(settings, embedder.name)
    store.set_demo_documents(DEMO_IDS)
    (mine / "second.txt").write_text("Second story\n\nThe council met on Monday.\n", encoding="utf-8")
    report = ingest_paths([mine], settings, embedder=embedder)
    assert report.demo_removed == () and open_store(settings, embedder.name).demo_documents() == frozenset()
    assert len(_ids(Assistant(settings, embedder=embedder))) == 2


def test_demo__on_a_chroma_server_it_leaves_for_every_app_instance(chroma_server, embedder, mine, tmp_path):  # noqa: F811
    """Two app instances share one server index: the demo list lives in the index, not on a disk."""
    first = Assistant(chroma_server.settings(tmp_path / "app-a"), embedder=embedder)
    assert _ids(first) == DEMO_IDS and all(d.demo for d in first.list_documents())
    other = chroma_server.settings(tmp_path / "app-b")
    report = ingest_paths([mine], other, embedder=embedder)
    assert report.demo_removed == tuple(DEMO_IDS)
    first.refresh()
    assert _ids(first) == ["mine/harbour.txt"]
