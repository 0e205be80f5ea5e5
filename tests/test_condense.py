"""Offline follow-up condensing: what a follow-up carries over from the conversation.

The conversations are invented for these tests; none comes from the demo articles.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answer.condense import MAX_CARRIED_CHARS, MAX_CARRIED_WORDS, condense_offline, needs_context
from rag.answer.refusal import EMPTY_FILTER_REFUSAL, NOT_FOUND_REFUSAL
from rag.types import Turn

SAILORS = Turn(
    "How old were the rescued sailors?",
    "The sailors, aged 31 and 44, suffered burns in the engine fire and are recovering at a "
    "hospital in Halifax [1].",
)


def carried(standalone: str, question: str) -> str:
    """The bracketed words `condense_offline` appended to `question`."""
    assert standalone.startswith(f"{question} (") and standalone.endswith(")")
    return standalone[len(question) + 2:-1]


def test_plural_pronoun__carries_the_subject_and_the_place_only_the_answer_named():
    question = "Where are they being treated?"
    standalone = condense_offline(question, [SAILORS])
    assert carried(standalone, question) == "rescued sailors Halifax"
    # "old" says what the previous question asked, not what about: not carried.
    assert "old" not in standalone.split()


def test_plural_pronoun__subject_found_in_an_earlier_turn_of_a_chain():
    history = [SAILORS, Turn("Where are they being treated?", "At a hospital in Halifax [1].")]
    question = "Who is paying for their care?"
    words = carried(condense_offline(question, history), question).split()
    assert words[:2] == ["rescued", "sailors"] and "Halifax" in words


def test_plural_pronoun__subject_taken_from_the_answer_when_the_question_had_none():
    history = [Turn("Who was rescued?", "Three Norwegian fishermen were rescued near Bergen [2].")]
    question = "How old were they?"
    assert carried(condense_offline(question, history), question) == "Three Norwegian fishermen rescued Bergen"


def test_person_pronoun__carries_the_person_the_answer_named_first():
    history = [Turn(
        "Who opened the new bridge?",
        "Mayor Anna Lindqvist opened it on Friday, and engineers in Uppsala said it was finished early [1].",
    )]
    question = "What did she promise?"
    words = carried(condense_offline(question, history), question).split()
    assert words[:3] == ["Mayor", "Anna", "Lindqvist"]
    assert "Uppsala" in words and "Friday" not in words  # a day is no name


def test_person_pronoun__a_single_surname_before_a_speech_verb():
    history = [Turn("Who criticised the harbour plan?", "Okonkwo said the plan ignored the fishermen [3].")]
    question = "What did he say?"
    assert carried(condense_offline(question, history), question) == "Okonkwo criticised harbour plan"


def test_person_pronoun__places_and_nationalities_are_not_people():
    history = [Turn("Where did the storm hit?", "It hit villages in Kerala and Portuguese tourists fled [1].")]
    question = "What did he do next?"
    words = carried(condense_offline(question, history), question).split()
    assert words == ["storm", "hit", "Kerala", "Portuguese"]  # no person first: the usual order


def test_what_about__asks_the_previous_question_again_of_the_new_name():
    history = [Turn("How many ferries did Denmark cancel near Aarhus?", "Twelve ferries [1]; Copenhagen Harbour stayed open.")]
    question = "What about Sweden?"
    # The question type stays ("many"); Denmark, which Sweden replaces, goes; the place stays;
    # the answer's names answered the old question, so they stay behind.
    assert carried(condense_offline(question, history), question) == "many ferries cancel near Aarhus"


def test_what_about__a_new_place_replaces_the_old_place():
    history = [Turn("How many ferries did Denmark cancel near Aarhus?", "Twelve [1].")]
    question = "What about in Odense?"
    assert carried(condense_offline(question, history), question) == "many ferries Denmark cancel near"


def test_refusal_answers_carry_nothing_but_the_question_still_does():
    for refusal in (NOT_FOUND_REFUSAL.format(searched="Harbour Weekly and Coastal Times"), EMPTY_FILTER_REFUSAL):
        history = [Turn("Which trawlers sank off Greenland?", refusal)]
        question = "Why did they sink?"
        assert carried(condense_offline(question, history), question) == "trawlers sank Greenland"


def test_citation_markers_are_stripped_from_the_answer():
    history = [Turn("Who built the dam?", "Engineers from Lisbon [1][2] built it with Porto crews [3, 4] [Source 5].")]
    standalone = condense_offline("Why?", history)
    assert standalone == "Why? (built dam Lisbon Porto)"
    assert "[" not in standalone and "Source" not in standalone


def test_numbers_carried_only_when_the_follow_up_is_about_the_figure():
    history = [Turn("How many homes lost power?", "The blackout cut power to 8,400 homes in Tromsø [1].")]
    about_figure = "Who confirmed that figure?"
    assert carried(condense_offline(about_figure, history), about_figure) == "homes lost power Tromsø 8,400"
    other = "Why did it happen?"
    assert "8,400" not in condense_offline(other, history)


def test_carried_words_are_capped():
    answer = " ".join(f"Visitors met Ambassador Name{i} Surname{i} in Town{i}." for i in range(20))
    history = [Turn("Which delegates attended the regional climate summit in Geneva yesterday?", answer)]
    question = "Why?"
    words = carried(condense_offline(question, history), question).split()
    assert len(words) == MAX_CARRIED_WORDS
    assert words[:6] == ["delegates", "attended", "regional", "climate", "summit", "Geneva"]


def test_standalone_questions_are_returned_unchanged():
    standalone = "Which hospital in Halifax treated the sailors after the engine fire?"
    assert not needs_context(standalone, [SAILORS])
    assert condense_offline(standalone, [SAILORS]) == standalone
    assert condense_offline("Where are they being treated?", []) == "Where are they being treated?"


def test_nothing_new_to_carry_leaves_the_question_alone():
    history = [Turn("Where were the sailors treated?", "")]
    assert condense_offline("Where were the sailors treated then?", history) == "Where were the sailors treated then?"


def test_deterministic():
    question = "What happened to them afterwards?"
    assert len({condense_offline(question, [SAILORS]) for _ in range(5)}) == 1


_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")) | st.sampled_from(" [1]’'$€."),
    max_size=300,
)
_WORDY = st.lists(
    st.sampled_from(["they", "He", "Kyiv", "soldiers", "Anna Berg", "said", "in", "[1]", "42", "people",
                     "What about", "the", "captured", "x" * 40, "Mr", "Ørsted", "."]),
    max_size=40,
).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(
    question=st.one_of(_TEXT, _WORDY).filter(str.strip),
    history=st.lists(st.builds(Turn, st.one_of(_TEXT, _WORDY), st.one_of(_TEXT, _WORDY)), max_size=4),
)
def test_property__starts_with_the_question_and_stays_short(question, history):
    standalone = condense_offline(question, history)
    assert standalone.startswith(question)
    assert len(standalone) <= len(question) + len(" ()") + MAX_CARRIED_CHARS
    if standalone != question:
        assert len(carried(standalone, question).split()) <= MAX_CARRIED_WORDS


def test_llm_rewrite_that_answers_instead_of_asking__the_offline_rewrite_is_used():
    from rag.answer.condense import condense_with_llm
    from tests.fakes import FakeChatModel

    follow_up, history = "Where are they recovering?", [SAILORS]
    offline = condense_offline(follow_up, history)
    # small models answer the follow-up instead of rewriting it (SmolLM2-135M did, asked for real)
    assert condense_with_llm(follow_up, history, FakeChatModel("The sailors are recovering in a hospital.")) == offline
    assert condense_with_llm(follow_up, history, FakeChatModel("How old were the rescued sailors?")) == offline
    good = "Where are the rescued sailors recovering?"
    assert condense_with_llm(follow_up, history, FakeChatModel(good)) == good
