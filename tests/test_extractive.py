"""The extractive answerer's own logic, on hand-made passages (fake embedder)."""

from __future__ import annotations

from rag.extractive import ExtractiveAnswerer
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
    return ExtractiveAnswerer(FakeEmbedder(), idf=lambda term: 1.0, document_text=lambda doc_id: ARTICLE,
                              min_evidence=min_evidence)


def test_answer__quotes_whole_sentences_with_exact_offsets():
    draft = answerer().answer("How old were the soldiers?", [passage()])
    assert not draft.refused
    citation = draft.citations[0]
    assert citation.text == "The soldiers, aged 20 and 26, were treated in Kyiv."
    assert ARTICLE[citation.start : citation.end] == citation.text
    assert draft.text.startswith("The soldiers, aged 20 and 26, were treated in Kyiv [1].")
    assert draft.evidence.type_fit == 1 and draft.evidence.coverage > 0.5


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


def test_answer__nothing_in_common_is_refused_with_zero_probability():
    draft = answerer().answer("What is the capital of France?", [passage()])
    assert draft.refused and draft.citations == () and draft.evidence.probability == 0.0
    assert "evidence too weak" in draft.reason


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
