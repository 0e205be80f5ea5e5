"""The chat UI end to end: the real app on a port, driven through `gradio_client`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui_helpers import SEED_QUESTIONS, ZORBLAT, ask, message_text, running_app
from ui.render import ERROR_LABEL, REFUSAL_LABEL

gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def app(tmp_path_factory, real_embedder):
    with running_app(tmp_path_factory.mktemp("ui-e2e") / "index", real_embedder) as running:
        yield running


@pytest.fixture
def client(app):
    return gradio_client.Client(app["url"], verbose=False)


def test_ui__streams_an_answer_with_highlighted_sources(client):
    result = ask(client, "How old were the captured soldiers?")
    assert "20 and 26" in result["answer"] and "[1]" in result["answer"]
    assert len(result["updates"]) >= 3, "the answer should arrive in several updates"
    first_reply = message_text(result["updates"][0][0][-1])
    assert "Searching" in first_reply
    sources = result["sources"]
    assert "Sources (1)" in sources and "[1]" in sources
    assert "Ukraine Captures Two North Korean Soldiers" in sources
    assert "<mark>The soldiers, aged 20 and 26" in sources
    assert "<details" in sources and "Show the whole article" in sources
    assert result["box"] == "", "the question box is cleared"


def test_ui__follow_up_uses_the_chat_history(client):
    first = ask(client, "Which soldiers did Ukraine capture?")
    follow = ask(client, "How old were they?", history=first["chat"])
    assert "20 and 26" in follow["answer"]
    assert len(follow["chat"]) == 4


def test_ui__refusal_is_labelled_and_shows_what_was_searched(client):
    result = ask(client, "What is the capital of France?")
    assert result["raw"].startswith(REFUSAL_LABEL)
    assert "rag-refusal" in result["sources"] and "Searched:" in result["sources"]
    assert "North Korea confirms sending troops" in result["sources"]


def test_ui__errors_are_readable_messages_not_tracebacks(client):
    result = ask(client, "x" * 2500)
    assert result["raw"].startswith(ERROR_LABEL)
    assert "Traceback" not in result["answer"] and "rag-error" in result["sources"]


def test_ui__article_filter_restricts_the_search(client, app):
    docs = {d.title: d.doc_id for d in app["assistant"].list_documents()}
    confirms = next(doc_id for title, doc_id in docs.items() if title.startswith("North Korea confirms"))
    result = ask(client, "How old were the captured soldiers?", doc_ids=[confirms])
    assert "Ukraine Captures Two North Korean Soldiers" not in result["sources"]


def test_ui__k_is_passed_to_retrieval(client):
    result = ask(client, "What is the capital of France?", k=1)
    assert result["sources"].count("<li>") == 1


def test_ui__upload_then_ask_about_it(client, tmp_path):
    article = tmp_path / "zorblat festival.txt"
    article.write_text(ZORBLAT, encoding="utf-8")
    message, choices, files = client.predict([gradio_client.handle_file(str(article))], [], api_name="/upload")
    assert "Added 1 article" in message and "zorblat festival.txt" in message
    assert files in (None, [])
    result = ask(client, "How many visitors did the Zorblat festival draw?")
    assert "40,000" in result["answer"]
    assert "Zorblat festival breaks attendance records" in result["sources"]


def test_ui__bad_upload_gets_a_message_and_the_index_still_answers(client, app, tmp_path):
    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"\xff\xfe\x00\x01binary\x00garbage" * 20)
    message, _, _ = client.predict([gradio_client.handle_file(str(bad))], [], api_name="/upload")
    assert "broken.txt" in message and "skipped" in message
    assert "Added" not in message
    uploads = Path(app["settings"].data_dir) / "uploads"
    assert not (uploads / "broken.txt").exists(), "a file that failed is not kept"
    result = ask(client, "How old were the captured soldiers?")
    assert "20 and 26" in result["answer"]


def test_ui__seed_questions_answer_correctly(client):
    for question, fact in SEED_QUESTIONS.items():
        assert fact in ask(client, question)["answer"], question


def test_ui__clear_empties_the_chat(client):
    chat, sources, box = client.predict(api_name="/clear")
    assert chat == [] and box == "" and "Ask a question" in sources
