"""Parsing and checking `[n]` markers in a model's reply."""

from __future__ import annotations

from rag.citations import check_citations, place_markers
from rag.types import Passage

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
