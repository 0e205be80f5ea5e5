"""Parsing and checking `[n]` markers in a model's reply."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rag.answer.citations import CheckedReply, check_citations, place_markers
from rag.answer.llm_answer import LLMAnswerer
from rag.answer.prompts import NOT_IN_SOURCES
from rag.types import Draft, Passage
from tests.fakes import FakeChatModel

SOURCES = [
    Passage("c1", "ukraine", "Ukraine Captures", "u.txt", "The soldiers, aged 20 and 26, were injured during their capture.", 100, 164, 0.9),
    Passage("c2", "korea", "North Korea confirms", "k.txt", "Putin claimed that Russian forces had recaptured Kursk. Zelensky disputed Putin's announcement.", 50, 146, 0.8),
]


def test_check_citations__valid_markers_are_renumbered_in_order_of_use():
    checked = check_citations("Putin claimed Kursk was recaptured [2]. The soldiers were 20 and 26 [1].", SOURCES)
    assert checked.text == "Putin claimed Kursk was recaptured [1]. The soldiers were 20 and 26 [2]."
    assert [(c.n, c.doc_id) for c in checked.citations] == [(1, "korea"), (2, "ukraine")]
    assert checked.warnings == ()


def test_check_citations__unknown_marker_is_removed_and_reported(caplog):
    checked = check_citations("The soldiers were aged 20 and 26 [1][7].", SOURCES)
    assert checked.text == "The soldiers were aged 20 and 26 [1]."
    assert checked.warnings == ("removed citation [7], which matches no source",)
    assert "Removed citation [7]" in caplog.text


def test_check_citations__uncited_sentence_gets_the_best_matching_source():
    checked = check_citations("Zelensky disputed Putin's announcement about Kursk.", SOURCES)
    assert checked.text == "Zelensky disputed Putin's announcement about Kursk [1]."
    assert checked.citations[0].doc_id == "korea"
    assert "cited the best-matching source" in checked.warnings[0]


def test_check_citations__unsupported_sentence_is_flagged_not_cited():
    checked = check_citations("The soldiers were 20 and 26 [1]. Bananas are yellow.", SOURCES)
    assert checked.text == "The soldiers were 20 and 26 [1]. Bananas are yellow."
    assert len(checked.citations) == 1
    assert checked.warnings == ("no source supports: 'Bananas are yellow.'",)


def test_check_citations__comma_lists_and_citation_spans_match_sources():
    checked = check_citations("Both are reported [1, 2].", SOURCES)
    assert checked.text == "Both are reported [1][2]."
    assert [(c.start, c.end, c.text) for c in checked.citations] == [(s.start, s.end, s.text) for s in SOURCES]


def test_place_markers__never_inside_a_closing_quote():
    assert place_markers("He said it was fake.", [1]) == "He said it was fake [1]."
    assert place_markers("He called it “fake news.”", [2]) == "He called it “fake news.” [2]"
    assert place_markers("A heading", [1, 3]) == "A heading [1][3]"


# -- odd marker forms (issue 10) ------------------------------------------------


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("The soldiers were aged 20 and 26 【1】.", "The soldiers were aged 20 and 26 [1]."),
        ("The soldiers were aged 20 and 26 ［1］.", "The soldiers were aged 20 and 26 [1]."),
        ("The soldiers were aged 20 and 26 (1).", "The soldiers were aged 20 and 26 [1]."),
        ("The soldiers were aged 20 and 26 [^1].", "The soldiers were aged 20 and 26 [1]."),
        ("The soldiers were aged 20 and 26 [Source 1].", "The soldiers were aged 20 and 26 [1]."),
        ("The soldiers were aged 20 and 26 [source: 1].", "The soldiers were aged 20 and 26 [1]."),
        ("The soldiers were aged 20 and 26 (Source 1).", "The soldiers were aged 20 and 26 [1]."),
        ("The soldiers were aged 20 and 26 (source 1), Putin said.", "The soldiers were aged 20 and 26, Putin said [1]."),
        ("Both are reported [1-2].", "Both are reported [1][2]."),
        ("Both are reported [1–2].", "Both are reported [1][2]."),
        ("Both are reported [Sources 1, 2].", "Both are reported [1][2]."),
        ("Both are reported (1)(2).", "Both are reported [1][2]."),
        ("Both are reported (1, 2).", "Both are reported [1][2]."),
        ("Both are reported [1] (2) by the press.", "Both are reported by the press [1][2]."),
        ("The soldiers were aged 20 and 26. [1]", "The soldiers were aged 20 and 26 [1]."),
        ("The soldiers were 26 (1)", "The soldiers were 26 [1]"),
    ],
)
def test_check_citations__odd_marker_forms_become_our_markers(reply, expected):
    checked = check_citations(reply, SOURCES)
    assert checked.text == expected
    assert checked.warnings == ()
    assert "(" not in checked.text and "【" not in checked.text


def test_check_citations__a_range_counts_only_its_valid_sources():
    checked = check_citations("Both are reported [1-4].", SOURCES)
    assert checked.text == "Both are reported [1][2]."
    assert checked.warnings == ("removed citation [3-4], which matches no source",)


def test_check_citations__labelled_marker_with_an_unknown_number_is_removed():
    checked = check_citations("The soldiers were aged 20 and 26 [Source 1] (Source 9).", SOURCES)
    assert checked.text == "The soldiers were aged 20 and 26 [1]."
    assert checked.warnings == ("removed citation [9], which matches no source",)


def test_check_citations__a_parenthesised_number_mid_sentence_is_text_at_the_end_a_marker():
    checked = check_citations("Step (1) of the plan: the soldiers were aged 20 and 26 (1).", SOURCES)
    assert checked.text == "Step (1) of the plan: the soldiers were aged 20 and 26 [1]."
    assert [c.doc_id for c in checked.citations] == ["ukraine"] and checked.warnings == ()


def test_check_citations__a_parenthesised_number_that_is_no_source_is_text():
    checked = check_citations("The soldiers were aged 20 and 26 in 2024 (2) (1).", SOURCES[:1])
    assert checked.text == "The soldiers were aged 20 and 26 in 2024 (2) [1]."
    assert checked.warnings == ()  # "(2)" is text, not a removed citation


def test_check_citations__a_parenthesised_year_is_text():
    checked = check_citations("The soldiers were aged 20 and 26 (2024) (1).", SOURCES)
    assert checked.text == "The soldiers were aged 20 and 26 (2024) [1]."


def test_check_citations__nested_markers_leave_no_stray_marker():
    checked = check_citations("The soldiers were aged 20 and 26 [[1]7].", SOURCES)
    assert checked.text == "The soldiers were aged 20 and 26 [1]."
    assert checked.warnings == ("removed citation [7], which matches no source",)


# -- any model output: an answer, never a crash (issue 10) ----------------------


def test_check_citations__a_marker_of_5000_digits_is_removed_not_a_crash():
    checked = check_citations("The soldiers were aged 20 and 26 [" + "9" * 5000 + "].", SOURCES)
    assert checked.text == "The soldiers were aged 20 and 26 [1]."
    assert checked.warnings[0] == "removed citation [999999999999…], which matches no source"


def test_llm_answerer__finish_with_5000_digits_answers():
    draft = LLMAnswerer(FakeChatModel()).finish("The soldiers were aged 20 and 26 [" + "1" * 5000 + "].", SOURCES)
    assert isinstance(draft, Draft) and draft.text == "The soldiers were aged 20 and 26 [1]."


_NUMBERS = st.one_of(
    st.from_regex(r"[0-9]{1,6}", fullmatch=True), st.sampled_from(["9" * 5000, "0" * 4999 + "1", "٣", "१२", "1-3", "2, 9"])
)
_MARKERS = st.tuples(
    st.sampled_from(["[", "(", "【", "［", "[^", "[Source ", "(source ", "[source: "]),
    _NUMBERS,
    st.sampled_from(["]", ")", "】", "］", ""]),
).map("".join)
_PIECES = st.one_of(
    _MARKERS,
    st.sampled_from(["[", "]", "(", ")", "【", "】", "［", "］", "[^", "-", "–", ",", " and ", " ", ".", "!", "?",
                     "…", "\n", "\n\n", "Source ", "source: ", "”", '"', "soldiers", "Kursk", "aged 20 and 26",
                     "[1]", "[2]", "(1)", "[0]", "[1-3]", "[1, 2]", NOT_IN_SOURCES[:5]]),
    _NUMBERS,
    st.text(max_size=6),
)
_REPLIES = st.one_of(st.text(), st.lists(_PIECES, max_size=30).map("".join))
_ANY_TEXT = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def assert_markers_are_citations(text: str, citations) -> None:
    assert [c.n for c in citations] == list(range(1, len(citations) + 1))
    for n in re.findall(r"\[(\d+)\]", text):
        assert len(n) <= 4 and 1 <= int(n) <= len(citations), (n, text)


_HUGE_MARKER = "The soldiers were aged 20 and 26 [" + "7" * 5000 + "]."


@_ANY_TEXT
@given(reply=_REPLIES)
@example(reply=_HUGE_MARKER)
@example(reply="[" + "7" * 5000)
@example(reply="[1][2]")
@example(reply="")
def test_check_citations__any_text_gives_a_reply_whose_markers_are_its_citations(reply):
    checked = check_citations(reply, SOURCES)
    assert isinstance(checked, CheckedReply)
    assert_markers_are_citations(checked.text, checked.citations)


@_ANY_TEXT
@given(reply=_REPLIES)
@example(reply=_HUGE_MARKER)
@example(reply="Kursk [[1]7].")
def test_llm_answerer__finish_of_any_text_gives_a_draft_whose_markers_are_its_citations(reply):
    draft = LLMAnswerer(FakeChatModel()).finish(reply, SOURCES)
    assert isinstance(draft, Draft)
    assert_markers_are_citations(draft.text, draft.citations)
    assert draft.refused == (draft.citations == ())
