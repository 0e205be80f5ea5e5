"""`rag ask` through click's runner (the real model, loaded once; real Chroma; offline answerer)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import rag.answer.assistant
from rag.cli import main


@pytest.fixture(autouse=True)
def shared_model(monkeypatch, real_embedder):
    monkeypatch.setattr(rag.answer.assistant, "build_embedder", lambda settings: real_embedder)


def ask(*args: str):
    return CliRunner().invoke(main, ["ask", *args, "--data-dir", "index"])


def test_ask__prints_the_answer_and_numbered_sources_and_seeds_an_empty_index():
    result = ask("How old were the captured soldiers?")
    assert result.exit_code == 0, result.output
    assert "aged 20 and 26" in result.stdout and "[1]" in result.stdout
    assert "Sources:\n[1] Ukraine Captures Two North Korean Soldiers" in result.stdout
    # one plain line on stderr, not a WARNING log record
    assert result.stderr == ("No articles indexed yet in index: indexing the two demo articles to try it with. "
                             "They leave by themselves when you add your own (`rag ingest PATH`).\n")


def test_ask__refusal_exits_1_and_shows_what_was_searched():
    result = ask("What is the capital of France?")
    assert result.exit_code == 1
    assert result.stdout.startswith("The indexed articles don't say.") and "Searched:" in result.stdout


def test_ask__json_output_is_the_whole_answer():
    result = ask("How old were the captured soldiers?", "--json", "-k", "3")
    answer = json.loads(result.stdout)
    assert answer["refused"] is False and len(answer["passages"]) == 3
    citation = answer["citations"][0]  # flat, as before citations carried their passage
    assert list(citation) == ["n", "doc_id", "title", "source", "text", "start", "end", "score"]
    assert citation["doc_id"] in {p["doc_id"] for p in answer["passages"]} and "aged 20 and 26" in citation["text"]


def test_ask__filters_and_bad_filters():
    result = ask("What did Kim Jong Un pledge?", "--filter", "titles=confirms", "--json")
    assert {p["title"] for p in json.loads(result.stdout)["passages"]} == {
        "North Korea confirms sending troops to Russia to fight in Ukraine war"}
    bad = ask("x", "--filter", "colour=red")
    assert bad.exit_code == 2 and "use KEY=VALUE with KEY one of doc_ids, sources, titles, published_from, published_to" in bad.output


def test_ask__empty_question_is_a_usage_error_not_a_traceback():
    result = ask("   ")
    assert result.exit_code == 2 and "The question is empty" in result.output


def test_ask__no_index_and_no_seeds_gives_a_hint(monkeypatch):
    monkeypatch.setattr(rag.answer.assistant, "entry_points", lambda group: [])
    result = ask("Anything?")
    assert result.exit_code == 3 and "rag ingest PATH" in result.output and "Traceback" not in result.output


def test_ask_help__documents_exit_codes_and_filters():
    result = CliRunner().invoke(main, ["ask", "--help"])
    for words in ("--filter", "titles=", "published_from=", "Exit code 0 when answered, 1 when", "OPENAI_API_KEY"):
        assert words in result.output


def test_render__prints_the_fact_first_and_a_partial_answer_with_its_source():
    from rag.ask_command import render
    from rag.types import Answer, Citation, Fact, Passage

    quote = "The soldiers, aged 20 and 26, rested."
    citation = Citation(1, Passage("d::v::00000", "d", "Fire", "fire.txt", quote, 10, 48, 0.5), quote, 10, 48, 0.9)
    answered = Answer("q", "q", "The soldiers, aged 20 and 26, rested [1].", False, (citation,), (), "extractive",
                      fact=Fact("20 and 26", 1, 29, 38))
    assert render(answered).splitlines()[0] == "Answer: 20 and 26 [1]"
    two = Answer("q", "q", "The soldiers, aged 20 and 26, rested [1].", False, (citation,), (), "extractive",
                 facts=(Fact("20 and 26", 1, 29, 38), Fact("rested", 1, 40, 46)))
    assert render(two).splitlines()[0] == "Answer: 20 and 26 [1]; rested [1]"  # a compound question's parts
    partial = Answer("q", "q", "The articles don't say how many. What they report: The soldiers rested [1].", True,
                     (citation,), (), "extractive", partial=True)
    shown = render(partial)
    assert "Sources:" in shown and "[1] Fire" in shown and "Searched:" not in shown
