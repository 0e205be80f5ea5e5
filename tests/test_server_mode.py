"""Server mode: ingest -> ask -> eval against a real `chroma run`, shared by several app
instances (one in another process), and a server that stops and comes back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import rag
from ingest import ingest_paths
from rag.index.chroma import ChromaUnavailableError
from tests.chroma_server import chroma_server  # noqa: F401  (fixture)
from tests.conftest import REPO
from tests.helpers import copy_seeds

AGES = "How old were the captured soldiers?"
NEW_ARTICLE = {
    "id": "harbor-bridge",
    "title": "Lisbon opens the Tagus harbor bridge",
    "published": "2025-03-02",
    "text": (
        "Lisbon opened a new harbor bridge over the Tagus on Sunday. "
        "The bridge cost 412 million euros and took six years to build. "
        "The mayor said the bridge would carry forty thousand cars a day."
    ),
}
BRIDGE = "How much did the Tagus harbor bridge cost?"


def write_jsonl(path: Path, *articles: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    return path


def test_server_mode__ingest_ask_and_eval(chroma_server, real_embedder, tmp_path):  # noqa: F811
    settings = chroma_server.settings(tmp_path / "app")
    report = ingest_paths([copy_seeds(tmp_path / "seeds")[0].parent], settings, embedder=real_embedder)
    assert len(report.new) == 2 and report.ok
    assert not (tmp_path / "app" / "chroma").exists()  # nothing embedded on disk

    assistant = rag.Assistant(settings, embedder=real_embedder, auto_seed=False)
    answer = assistant.ask(AGES)
    assert not answer.refused and "20" in answer.text and "26" in answer.text
    citation = answer.citations[0]
    assert assistant.get_document(citation.doc_id).text[citation.start : citation.end] == citation.text

    import eval

    result = eval.run("seeds", assistant=assistant, thresholds={}, limit=6)
    assert len(result.questions) == 6
    assert any(q.correct for q in result.questions)


WORKER = textwrap.dedent(
    """
    import json, sys
    import rag
    from ingest import ingest_paths
    settings = rag.Settings(data_dir=sys.argv[1])  # the server comes from RAG_CHROMA_* variables
    assistant = rag.Assistant(settings, auto_seed=False)
    seen = sorted(d.doc_id for d in assistant.list_documents())
    ages = assistant.ask(sys.argv[3])
    report = ingest_paths([sys.argv[2]], settings, embedder=assistant.embedder)
    print(json.dumps({"seen": seen, "ages_refused": ages.refused, "ages": ages.text, "new": list(report.new)}))
    """
)


def test_two_app_instances__share_one_index_and_see_each_others_writes(
    chroma_server, real_embedder, tmp_path  # noqa: F811
):
    settings = chroma_server.settings(tmp_path / "app-a")
    ingest_paths([copy_seeds(tmp_path / "seeds")[0].parent], settings, embedder=real_embedder)
    first = rag.Assistant(settings, embedder=real_embedder, auto_seed=False)
    first.GENERATION_CHECK_SECONDS = 0.0
    assert first.ask(BRIDGE).refused  # not indexed yet
    seed_ids = sorted(d.doc_id for d in first.list_documents())

    # A second app instance, in its own process with its own data dir, reads the same
    # documents, answers from them, and ingests a new article.
    feed = write_jsonl(tmp_path / "feed" / "bridge.jsonl", NEW_ARTICLE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | chroma_server.env()
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(tmp_path / "app-b"), str(feed), AGES],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    other = json.loads(done.stdout.strip().splitlines()[-1])
    assert other["seen"] == seed_ids
    assert not other["ages_refused"] and "20" in other["ages"]
    assert other["new"] == ["harbor-bridge"]

    # The first instance, opened before that ingest, answers from the new article: no restart.
    answer = first.ask(BRIDGE)
    assert not answer.refused, answer
    assert "412 million euros" in answer.text and answer.citations[0].doc_id == "harbor-bridge"
    assert first.get_document("harbor-bridge").title == NEW_ARTICLE["title"]

    # And a third, fresh instance sees all three.
    third = rag.Assistant(chroma_server.settings(tmp_path / "app-c"), embedder=real_embedder)
    assert {d.doc_id for d in third.list_documents()} == {*seed_ids, "harbor-bridge"}


def test_generation_marker__keeps_the_collection_metadata(chroma_server, real_embedder, tmp_path):  # noqa: F811
    from tests.helpers import open_store

    settings = chroma_server.settings(tmp_path / "app")
    ingest_paths([copy_seeds(tmp_path / "seeds")[0].parent], settings, embedder=real_embedder)
    store = open_store(settings, real_embedder.name)
    before = store.generation()
    assert before
    again = ingest_paths([tmp_path / "seeds"], settings, embedder=real_embedder)
    assert again.unchanged and store.generation() == before  # nothing changed: nothing announced
    assert store.publish_changes() != before
    # modify() replaces the whole metadata dict: the model check must still work afterwards.
    assert open_store(settings, real_embedder.name).generation() != before
    with pytest.raises(rag.IndexMismatchError, match="Chroma server"):
        open_store(settings, "another-model")


def test_server_stopped_mid_session__clear_error_then_recovers(
    chroma_server, real_embedder, tmp_path, monkeypatch  # noqa: F811
):
    settings = chroma_server.settings(tmp_path / "app")
    ingest_paths([copy_seeds(tmp_path / "seeds")[0].parent], settings, embedder=real_embedder)
    assistant = rag.Assistant(settings, embedder=real_embedder, auto_seed=False)
    assert not assistant.ask(AGES).refused

    chroma_server.stop()
    where = f"{chroma_server.host}:{chroma_server.port}"
    for _ in range(2):
        with pytest.raises(ChromaUnavailableError, match=f"server at {where} is unreachable") as caught:
            assistant.ask(AGES)
        assert isinstance(caught.value, rag.StoreError) and "chroma run" in str(caught.value)
    with pytest.raises(ChromaUnavailableError):
        assistant.get_document("anything")
    with pytest.raises(ChromaUnavailableError):
        ingest_paths([tmp_path / "seeds"], settings, embedder=real_embedder)

    # The CLI: exit code 3 and one line, no traceback.
    from rag.cli import main

    for name, value in chroma_server.env().items():
        monkeypatch.setenv(name, value)
    for args in (["ask", AGES, "--data-dir", str(tmp_path / "app")], ["ingest", str(tmp_path / "seeds"), "-q"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 3, result.output
        # Nothing else: the server is checked before the embedding model is loaded.
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
        assert where in lines[0] and "unreachable" in lines[0], result.output
        assert "Traceback" not in result.output

    # Same port, same --path: the same Assistant answers again, without a restart.
    chroma_server.start()
    answer = assistant.ask(AGES)
    assert not answer.refused and "20" in answer.text
