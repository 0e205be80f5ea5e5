"""Sentence boundaries in news text: abbreviations, acronyms and quotes (invented articles)."""

from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.text.sentences import sentence_spans


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize(
    "text",
    [
        "SAN JOSE, Calif. — A fire tore through a recycling plant late on Tuesday.",
        "The festival drew crowds in Austin, Tex. on Monday despite the heat.",
        "Flights from Albany, N.Y. were delayed for hours by the ice storm.",
        "Crews from Trenton, N.J. and Dover, Del. helped clear the highway.",
        "Ms. Vega toured Springfield, Ill. Friday with local leaders.",
        "Sen. Alma Reyes and Gov. Pat Quinlan met Rep. Dale Ortiz in the capitol.",
        "Pres. Okafor thanked Supt. Lin and the crews at Ft. Bragg and Mt. Rainier.",
        "The bill, No. 5 on the agenda, passed after midnight.",
        "Rep. Nora Hale (D-Calif.) said the vote was close.",
        "The stadium was renamed on Nov. 3 after a long campaign.",
        "Shares of Brightwater Inc. rose sharply in early trading.",
        "The N.Y. Harbor ferry resumed service after the storm.",
        "J. R. Mendel, the ferry's captain, said the crossing was calm.",
    ],
)
def test_an_abbreviation_mid_sentence_does_not_split(text: str) -> None:
    assert sentences(text) == [text]


def test_dotted_acronym_before_a_lowercase_word_continues() -> None:
    text = "Police found a forged I.D. under the seat. The U.S. officials declined to comment."
    assert sentences(text) == ["Police found a forged I.D. under the seat.", "The U.S. officials declined to comment."]


def test_dotted_acronym_before_a_capitalised_name_continues() -> None:
    text = "The U.S. Coast Guard rescued four sailors. A U.N. Security Council vote was delayed."
    assert sentences(text) == [
        "The U.S. Coast Guard rescued four sailors.",
        "A U.N. Security Council vote was delayed.",
    ]


def test_dotted_acronym_before_a_sentence_opener_splits() -> None:
    text = "She grew up in the U.S. She moved to Lisbon in 2004. The talks ended at 6 p.m. Officials left at once."
    assert sentences(text) == [
        "She grew up in the U.S.",
        "She moved to Lisbon in 2004.",
        "The talks ended at 6 p.m.",
        "Officials left at once.",
    ]


def test_dotted_acronym_before_a_quoted_opener_splits() -> None:
    text = "The envoy arrived in Washington, D.C. “We are ready,” she said."
    assert sentences(text) == ["The envoy arrived in Washington, D.C.", "“We are ready,” she said."]


def test_a_state_that_ends_the_sentence_splits_before_an_opener() -> None:
    text = "The plant is near Fresno, Calif. It employs 300 people."
    assert sentences(text) == ["The plant is near Fresno, Calif.", "It employs 300 people."]


def test_words_spelled_like_abbreviations_end_sentences() -> None:
    text = "The driver fell ill. Doctors kept him overnight. Asked about a deal, he said no. Talks collapsed."
    assert sentences(text) == [
        "The driver fell ill.",
        "Doctors kept him overnight.",
        "Asked about a deal, he said no.",
        "Talks collapsed.",
    ]


def test_a_closing_quote_after_the_period_ends_the_sentence() -> None:
    text = "The chief said, “Rebuilding will be a long task.” He left without questions."
    assert sentences(text) == ["The chief said, “Rebuilding will be a long task.”", "He left without questions."]


def test_a_closing_quote_ends_the_sentence_even_after_an_acronym() -> None:
    text = "“We will stay in the U.S.” Officials did not respond."
    assert sentences(text) == ["“We will stay in the U.S.”", "Officials did not respond."]


def test_a_quoted_question_followed_by_lowercase_stays_together() -> None:
    text = "“Who pays for the repairs?” she asked. Nobody answered."
    assert sentences(text) == ["“Who pays for the repairs?” she asked.", "Nobody answered."]


def test_spans_are_trimmed_per_line_and_offsets_are_into_the_text() -> None:
    text = "Header line\n\n  The dam held. Water rose 2 ft. overnight!  \nLast line"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["Header line", "The dam held.", "Water rose 2 ft. overnight!", "Last line"]
    inner = sentence_spans(text, text.index("The dam"), text.index("Last"))
    assert [text[s:e] for s, e in inner] == ["The dam held.", "Water rose 2 ft. overnight!"]


_ALPHABET = "aAbTUSDChe .!?…\"“”'’()—-*_\n\t0123456789"
_WORDS = st.sampled_from(
    ["The", "He", "U.S.", "Calif.", "Sen.", "No.", "no.", "5", "a.m.", "J.", "said", "“Go.”", "I.D.", "—", "\n", "?",
     "…"]
)
_TEXTS = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=120),
    st.lists(_WORDS, max_size=40).map(" ".join),
    st.text(max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS, data=st.data())
def test_spans_are_ordered_trimmed_and_within_lines(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    spans = sentence_spans(text, start, end)
    previous_end = start
    for s, e in spans:
        assert previous_end <= s < e <= end
        assert "\n" not in text[s:e]
        assert not text[s].isspace() and not text[e - 1].isspace()
        previous_end = e
    # Every non-space character of the range belongs to a span.
    covered = {i for s, e in spans for i in range(s, e)}
    assert all(text[i].isspace() or i in covered for i in range(start, end))
