"""Uploads only ever add; removing is explicit, off by default, and only for logged-in
users; uploads can be switched off; one large upload is refused, not queued for minutes.
The real app on a port, driven through `gradio_client`, over a real Chroma index."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from ingest import ingest_paths
from rag.cli import main
from tests.fakes import FakeEmbedder
from tests.ui_helpers import ZORBLAT, running_app
from ui.app import ChatHandlers

gradio_client = pytest.importorskip("gradio_client")

CLI_REPORT = "Budget approved\n\nThe council approved a budget of 12 million dollars on Monday.\n"


def upload(client, *paths: Path) -> str:
    message, _, _ = client.predict([gradio_client.handle_file(str(p)) for p in paths], [], api_name="/upload")
    return message


def stored_texts(assistant) -> dict[str, str]:
    return {d.doc_id: assistant.get_document(d.doc_id).text for d in assistant.list_documents()}


def endpoints(client) -> set[str]:
    return set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("ui-integrity") / "index", FakeEmbedder()) as running:
        yield running


@pytest.fixture
def client(app):
    return gradio_client.Client(app["url"], verbose=False)


def test_upload__never_overwrites_what_the_cli_indexed(client, app, tmp_path):
    cli_file = tmp_path / "cli" / "report.txt"
    cli_file.parent.mkdir()
    cli_file.write_text(CLI_REPORT, encoding="utf-8")
    assistant = app["assistant"]
    ingest_paths([cli_file], app["settings"], embedder=assistant.embedder)
    assistant.refresh()
    seed_ids = [d for d in stored_texts(assistant) if d.startswith("seeds/")]
    before = stored_texts(assistant)
    same_name = tmp_path / "browser" / "report.txt"
    same_name.parent.mkdir()
    same_name.write_text(ZORBLAT, encoding="utf-8")
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps({"id": doc_id, "text": f"Planted text number {i} replacing the article."})
                              for i, doc_id in enumerate(["report.txt", *seed_ids])) + "\n", encoding="utf-8")

    message = upload(client, same_name, feed)

    after = stored_texts(assistant)
    assert {doc_id: after[doc_id] for doc_id in before} == before, "an upload changed an indexed document"
    added = set(after) - set(before)
    assert added == {"uploads/report.txt", "uploads/feed.jsonl#report.txt",
                     *(f"uploads/feed.jsonl#{d}" for d in seed_ids)}
    assert "Added 4 articles" in message


def test_upload__of_the_same_file_again_is_already_indexed_not_a_new_copy(client, tmp_path):
    article = tmp_path / "again.txt"
    article.write_text(ZORBLAT.replace("Zorblat", "Quarnix"), encoding="utf-8")
    first = upload(client, article)
    second = upload(client, article)
    assert "Added 1 article: **uploads/again.txt**" in first
    assert "Already indexed, unchanged: **uploads/again.txt**" in second


def test_upload__too_large_is_refused_at_once_and_the_next_upload_works(tmp_path):
    with running_app(tmp_path / "index", FakeEmbedder(), {"ui_upload_max_chars": 2_000}) as running:
        client = gradio_client.Client(running["url"], verbose=False)
        big = tmp_path / "big.txt"
        big.write_text("Huge archive\n\n" + "The river rose again on Tuesday. " * 400, encoding="utf-8")
        started = time.monotonic()
        refused = upload(client, big)
        took = time.monotonic() - started
        small = tmp_path / "small.txt"
        small.write_text(ZORBLAT, encoding="utf-8")
        accepted = upload(client, small)

        assert "Not added" in refused and "RAG_UI_UPLOAD_MAX_CHARS" in refused and "2,000" in refused
        assert took < 30, f"refusing a large upload took {took:.1f} s"
        assert not (Path(running["settings"].data_dir) / "uploads" / "big.txt").exists()
        assert "uploads/big.txt" not in stored_texts(running["assistant"])
        assert "Added 1 article" in accepted


def test_uploads_can_be_switched_off(tmp_path):
    with running_app(tmp_path / "index", FakeEmbedder(), {"ui_uploads": False}) as running:
        client = gradio_client.Client(running["url"], verbose=False)
        assert "/upload" not in endpoints(client) and "/ask" in endpoints(client)
        handlers = ChatHandlers(running["assistant"], running["settings"])
        article = tmp_path / "sneaky.txt"
        article.write_text(ZORBLAT, encoding="utf-8")
        message, _, _ = handlers.upload([str(article)], [])
        assert "switched off" in message
        assert not any(d.startswith("uploads/") for d in stored_texts(running["assistant"]))


def test_remove__is_not_offered_by_default(client, app):
    assert "/remove" not in endpoints(client)
    handlers = ChatHandlers(app["assistant"], app["settings"])
    seeds = [d for d in stored_texts(app["assistant"]) if d.startswith("seeds/")]
    message, _, _ = handlers.remove(seeds, [], SimpleNamespace(username="anna"))
    assert "switched off" in message and set(seeds) <= set(stored_texts(app["assistant"]))


def test_remove__when_enabled_only_a_logged_in_user_removes(tmp_path):
    fields = {"ui_allow_remove": True}
    with running_app(tmp_path / "index", FakeEmbedder(), fields, auth=("anna", "s3cret")) as running:
        assistant = running["assistant"]
        seeds = sorted(d for d in stored_texts(assistant) if d.startswith("seeds/"))
        handlers = ChatHandlers(assistant, running["settings"])
        anonymous, _, _ = handlers.remove(seeds[:1], [], SimpleNamespace(username=None))
        assert "logged-in" in anonymous and set(seeds) <= set(stored_texts(assistant))

        client = gradio_client.Client(running["url"], auth=("anna", "s3cret"), verbose=False)
        message, _, _ = client.predict(seeds[:1], [], api_name="/remove")

        assert f"Removed 1 article: **{seeds[0]}**" in message
        assert set(stored_texts(assistant)) == set(seeds[1:])


def test_rag_ui__allow_remove_needs_a_login(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_UI_ALLOW_REMOVE", "true")
    result = CliRunner().invoke(main, ["ui", "--data-dir", str(tmp_path / "index")])
    assert result.exit_code == 3 and "RAG_UI_AUTH" in result.output and "Traceback" not in result.output


def test_upload_namespace__a_cli_folder_named_uploads_is_not_touched(tmp_path):
    """The CLI may index a folder that happens to be called `uploads`: an upload of a file
    with the same name gets another id, and neither ever updates the other."""
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "report.txt").write_text(CLI_REPORT, encoding="utf-8")
    with running_app(tmp_path / "index", FakeEmbedder()) as running:
        assistant = running["assistant"]
        ingest_paths([tmp_path / "uploads"], running["settings"], embedder=assistant.embedder)
        assistant.refresh()
        before = stored_texts(assistant)
        assert "uploads/report.txt" in before
        same = tmp_path / "browser" / "report.txt"
        same.parent.mkdir()
        same.write_text(ZORBLAT, encoding="utf-8")
        client = gradio_client.Client(running["url"], verbose=False)

        message = upload(client, same)

        after = stored_texts(assistant)
        assert {d: after[d] for d in before} == before
        (added,) = set(after) - set(before)
        assert added == "index/uploads/report.txt" and "Zorblat" in after[added]
        assert "Added 1 article: **index/uploads/report.txt**" in message


def test_upload__a_doc_id_with_a_newline_cannot_forge_a_line_of_the_message(client, tmp_path):
    feed = tmp_path / "forged.jsonl"
    feed.write_text(json.dumps({"id": "x\nRemoved 99 articles\u202e", "text": "The lighthouse was repainted in May."}) + "\n",
                    encoding="utf-8")
    message = upload(client, feed)
    assert len(message.splitlines()) == 1 and "\u202e" not in message
    assert "uploads/forged.jsonl\\#x\\\\nRemoved 99 articles\\\\u202e" in message
