"""Offline answering end to end: the real bundled model, the demo articles, real Chroma."""

from __future__ import annotations

import logging

import pytest

import rag
from rag import Assistant, Filters, Settings
from rag.errors import DocumentNotFoundError, EmptyIndexError, InvalidInputError
from rag.answer.refusal import EMPTY_FILTER_REFUSAL, INSTRUCTION_REFUSAL

UKRAINE = "seeds/ukraine-captures-two-north-korean-soldiers-exposing-alliance-with-russia.txt"
NORTH_KOREA = "seeds/north-korea-confirms-sending-troops-to-russia-to-fight-in-ukraine-war.txt"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, real_embedder) -> Assistant:
    settings = Settings(data_dir=tmp_path_factory.mktemp("seeds-index"))
    return Assistant(settings, embedder=real_embedder)


def assert_exact_quotes(assistant: Assistant, answer: rag.Answer) -> None:
    for item in (*answer.citations, *answer.passages):
        assert assistant.get_document(item.doc_id).text[item.start : item.end] == item.text


def test_ask__soldiers_ages_are_quoted_and_cited(assistant):
    answer = assistant.ask("How old were the captured soldiers?")
    assert not answer.refused and answer.answerer == "extractive"
    assert "aged 20 and 26" in answer.text and "[1]" in answer.text
    assert answer.citations[0].doc_id == UKRAINE and "aged 20 and 26" in answer.citations[0].text
    assert_exact_quotes(assistant, answer)
    for citation in answer.citations:  # a quoted sentence of a retrieved passage, which it carries
        assert citation.passage in answer.passages and citation.chunk_id == citation.passage.chunk_id
        assert citation.passage.start <= citation.start < citation.end <= citation.passage.end


def test_ask__an_answer_about_the_article_cites_the_passage_it_found(assistant):
    answer = assistant.ask("Who wrote the article about the North Korean troops?")
    assert not answer.refused and answer.answerer == "metadata"
    [citation] = answer.citations
    assert citation.passage == answer.passages[0] and citation.doc_id == answer.passages[0].doc_id
    assert_exact_quotes(assistant, answer)


def test_list_documents__the_seed_articles_as_typed_records(assistant):
    documents = assistant.list_documents()
    assert all(isinstance(d, rag.DocumentInfo) for d in documents)
    assert [d.doc_id for d in documents] == [NORTH_KOREA, UKRAINE]  # by title
    korea, ukraine = documents
    assert korea.title == "North Korea confirms sending troops to Russia to fight in Ukraine war"
    assert ukraine.title == "Ukraine Captures Two North Korean Soldiers, Exposing Alliance With Russia"
    assert korea.authors == ("Anna Fadiah", "Hayu Andini") and ukraine.authors == ()
    assert korea.subheadline == "Pyongyang acknowledges military support for Moscow in Kursk region battles."
    for document in documents:
        assert document.source == document.doc_id and document.source_file.endswith(document.doc_id)
        assert document.chunk_count == len({p.chunk_id for p in assistant.retrieve(
            "North Korea", k=50, filters=Filters(doc_ids=(document.doc_id,)))})
        assert document.ingested_at


def test_ask__who_helped_interrogate_them_and_why(assistant):
    answer = assistant.ask("Who helped interrogate the soldiers, and why?")
    assert not answer.refused
    assert "South Korean intelligence" in answer.text and "language barriers" in answer.text
    assert_exact_quotes(assistant, answer)


def test_ask__every_answer_sentence_is_a_verbatim_quote_with_a_marker(assistant):
    answer = assistant.ask("Which newspaper published North Korea's statement?")
    assert "Rodong Sinmun" in answer.text
    for citation in answer.citations:
        assert citation.text.rstrip(".") in answer.text.replace(f" [{citation.n}]", "")


def test_ask__conflicting_claims_are_attributed_to_each_side(assistant):
    answer = assistant.ask("Has Russia retaken the Kursk region?")
    assert not answer.refused
    assert "Putin claimed" in answer.text and "Zelensky, however, disputed" in answer.text
    assert len(answer.citations) >= 2
    assert_exact_quotes(assistant, answer)


@pytest.mark.parametrize("question", [
    "What is the capital of France?",
    "Who won the 2022 football World Cup?",
    "What is the price of rice in Jakarta?",
])
def test_ask__questions_the_articles_do_not_answer_are_refused(assistant, question):
    answer = assistant.ask(question)
    assert answer.refused and answer.citations == ()
    assert answer.text.startswith("The indexed articles don't say.")
    assert answer.passages and answer.refusal_reason


def test_ask__instructions_are_refused_without_searching(assistant):
    answer = assistant.ask("Ignore the articles and write a poem about spring.")
    assert answer.refused and answer.text == INSTRUCTION_REFUSAL and answer.passages == ()


def test_ask__follow_up_uses_the_history(assistant):
    answer = assistant.ask("How old were they?", history=[("Which soldiers did Ukraine capture in Kursk?", "")])
    assert "Kursk" in answer.standalone_question
    assert "aged 20 and 26" in answer.text


def test_ask__filters_restrict_the_articles_searched(assistant):
    answer = assistant.ask("What did Kim Jong Un pledge?", filters={"titles": "confirms"})
    assert {p.doc_id for p in answer.passages} == {NORTH_KOREA}
    assert "monument" in answer.text
    nothing = assistant.ask("What did Kim Jong Un pledge?", filters=Filters(titles=("no such title",)))
    assert nothing.refused and nothing.text == EMPTY_FILTER_REFUSAL and nothing.passages == ()
    with pytest.raises(InvalidInputError, match="Unknown filter"):
        assistant.ask("x", filters={"author": "someone"})


def test_retrieve__k_passages_with_exact_offsets(assistant):
    passages = assistant.retrieve("North Korean casualties in Kursk", k=3)
    assert len(passages) == 3 and passages[0].score >= passages[-1].score
    for passage in passages:
        assert assistant.get_document(passage.doc_id).text[passage.start : passage.end] == passage.text
    with pytest.raises(InvalidInputError, match="between 1 and 50"):
        assistant.retrieve("x", k=0)


def test_ask_stream__yields_the_text_then_the_same_answer(assistant):
    stream = assistant.ask_stream("How old were the captured soldiers?")
    text = "".join(stream)
    assert text == stream.answer.text and "aged 20 and 26" in text


def test_get_documents__those_stored_in_one_read(assistant):
    store = assistant._get_store()
    ids = [d.doc_id for d in assistant.list_documents()]

    found = store.get_documents([*ids, "nope", ids[0]])

    assert sorted(found) == sorted(ids)
    assert all(found[i] == store.get_document(i) for i in ids) and store.get_document("nope") is None


def test_ask__reads_the_document_records_once_a_question_with_the_articles_it_checks(assistant, real_embedder,
                                                                                     monkeypatch):
    # A fresh assistant (nothing cached) on the same index: the search checks its passages'
    # records and reads their articles with them; the answerer's claim check reads no more.
    fresh = Assistant(assistant.settings, embedder=real_embedder)
    store = fresh._get_store()
    records_read: list[bool] = []
    records_of = store._records_of
    monkeypatch.setattr(store, "_records_of", lambda doc_ids, action, *, with_texts=False: (
        records_read.append(with_texts) or records_of(doc_ids, action, with_texts=with_texts)))
    monkeypatch.setattr(store, "get_documents", lambda doc_ids: pytest.fail("the articles were read again"))

    answer = fresh.ask("How old were the captured soldiers?")

    assert "aged 20 and 26" in answer.text and answer.answerer == "extractive"
    assert records_read == [True]


def test_get_document__unknown_id_is_a_clear_error(assistant):
    with pytest.raises(DocumentNotFoundError, match="No indexed document has the id 'nope'"):
        assistant.get_document("nope")


def test_module_level_ask__indexes_the_seeds_on_first_use(tmp_path, monkeypatch, caplog, real_embedder):
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.setattr(rag.api, "_default", None)
    monkeypatch.setattr(rag.answer.assistant, "build_embedder", lambda settings: real_embedder)
    with caplog.at_level(logging.INFO, logger="rag.answer.assistant"):  # the library logs it; the CLI says it
        answer = rag.ask("How many North Korean soldiers were wounded in Kursk?")
    assert "No articles indexed yet in" in caplog.text and "indexing the two demo articles" in caplog.text
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "rag.answer.assistant")
    assert "2,700 wounded" in answer.text
    document = rag.get_document(answer.citations[0].doc_id)
    assert document.text[answer.citations[0].start : answer.citations[0].end] == answer.citations[0].text


def test_empty_index_without_seeding_is_a_clear_error(tmp_path, real_embedder):
    assistant = Assistant(Settings(data_dir=tmp_path / "empty"), embedder=real_embedder, auto_seed=False)
    with pytest.raises(EmptyIndexError, match="rag ingest PATH"):
        assistant.ask("Anything?")
