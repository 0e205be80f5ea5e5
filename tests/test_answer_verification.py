"""Every sentence of an LLM answer verified against what it cites, at answer time.

The replies come from the scripted OpenAI-compatible server over real HTTP on 127.0.0.1 (the
real model's behaviour is in tests/test_local_llm.py); the index and the verifier use the
real MiniLM, since whether a sentence is supported is a question of meaning."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from click.testing import CliRunner

from rag import Assistant, Settings
from rag.cli import main
from rag.llm.openai_chat import OpenAIChatModel
from tests.openai_server import FakeOpenAIServer

QUESTION = "How old were the captured soldiers?"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, real_embedder):
    from ingest import ingest_paths
    from rag import seeds_dir

    directory = tmp_path_factory.mktemp("verified")
    assert not ingest_paths([seeds_dir()], Settings(data_dir=directory), embedder=real_embedder).failed
    return directory


@pytest.fixture
def server():
    with FakeOpenAIServer(models=("test-model",)) as running:
        yield running


def assistant(index_dir, server, real_embedder, **settings) -> Assistant:
    model = OpenAIChatModel("sk-test", "test-model", base_url=server.base_url, timeout_s=5.0, max_retries=0)
    return Assistant(Settings(data_dir=index_dir, **settings), embedder=real_embedder, chat_model=model)


def source_number(assistant: Assistant, words: str) -> int:
    """The [n] of the retrieved passage holding `words` (the prompt numbers passages in order)."""
    return next(i for i, p in enumerate(assistant.retrieve(QUESTION), start=1) if words in p.text)


def test_a_supported_sentence__its_citation_narrows_to_the_sentence_that_backs_it(index_dir, server, real_embedder):
    asker = assistant(index_dir, server, real_embedder)
    n = source_number(asker, "aged 20 and 26")
    server.enqueue(f"The captured soldiers were aged 20 and 26 [{n}].")
    answer = asker.ask(QUESTION)
    (verdict,) = answer.verdicts
    assert verdict.verdict == "supported" and verdict.supported
    (support,) = verdict.support
    citation = answer.citations[0]
    assert "aged 20 and 26" in support.text and len(support.text) < len(citation.text)
    assert citation.start <= support.start < support.end <= citation.end
    assert asker.get_document(support.doc_id).text[support.start : support.end] == support.text
    assert not any(w.startswith("unsupported") for w in answer.warnings)


def test_an_invented_number_under_a_valid_citation_is_flagged(index_dir, server, real_embedder):
    asker = assistant(index_dir, server, real_embedder)
    n = source_number(asker, "aged 20 and 26")
    server.enqueue(f"The captured soldiers were aged 45 and 61 [{n}].")
    answer = asker.ask(QUESTION)
    assert not answer.refused
    (verdict,) = answer.verdicts
    assert verdict.verdict == "unsupported" and "number '45'" in verdict.reason
    assert any("unsupported" in w and "45 and 61" in w for w in answer.warnings)


def test_an_invented_name_under_a_valid_citation_is_flagged(index_dir, server, real_embedder):
    asker = assistant(index_dir, server, real_embedder)
    n = source_number(asker, "aged 20 and 26")
    server.enqueue(f"The captured soldiers, aged 20 and 26, were handed to Poland [{n}].")
    (verdict,) = asker.ask(QUESTION).verdicts
    assert not verdict.supported and "Poland" in verdict.reason


def test_an_uncited_invented_sentence_is_never_silently_given_a_citation(index_dir, server, real_embedder):
    asker = assistant(index_dir, server, real_embedder)
    n = source_number(asker, "aged 20 and 26")
    server.enqueue(f"The captured soldiers were aged 20 and 26 [{n}]. Both soldiers later escaped to China.")
    answer = asker.ask(QUESTION)
    first, second = answer.verdicts
    assert first.supported and not second.supported
    assert any("escaped to China" in w and w.startswith("unsupported") for w in answer.warnings)


def test_strict__unsupported_sentences_are_dropped_and_citations_renumbered(index_dir, server, real_embedder):
    asker = assistant(index_dir, server, real_embedder, strict=True)
    passages = asker.retrieve(QUESTION)
    n = source_number(asker, "aged 20 and 26")
    other = next(i for i in range(1, len(passages) + 1) if i != n)
    server.enqueue(f"Kim Jong Un ordered a parade in Moscow [{other}]. The captured soldiers were aged 20 and 26 [{n}].")
    answer = asker.ask(QUESTION)
    assert answer.text == "The captured soldiers were aged 20 and 26 [1]."
    assert [c.n for c in answer.citations] == [1] and "aged 20 and 26" in answer.citations[0].text
    assert [v.cited for v in answer.verdicts] == [(1,)] and answer.verdicts[0].support[0].n == 1
    assert any("RAG_STRICT" in w for w in answer.warnings)


def test_strict__nothing_supported_left_is_a_refusal(index_dir, server, real_embedder):
    asker = assistant(index_dir, server, real_embedder, strict=True)
    n = source_number(asker, "aged 20 and 26")
    server.enqueue(f"The captured soldiers were aged 45 and 61 [{n}].")
    answer = asker.ask(QUESTION)
    assert answer.refused and answer.citations == ()
    assert "supported" in answer.refusal_reason


def test_rag_ask__json_and_text_show_each_sentence_verdict(index_dir, server, real_embedder, monkeypatch):
    asker = assistant(index_dir, server, real_embedder)
    n = source_number(asker, "aged 20 and 26")
    reply = f"The captured soldiers were aged 20 and 26 [{n}]. They were aged 45 and 61 [{n}]."
    for name, value in {"RAG_DATA_DIR": str(index_dir), "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": server.base_url,
                        "RAG_LLM_MODEL": "test-model", "RAG_LLM_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)
    server.enqueue(reply)
    result = CliRunner().invoke(main, ["ask", QUESTION, "--json"])
    assert result.exit_code == 0, result.output
    verdicts = json.loads(result.stdout)["verdicts"]
    assert [v["verdict"] for v in verdicts] == ["supported", "unsupported"]
    support = verdicts[0]["support"][0]
    assert asker.get_document(support["doc_id"]).text[support["start"] : support["end"]] == support["text"]
    server.enqueue(reply)
    text = CliRunner().invoke(main, ["ask", QUESTION]).output
    assert "NOT SUPPORTED" in text and "They were aged 45 and 61" in text.split("NOT SUPPORTED")[1]


def test_offline_answers_quote_the_articles_and_carry_no_verdicts(index_dir, real_embedder):
    answer = Assistant(Settings(data_dir=index_dir), embedder=real_embedder).ask(QUESTION)
    assert not answer.refused and answer.verdicts == ()
    assert "verdicts" in asdict(answer)
