"""A question asking two things: where it is split, and how its parts' answers are joined.

The answering itself, part by part with the real MiniLM, is in test_answer_quality.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag import Answer, Citation, Evidence, Fact, Passage
from rag.answer.question_parts import combine_answers, searched_parts, split_question, take_in_turn
from rag.answer.refusal import NOT_FOUND_REFUSAL


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("How many homes did the wildfire destroy, and how many fishermen are held in Estria?",
         ("How many homes did the wildfire destroy?", "How many fishermen are held in Estria?")),
        ("What might North Korea receive from Russia, and which programs could that help?",
         ("What might North Korea receive from Russia?", "Which programs could that help?")),
        ("How old are the captured soldiers and where are they being treated?",
         ("How old are the captured soldiers?", "Where are they being treated?")),
        ("Who is the fire chief? Where did the younger sailor want to stay?",
         ("Who is the fire chief?", "Where did the younger sailor want to stay?")),
        ("Who is the fire chief?  Did the mayor praise the response?",
         ("Who is the fire chief?", "Did the mayor praise the response?")),
    ],
)
def test_a_second_question_is_split_off(question, parts):
    assert split_question(question) == parts


@pytest.mark.parametrize(
    "question",
    [
        "Who helped interrogate the prisoners, and why?",  # "why" asks about the first part
        "Where did each of the two sailors want to go?",
        "How old were the sailors and the firefighters?",
        # "and" joins two clauses of one question
        "What is the difference between what Russia said and what Ukraine said?",
        # SQuAD 2.0 dev questions: "and" + a question word that opens no question of its own
        "Closing speakers are given between 5 and how many minutes?",
        "Imperialism extends a country's power and what?",
        "What prominent South African family distilled brandy and were Huguenots?",
        "European nations and which country disassociated themselves from the US for this reason?",
        "Can a packet be sent empty?  If so, is it billable?",
        # more parts than a reader follows: answered as one question
        "Who led it? When did it start? Where did it end? Why did it fail?",
    ],
)
def test_one_question_stays_whole(question):
    assert split_question(question) == (question,)


def _answer(question: str, *quotes: str, probability: float, refused: bool = False, partial: bool = False,
            text: str | None = None, fact: str | None = None) -> Answer:
    passages = tuple(Passage(f"d::v::{q}", "d", "Title", "s", q, 10 * len(q), 11 * len(q), 1.0)
                     for q in quotes)
    citations = tuple(Citation(n, p, p.text, p.start, p.end, 0.9) for n, p in enumerate(passages, start=1))
    if text is None:
        text = " ".join(f"{q.rstrip('.')} [{n}]." for n, q in enumerate(quotes, start=1))
    found = None
    if fact is not None:
        cited = citations[-1]
        at = cited.text.index(fact)
        found = Fact(fact, cited.n, cited.start + at, cited.start + at + len(fact))
    return Answer(
        question=question, standalone_question=question, text=text, refused=refused, citations=citations,
        passages=passages, answerer="extractive", refusal_reason="evidence too weak" if refused else "",
        evidence=Evidence(probability, 0.5, 0.5, 0.5, 0.0), fact=found, partial=partial,
    )


def test_parts_answers_are_joined_with_their_sources_numbered_anew():
    first = _answer("How many homes?", "It destroyed 46 homes.", probability=0.9)
    second = _answer("Who pays?", "Mayors meet.", "The county pays 3 million.", probability=0.7, fact="3 million")
    answer = combine_answers("How many homes, and who pays?", [first, second])
    assert answer.text == "It destroyed 46 homes [1]. Mayors meet [2]. The county pays 3 million [3]."
    assert [(c.n, c.text) for c in answer.citations] == [
        (1, "It destroyed 46 homes."), (2, "Mayors meet."), (3, "The county pays 3 million.")]
    assert not answer.refused and not answer.partial
    assert answer.fact is not None and answer.fact.citation == 3 and answer.fact.text == "3 million"
    assert answer.question == "How many homes, and who pays?"
    assert answer.standalone_question == "How many homes? Who pays?"
    assert answer.evidence is not None and answer.evidence.probability == 0.9


def test_each_parts_short_answer_is_kept_renumbered_in_the_parts_order():
    first = _answer("How old?", "Filler.", "The sailors are 22 and 29.", probability=0.8, fact="22 and 29")
    second = _answer("Where held?", "They were held in Kell.", probability=0.7, fact="Kell")
    answer = combine_answers("How old, and where held?", [first, second])
    assert [(f.text, f.citation) for f in answer.facts] == [("22 and 29", 2), ("Kell", 3)]
    assert answer.fact == answer.facts[0]
    # a part the articles do not answer adds none; the same short answer twice is kept once
    refused = _answer("Who?", "Kell.", probability=0.1, refused=True, fact="Kell")
    again = _answer("Where?", "They were held in Kell.", probability=0.9, fact="Kell")
    assert [f.text for f in combine_answers("q", [second, refused, again]).facts] == ["Kell"]


def test_answer__fact_is_the_first_of_facts_whichever_is_given():
    one = _answer("Where held?", "They were held in Kell.", probability=0.7, fact="Kell")
    assert one.facts == (one.fact,)
    both = replace(one, fact=None, facts=(one.facts[0], replace(one.facts[0], text="held")))
    assert both.fact == one.fact and len(both.facts) == 2
    with pytest.raises(ValueError, match="facts"):
        replace(both, fact=replace(one.facts[0], text="They"))


def test_a_sentence_answering_two_parts_is_quoted_once():
    shared = "The sailors, aged 22 and 29, were held in Kell."
    first = _answer("How old?", shared, probability=0.8)
    second = _answer("Where held?", "Another line.", shared, probability=0.85)
    answer = combine_answers("How old, and where held?", [first, second])
    assert answer.text == "The sailors, aged 22 and 29, were held in Kell [1]. Another line [2]."
    assert [c.n for c in answer.citations] == [1, 2]
    assert answer.evidence is not None and answer.evidence.probability == 0.85


def test_a_part_the_articles_do_not_answer_is_named():
    first = _answer("How many acres burned?", "It burned 3,100 acres.", probability=0.88)
    second = _answer("What is the capital of France?", probability=0.1, refused=True, text="The indexed articles don't say.")
    answer = combine_answers("How many acres burned, and what is the capital of France?", [first, second])
    assert not answer.refused
    assert answer.text == "It burned 3,100 acres [1]. The articles don't answer “What is the capital of France?”"
    assert len(answer.citations) == 1


def test_the_whole_is_refused_only_when_every_part_is():
    parts = [_answer("Who?", probability=0.2, refused=True, text="no"),
             _answer("Where?", probability=0.4, refused=True, text="no")]
    answer = combine_answers("Who, and where?", parts)
    assert answer.refused and not answer.partial and answer.citations == ()
    assert answer.text == NOT_FOUND_REFUSAL.format(searched="the index")  # no passages in these fakes
    assert answer.evidence is not None and answer.evidence.probability == 0.4  # the strongest part's


def test_a_partial_part_keeps_what_it_cites():
    partial = _answer("How many volunteers?", "Volunteers handed out food.", probability=0.3, refused=True,
                      partial=True, text="The articles don't say how many. What they report: Volunteers handed out food [1].")
    refused = _answer("Who?", probability=0.2, refused=True, text="no")
    answer = combine_answers("How many volunteers, and who?", [partial, refused])
    assert answer.refused and answer.partial
    assert answer.text.startswith("The articles don't say how many. What they report: Volunteers handed out food [1].")
    assert answer.text.endswith("The articles don't answer “Who?”")
    assert [c.text for c in answer.citations] == ["Volunteers handed out food."]


def _passage(chunk_id: str) -> Passage:
    return Passage(chunk_id, "d", "Title", "s", f"text of {chunk_id}", 0, 10, 1.0)


def test_each_parts_passages_are_taken_in_turn_once_each_up_to_k():
    first = [_passage("a"), _passage("b"), _passage("c")]
    second = [_passage("x"), _passage("a"), _passage("y")]
    assert [p.chunk_id for p in take_in_turn([first, second], 4)] == ["a", "x", "b", "c"]
    assert [p.chunk_id for p in take_in_turn([first, second], 2)] == ["a", "x"]
    assert [p.chunk_id for p in take_in_turn([first, []], 5)] == ["a", "b", "c"]


def test_a_later_part_is_searched_with_the_words_it_leans_on():
    searched = searched_parts(("What might North Korea receive from Russia?", "Which programs could that help?"))
    assert searched[0] == "What might North Korea receive from Russia?"
    assert searched[1].startswith("Which programs could that help?") and "North Korea" in searched[1]
