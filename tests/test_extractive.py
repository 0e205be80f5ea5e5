"""The extractive answerer's own logic, on hand-made passages (fake embedder)."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from rag.answer.extractive import ExtractiveAnswerer
from rag.types import Passage
from tests.fakes import FakeEmbedder

ARTICLE = (
    "Kursk fighting\n\n"
    "On Saturday, Putin claimed that Russian forces had recaptured the Kursk region. "
    "Zelensky, however, disputed the announcement about Kursk. "
    "The soldiers, aged 20 and 26, were treated in Kyiv."
)


def passage(text: str = ARTICLE, start: int = 0, doc_id: str = "kursk", score: float = 0.8) -> Passage:
    return Passage(f"{doc_id}::v::0", doc_id, "Kursk fighting", f"{doc_id}.txt", text, start, start + len(text), score)


def answerer(min_evidence: float = 0.0) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(FakeEmbedder(), idf=lambda term: 1.0, document_texts=lambda ids: dict.fromkeys(ids, ARTICLE),
                              min_evidence=min_evidence)


def test_answer__quotes_whole_sentences_with_exact_offsets():
    draft = answerer().answer("How old were the soldiers?", [passage()])
    assert not draft.refused
    citation = draft.citations[0]
    assert citation.text == "The soldiers, aged 20 and 26, were treated in Kyiv."
    assert ARTICLE[citation.start : citation.end] == citation.text
    assert draft.text.startswith("The soldiers, aged 20 and 26, were treated in Kyiv [1].")
    assert draft.evidence.type_fit == 1.0 and draft.evidence.coverage > 0.5


def test_answer__a_denial_comes_with_the_claim_before_it_even_from_another_chunk():
    denial_start = ARTICLE.index("Zelensky")
    denial_only = passage(ARTICLE[denial_start : ARTICLE.index(" The soldiers")], start=denial_start)
    draft = answerer().answer("Did Zelensky dispute the announcement about Kursk?", [denial_only])
    texts = [c.text for c in draft.citations]
    assert texts[:2] == [
        "On Saturday, Putin claimed that Russian forces had recaptured the Kursk region.",
        "Zelensky, however, disputed the announcement about Kursk.",
    ]
    assert all(ARTICLE[c.start : c.end] == c.text for c in draft.citations)


def test_answer__a_name_the_article_never_mentions_is_reported_missing():
    draft = answerer().answer("What did China's foreign ministry say about Kursk?", [passage()])
    assert draft.evidence.missing == ("china",)


def test_answer__a_name_spelt_another_way_is_not_missing():
    draft = answerer().answer("What did Zelenskyy dispute about Kursk?", [passage()])
    assert draft.evidence.missing == ()


def test_answer__a_name_never_mentioned_is_in_the_refusal_reason():
    draft = answerer(min_evidence=1.0).answer("What did China's foreign ministry say about Kursk?", [passage()])
    assert draft.refused and draft.citations == () and "china" in draft.reason


def test_evidence__contributions_add_up_to_the_judges_logit():
    answering = answerer()
    draft = answering.answer("How old were the soldiers?", [passage()])
    judge = answering.model.judge
    assert abs(judge.bias + sum(draft.evidence.contributions.values()) - judge.logit(draft.evidence.features)) < 0.01
    assert 0.0 < draft.evidence.probability < 1.0


def test_answer__the_fact_is_the_ages_inside_the_quote():
    draft = answerer().answer("How old were the soldiers?", [passage()])
    fact, citation = draft.fact, draft.citations[0]
    assert fact is not None and fact.text == "20 and 26" and fact.citation == citation.n
    assert ARTICLE[fact.start : fact.end] == fact.text and citation.start <= fact.start < fact.end <= citation.end


def test_answer__a_quote_skips_a_leading_dateline_but_keeps_exact_offsets():
    text = "Harbor news\n\nSAN MATEO, Calif. — A wildfire destroyed 46 homes on Tuesday, officials said."
    draft = answerer().answer("How many homes did the wildfire destroy?", [passage(text)])
    citation = draft.citations[0]
    assert citation.text == "A wildfire destroyed 46 homes on Tuesday, officials said."
    assert text[citation.start : citation.end] == citation.text
    assert draft.fact is not None and draft.fact.text.startswith("46")


def test_answer__the_topic_without_the_asked_detail_is_a_partial_answer():
    text = "Shelter news\n\nVolunteers at the Bayside shelter handed out food and blankets on Friday."
    draft = ExtractiveAnswerer(FakeEmbedder(), idf=lambda term: 1.0, min_evidence=1.0).answer(
        "How many volunteers worked at the Bayside shelter?", [passage(text)])
    assert draft.refused and draft.partial
    assert draft.text.startswith("The articles don't say how many")
    assert draft.citations[0].text == "Volunteers at the Bayside shelter handed out food and blankets on Friday."
    assert text[draft.citations[0].start : draft.citations[0].end] == draft.citations[0].text


def test_answer__a_question_not_about_the_topic_is_no_partial_answer():
    draft = answerer(min_evidence=1.0).answer("How many ships sank near Kyiv in 1990?", [passage()])
    assert draft.refused and not draft.partial and draft.citations == ()


def test_answer__threshold_decides_between_answer_and_refusal():
    question = "How old were the soldiers?"
    probability = answerer().answer(question, [passage()]).evidence.probability
    assert not answerer(min_evidence=probability).answer(question, [passage()]).refused
    assert answerer(min_evidence=min(1.0, probability + 0.01)).answer(question, [passage()]).refused


def test_answer__focus_coverage_ignores_names_the_question_mentions():
    draft = answerer().answer("What is Putin's favourite food?", [passage()])
    assert draft.evidence.focus_coverage == 0.0 and draft.evidence.coverage > 0


def test_answer__no_passages_means_refusal():
    draft = answerer().answer("Anything?", [])
    assert draft.refused and draft.reason == "no passage matched the question"


def test_answer__a_claim_comes_with_the_denial_right_after_it():
    claim_start = ARTICLE.index("On Saturday")
    claim_only = passage(ARTICLE[claim_start : ARTICLE.index(" Zelensky")], start=claim_start)
    draft = answerer().answer("What did Putin claim about the Kursk region?", [claim_only])
    assert [c.text for c in draft.citations][:2] == [
        "On Saturday, Putin claimed that Russian forces had recaptured the Kursk region.",
        "Zelensky, however, disputed the announcement about Kursk.",
    ]


def test_answer__evidence_is_an_evidence_value_on_every_path():
    # A refusal once carried `evidence=0.0`, so `answer.evidence.probability` raised on it.
    from rag.types import Evidence

    drafts = [
        answerer().answer("How old were the soldiers?", [passage()]),  # answered
        answerer(min_evidence=1.0).answer("How old were the soldiers?", [passage()]),  # too weak
        answerer(min_evidence=1.0).answer("How many ships sank near Kyiv in 1990?", [passage()]),  # off topic
        answerer().answer("How old were the soldiers?", []),  # nothing to rank
    ]
    for draft in drafts:
        assert draft.evidence is None or isinstance(draft.evidence, Evidence)
        assert draft.evidence is None or 0.0 <= draft.evidence.probability <= 1.0
    assert [d.evidence is None for d in drafts[:3]] == [False, False, False]


def _ranked_by_passage_score() -> ExtractiveAnswerer:
    """An answerer whose ranker looks at the passage's retrieval score alone (logit = 2 x score)
    and whose judge answers everything: which sentences join is then set by the scores."""
    from rag.answer.answer_model import FEATURES, QUESTION_FEATURES, AnswerModel, Logistic

    def logistic(names: tuple[str, ...], **weights: float) -> Logistic:
        return Logistic(0.0, {n: weights.get(n, 0.0) for n in names}, dict.fromkeys(names, 0.0), dict.fromkeys(names, 1.0))

    model = AnswerModel(logistic(FEATURES, passage_score=2.0), logistic(QUESTION_FEATURES), min_evidence=0.0)
    texts = {"a": "Fighting went on in Kursk on Monday.", "b": "Officials counted the damage in the evening."}
    return ExtractiveAnswerer(FakeEmbedder(), idf=lambda term: 1.0, document_texts=lambda ids: {i: texts[i] for i in ids}, model=model)


def _two_articles(runner_up_score: float) -> list[Passage]:
    a, b = "Fighting went on in Kursk on Monday.", "Officials counted the damage in the evening."
    return [
        Passage("a::v::0", "a", "A", "a.txt", a, 0, len(a), 1.0),
        Passage("b::v::0", "b", "B", "b.txt", b, 0, len(b), runner_up_score),
    ]


def test_answer__a_runner_up_the_ranker_cannot_tell_apart_is_quoted_too():
    import math

    from rag.answer.extractive import ADD_IF_WITHIN, TIED_WITHIN

    assert ADD_IF_WITHIN < TIED_WITHIN  # _choose lets a tied sentence through ADD_IF_WITHIN's bar
    answering = _ranked_by_passage_score()
    best = 1 / (1 + math.exp(-2.0))

    def score_for(share: float) -> float:  # the passage score giving the runner-up `share` of the best's probability
        p = share * best
        return math.log(p / (1 - p)) / 2.0

    question = "What happened in Kursk?"  # the runner-up holds none of its words: it adds no coverage
    tied = answering.answer(question, _two_articles(score_for((TIED_WITHIN + 1) / 2)))
    close = answering.answer(question, _two_articles(score_for((ADD_IF_WITHIN + TIED_WITHIN) / 2)))
    assert [c.doc_id for c in tied.citations] == ["a", "b"]
    assert [c.doc_id for c in close.citations] == ["a"]  # within ADD_IF_WITHIN, but it adds nothing asked


class _CountingEmbedder(FakeEmbedder):
    """Counts the texts read for word pieces."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[str] = []

    def embed_pieces(self, texts):
        self.read.extend(texts)
        return super().embed_pieces(texts)


def _sentences_read(cache_size: int) -> tuple[int, int]:
    embedder = _CountingEmbedder()
    extractive = ExtractiveAnswerer(embedder, idf=lambda term: 1.0, document_texts=lambda ids: dict.fromkeys(ids, ARTICLE),
                                    cache_size=cache_size)
    counts = []
    for _ in range(2):
        before = len(embedder.read)
        extractive.answer("How old were the soldiers?", [passage()])
        counts.append(len([t for t in embedder.read[before:] if t != "How old were the soldiers?"]))
    return counts[0], counts[1]


def test_answer__sentences_read_once_are_kept_up_to_the_cache_size():
    first, again = _sentences_read(cache_size=5_000)
    assert first == 3 and again == 0  # the article's three sentences, read once
    first, again = _sentences_read(cache_size=0)  # RAG_SENTENCE_CACHE=0: nothing kept
    assert first == 3 and again == 3


def test_the_sentence_cache_size_is_a_setting(monkeypatch, tmp_path_factory):
    from rag import Assistant, Settings
    from tests.helpers import seeded_settings

    settings = seeded_settings(tmp_path_factory, "sentence-cache")
    monkeypatch.setenv("RAG_SENTENCE_CACHE", "0")
    assert Settings().sentence_cache == 0 and settings.sentence_cache == 5_000
    for size, read_again in ((5_000, False), (0, True)):
        embedder = _CountingEmbedder()
        assistant = Assistant(settings.model_copy(update={"sentence_cache": size}), embedder=embedder)
        question = "How old were the captured soldiers?"
        assistant.ask(question)
        before = len(embedder.read)
        assistant.ask(question)
        assert bool([t for t in embedder.read[before:] if t != question]) == read_again, size


def test_answer__an_article_re_ingested_since_the_search_is_not_quoted_at_the_old_offsets():
    # The claim before the denial was rewritten (and moved the denial) after the search read
    # its passage: the denial is quoted from that passage, and nothing from the new text.
    denial_start = ARTICLE.index("Zelensky")
    denial_only = passage(ARTICLE[denial_start : ARTICLE.index(" The soldiers")], start=denial_start)
    rewritten = ARTICLE.replace("On Saturday, Putin claimed that", "Officials in Moscow said on Sunday evening that")
    extractive = ExtractiveAnswerer(FakeEmbedder(), idf=lambda term: 1.0, min_evidence=0.0,
                                    document_texts=lambda ids: dict.fromkeys(ids, rewritten))

    draft = extractive.answer("Did Zelensky dispute the announcement about Kursk?", [denial_only])

    assert [c.text for c in draft.citations] == ["Zelensky, however, disputed the announcement about Kursk."]
    assert all(ARTICLE[c.start : c.end] == c.text for c in draft.citations)
    # Asked again about the article as it is now, the new text is read and quoted.
    moved = rewritten.index("Zelensky")
    now = passage(rewritten[moved : rewritten.index(" The soldiers")], start=moved)
    draft = extractive.answer("Did Zelensky dispute the announcement about Kursk?", [replace(now, chunk_id="kursk::w::0")])
    assert [c.text for c in draft.citations][:2] == [
        "Officials in Moscow said on Sunday evening that Russian forces had recaptured the Kursk region.",
        "Zelensky, however, disputed the announcement about Kursk."]
    assert all(rewritten[c.start : c.end] == c.text for c in draft.citations)


def test_answer__a_quote_giving_another_number_than_the_question_says_so():
    text = "Protocols\n\nThe protocol was developed by Apple in 1985 for its own computers."
    protocol = Passage("p::v::0", "p", "Protocols", "p.txt", text, 0, len(text), 0.8)
    extractive = ExtractiveAnswerer(FakeEmbedder(), idf=lambda term: 1.0, document_texts=lambda ids: dict.fromkeys(ids, text),
                                    min_evidence=0.0)
    draft = extractive.answer("Who developed the protocol in 1995?", [protocol])
    assert not draft.refused
    assert draft.warnings == ("source [1] gives 1985 where the question says 1995",)
    assert extractive.answer("Who developed the protocol in 1985?", [protocol]).warnings == ()


def test_answer__a_but_inside_the_sentence_brings_no_sentence_before_it():
    article = (
        "Sign up for our weekly newsletter to get all our reviews. "
        "Filming stopped after the lead actor fell ill last July, but he has recovered and the season has wrapped. "
        "The studio said the show would return. But critics doubted the show would return before spring."
    )
    def ask(question: str) -> list[str]:
        draft = ExtractiveAnswerer(FakeEmbedder(), idf=lambda term: 1.0, document_texts=lambda ids: dict.fromkeys(ids, article),
                                   min_evidence=0.0).answer(question, [passage(article)])
        return [c.text for c in draft.citations]

    assert ask("When did the lead actor fall ill?") == [
        "Filming stopped after the lead actor fell ill last July, but he has recovered and the season has wrapped."]
    # "But" opening a sentence answers the one before, which comes with it
    assert ask("What did critics doubt about the show's return before spring?")[:2] == [
        "The studio said the show would return.", "But critics doubted the show would return before spring."]


def test_answer__reads_an_article_re_ingested_since_the_search_once_per_passage():
    # The stored article no longer holds the passage, so it is not cached: read once for the
    # passage's three sentences, not once for each (the soldiers' sentence brings no neighbour).
    reads: list[str] = []

    def document_texts(doc_ids: Mapping[str, str]) -> dict[str, str]:
        reads.extend(doc_ids)
        return dict.fromkeys(doc_ids, "Kursk fighting\n\nThe article was rewritten since.")

    extractive = ExtractiveAnswerer(FakeEmbedder(), idf=lambda term: 1.0, document_texts=document_texts,
                                    min_evidence=0.0)
    draft = extractive.answer("How old were the soldiers?", [passage()])
    assert [c.text for c in draft.citations] == ["The soldiers, aged 20 and 26, were treated in Kyiv."]
    assert reads == ["kursk"]


def test_answer__reads_the_articles_of_all_its_passages_at_once():
    reads: list[list[str]] = []
    other = "Pyongyang reaction\n\nPyongyang denied that the soldiers, aged 20 and 26, were its own."

    def document_texts(doc_ids: Mapping[str, str]) -> dict[str, str]:
        reads.append(list(doc_ids))
        return {"kursk": ARTICLE, "pyongyang": other}

    extractive = ExtractiveAnswerer(FakeEmbedder(), idf=lambda term: 1.0, document_texts=document_texts,
                                    min_evidence=0.0)
    passages = [passage(), passage(other, doc_id="pyongyang", score=0.7)]
    extractive.answer("How old were the soldiers?", passages)
    extractive.answer("Where were the soldiers treated?", passages)

    assert reads == [["kursk", "pyongyang"]]  # one read for both, then both cached


def test_answer__an_article_deleted_since_the_search_quotes_its_passage_alone():
    extractive = ExtractiveAnswerer(FakeEmbedder(), idf=lambda term: 1.0, document_texts=lambda ids: {},
                                    min_evidence=0.0)
    soldiers = ARTICLE.index("The soldiers")
    draft = extractive.answer("How old were the soldiers?", [passage(ARTICLE[soldiers:], start=soldiers)])

    assert [(c.text, c.start) for c in draft.citations] == [(ARTICLE[soldiers:], soldiers)]


# Twelve sentences, more than an answer is chosen among once their pooled vectors are kept.
LONG_ARTICLE = "Kursk report\n\n" + " ".join(
    [f"Officials in region {n} discussed the weather and the harvest at length." for n in range(10)]
    + ["The soldiers, aged 20 and 26, were treated in Kyiv.", "The two soldiers were captured near Kursk in January."]
)


def _long_passage() -> Passage:
    return Passage("long::v::0", "long", "Kursk report", "long.txt", LONG_ARTICLE, 0, len(LONG_ARTICLE), 0.8)


def _with_store(embedder, store) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(embedder, idf=lambda term: 1.0, document_texts=lambda ids: dict.fromkeys(ids, LONG_ARTICLE),
                              min_evidence=0.0, store=store)


def test_answer__with_every_sentence_kept_a_first_question_reads_only_those_it_chooses_among(tmp_path):
    from rag.answer.extractive import READ_AT_LEAST, READ_KEPT, answer_sentences
    from rag.index.sentence_store import SentenceStore

    question = "How old were the soldiers?"
    sentences = answer_sentences(LONG_ARTICLE)
    assert len(sentences) == 12 > READ_KEPT
    # Nothing kept: every sentence is read, and kept.
    store = SentenceStore(tmp_path / "s.sqlite3", "fake-embedder", 64)
    cold = _CountingEmbedder()
    cold_draft = _with_store(cold, store).answer(question, [_long_passage()])
    assert sorted(t for t in cold.read if t != question) == sorted(sentences)
    assert set(store.get(sentences)) == set(sentences)
    # Another process (nothing in memory) with them kept reads only the few it chooses among
    # (`_worth_reading`), and answers the same.
    warm = _CountingEmbedder()
    warm_draft = _with_store(warm, store).answer(question, [_long_passage()])
    assert READ_AT_LEAST <= len([t for t in warm.read if t != question]) <= READ_KEPT
    # Without any store: all read, and the same answer still (chosen among the same few).
    plain = _CountingEmbedder()
    plain_draft = _with_store(plain, None).answer(question, [_long_passage()])
    assert len([t for t in plain.read if t != question]) == 12
    assert warm_draft == cold_draft == plain_draft
    assert [c.text for c in warm_draft.citations][0] == "The soldiers, aged 20 and 26, were treated in Kyiv."


def test_worth_reading__the_first_few_then_statements_within_the_margin_at_most_read_kept():
    from rag.answer.extractive import READ_AT_LEAST, READ_KEPT, READ_WITHIN, _worth_reading

    def chosen(ahead: list[float], statement: list[bool] | None = None) -> list[int]:
        statement = statement or [True] * len(ahead)
        order = sorted(range(len(ahead)), key=lambda i: (not statement[i], -ahead[i]))
        return _worth_reading(order, ahead, statement, READ_KEPT)

    assert READ_AT_LEAST == 3 < READ_KEPT
    # One clear best: the first READ_AT_LEAST only, however far behind the others are.
    assert chosen([9.0, 1.0, 0.5, 0.2, 0.1, 0.0]) == [0, 1, 2]
    # Every statement within READ_WITHIN of the best, in order; not one just beyond.
    near = [9.0, 9.0 - READ_WITHIN, 8.0, 8.5, 9.0 - READ_WITHIN - 0.01, 7.5, 8.9]
    assert chosen(near) == [0, 6, 3, 2, 5, 1]
    # Ties everywhere: READ_KEPT at most.
    assert chosen([1.0] * 12) == list(range(READ_KEPT))
    # A caption (not a statement) after the statements is read only to make up READ_AT_LEAST.
    assert chosen([5.0, 9.0, 4.9, 4.8], [True, False, True, True]) == [0, 2, 3]
    assert chosen([5.0, 9.0, 4.9], [True, False, True]) == [0, 2, 1]
    # Fewer sentences than READ_AT_LEAST: all of them.
    assert chosen([3.0, -5.0]) == [0, 1]


def test_rank__explains_with_every_sentence_while_answer_chooses_among_the_kept_few(tmp_path):
    from rag.answer.extractive import READ_KEPT

    ranked = _with_store(FakeEmbedder(), None).rank("How old were the soldiers?", [_long_passage()])
    assert len(ranked) == 12 > READ_KEPT


def test_answer__who_is_questions_read_every_sentence_even_when_kept(tmp_path):
    from rag.index.sentence_store import SentenceStore

    store = SentenceStore(tmp_path / "s.sqlite3", "fake-embedder", 64)
    _with_store(FakeEmbedder(), store).read_ahead([LONG_ARTICLE])
    embedder = _CountingEmbedder()
    _with_store(embedder, store).answer("Who is Zelensky?", [_long_passage()])
    assert len([t for t in embedder.read if t != "Who is Zelensky?"]) == 12


def test_read_ahead__keeps_every_sentence_once_and_needs_a_store(tmp_path):
    import pytest

    from rag.answer.extractive import answer_sentences
    from rag.errors import ConfigurationError
    from rag.index.sentence_store import SentenceStore, kept_precision

    store = SentenceStore(tmp_path / "s.sqlite3", "fake-embedder", 64)
    embedder = _CountingEmbedder()
    reader = _with_store(embedder, store)
    first = reader.read_ahead([LONG_ARTICLE, ARTICLE])
    again = reader.read_ahead([LONG_ARTICLE, ARTICLE])
    # 12 + 3 sentences, one in both articles: read once.
    assert (first.sentences, first.read) == (14, 14) and (again.sentences, again.read) == (14, 0)
    assert sorted(embedder.read) == sorted(set(answer_sentences(LONG_ARTICLE) + answer_sentences(ARTICLE)))
    # The vectors kept are the ones an answer computes.
    kept = store.get(answer_sentences(ARTICLE))
    for text, pieces in zip(answer_sentences(ARTICLE), FakeEmbedder().embed_pieces(answer_sentences(ARTICLE))):
        assert kept[text].tobytes() == kept_precision(pieces.vector).tobytes()
    # One look-up in the store per call, not one per sentence (a whole index is ~200,000).
    looked_up = []
    counting = SentenceStore(tmp_path / "t.sqlite3", "fake-embedder", 64)
    original = counting.get
    counting.get = lambda texts: looked_up.append(1) or original(texts)  # type: ignore[method-assign]
    _with_store(FakeEmbedder(), counting).read_ahead([LONG_ARTICLE, ARTICLE])
    assert len(looked_up) == 1
    with pytest.raises(ConfigurationError, match="RAG_SENTENCE_STORE=false"):
        _with_store(FakeEmbedder(), None).read_ahead([ARTICLE])


def test_read_ahead__pages_sharing_sentences_count_and_read_each_once(tmp_path):
    from rag.index.sentence_store import SentenceStore

    embedder = _CountingEmbedder()
    reader = _with_store(embedder, SentenceStore(tmp_path / "s.sqlite3", "fake-embedder", 64))
    seen: set[int] = set()
    # The second page holds the first one's article again and one sentence of it in another.
    pages = [reader.read_ahead([LONG_ARTICLE], seen), reader.read_ahead([ARTICLE, LONG_ARTICLE], seen)]
    assert [(p.sentences, p.read) for p in pages] == [(12, 12), (2, 2)]
    assert len(embedder.read) == len(set(embedder.read)) == 14
