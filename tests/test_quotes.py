"""What a quote shows: datelines and caption markup skipped, offsets exact (invented articles)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answer.quotes import dateline_end, is_caption, quote_span
from rag.text.sentences import sentence_spans


def shown(text: str) -> str:
    start, end = quote_span(text, 0, len(text))
    return text[start:end]


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("SAN JOSE, Calif. — A fire tore through a recycling plant.", "A fire tore through a recycling plant."),
        ("KYIV, Ukraine (AP) — Drones struck a power station overnight.", "Drones struck a power station overnight."),
        ("CAPITAL CITY, June 11 (Metro Wire) - The council passed the budget.", "The council passed the budget."),
        ("WASHINGTON — The Senate adjourned without a vote.", "The Senate adjourned without a vote."),
        ("LONDON (Reuters) - Shares of lenders fell on Friday.", "Shares of lenders fell on Friday."),
        ("NEW YORK, Nov. 3 — Subway service resumed at dawn.", "Subway service resumed at dawn."),
        ("ST. LOUIS—Flood waters crested at 40 feet.", "Flood waters crested at 40 feet."),
        ("WASHINGTON, D.C. -- Lawmakers returned from recess.", "Lawmakers returned from recess."),
        ("BUENOS AIRES, Argentina, March 9 (AFP) – “We will not pay,” the minister said.",
         "“We will not pay,” the minister said."),
        ("RIO GRANDE CITY — 12 migrants were found alive in a truck.", "12 migrants were found alive in a truck."),
    ],
)
def test_quote_span_skips_a_leading_dateline(text: str, quote: str) -> None:
    assert shown(text) == quote
    assert dateline_end(text, 0) == text.index(quote)


@pytest.mark.parametrize(
    "text",
    [
        "US officials — including the secretary — said the talks would continue.",
        "The U.N. — which rarely agrees on anything — voted to extend the mission.",
        "NATO said on Monday — in a statement — that it would send more jets.",
        "NATO — the alliance founded in 1949 — said it would meet on Friday.",  # lowercase after the dash
        "NATO — Allies agreed to raise spending.",  # a known organisation, not a place
        "FBI — Agents searched the house for hours.",
        "AMERICA FIRST — THAT IS WHAT THE CROWD CHANTED",  # shouting, no prose after the dash
        "I — and many others — opposed the plan.",
        "FILE - Firefighters battle a blaze in the hills.",  # a caption, kept as one
        "A fire — the third this month — destroyed the depot.",
        "The mayor said the cleanup - which began in May - would take a year.",
    ],
)
def test_quote_span_keeps_ordinary_sentences_whole(text: str) -> None:
    assert shown(text) == text
    assert dateline_end(text, 0) == 0


def test_dateline_end_at_an_offset_and_on_its_own_line() -> None:
    text = "Storm update\nMIAMI (AP) — The storm weakened overnight.\nMIAMI —\nNext story"
    at = text.index("MIAMI")
    assert text[dateline_end(text, at) :].startswith("The storm weakened")
    second = text.index("MIAMI —")
    assert dateline_end(text, second) == second  # nothing after the dash on its line


def test_dateline_within_sixty_characters_only() -> None:
    text = "NORTH LITTLE ROCK HEIGHTS EAST SIDE, Greater Northland Province Area, Dec. 4 (Wire) — The vote failed."
    assert text.index("—") > 60
    assert dateline_end(text, 0) == 0
    assert dateline_end(text.replace(" Greater Northland Province Area,", ""), 0) > 0


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("*Firefighters work through the night.*", "Firefighters work through the night."),
        ("_Rescuers search the rubble_.", "Rescuers search the rubble"),
        ("**Volunteers hand out water.**", "Volunteers hand out water."),
        ("*KYIV, Ukraine (AP) — Drones struck a power station.*", "Drones struck a power station."),
        ("  Crews worked all night.  ", "Crews worked all night."),
        ("The file was named report_final_ in the archive.", "The file was named report_final_ in the archive."),
    ],
)
def test_quote_span_skips_caption_markup(text: str, quote: str) -> None:
    assert shown(text) == quote


def test_quote_span_offsets_are_into_the_whole_text() -> None:
    text = "Intro line.\n*HAVANA (AP) — Power returned to most homes on Sunday.*\nMore."
    start, end = next((s, e) for s, e in sentence_spans(text) if "HAVANA" in text[s:e])
    qs, qe = quote_span(text, start, end)
    assert start <= qs < qe <= end
    assert text[qs:qe] == "Power returned to most homes on Sunday."


@pytest.mark.parametrize("text", ["**", "*", "  _  ", "—"])
def test_quote_span_never_returns_an_empty_span(text: str) -> None:
    start, end = quote_span(text, 0, len(text))
    assert 0 <= start < end <= len(text)


@pytest.mark.parametrize(("start", "end"), [(3, 3), (-1, 2), (0, 99), (4, 2)])
def test_quote_span_rejects_an_empty_or_outside_span(start: int, end: int) -> None:
    with pytest.raises(ValueError):
        quote_span("A short sentence.", start, end)


@pytest.mark.parametrize(
    "sentence",
    [
        "*Firefighters at work on the ridge. Photo: AP*",
        "Photo: AP*",
        "(Photo by Jane Roe/Getty Images)",
        "Photo: Reuters",
        "Image: National Weather Service",
        "Credit: Sam Lee for the Courier",
        "FILE - A man walks past the shuttered factory, May 2, 2021.",
        "FILE — Protesters gather outside the courthouse.",
        "FILE PHOTO: A sign hangs at the bank's headquarters.",
        "Crowds gather in the square. (AP Photo/Lee Park)",
        "Workers repair the line. REUTERS/Ana Cruz",
        "A tanker waits offshore (Image credit: Port Authority)",
        "Photo courtesy of the Hill family",
    ],
)
def test_is_caption_recognises_captions_and_credits(sentence: str) -> None:
    assert is_caption(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The photo was taken by a tourist in 2019.",
        "Photos by the agency showed heavy damage.",
        "Getty Images said it would cut 200 jobs.",
        "Officials released an image of the suspect on Tuesday.",
        "The file was leaked to reporters.",
        "Credit card debt rose 5 percent.",
        "A poll by AP/NORC found broad support.",
        "*This story has been updated.*",
        "KYIV, Ukraine (AP) — Drones struck a power station.",
    ],
)
def test_is_caption_leaves_ordinary_sentences(sentence: str) -> None:
    assert not is_caption(sentence)


_PIECES = st.sampled_from(
    ["KYIV", "SAN JOSE", ", Calif.", ", Nov. 3", " (AP)", " — ", " - ", "—", "*", "_", " ", "\n", "The", "fire",
     "spread.", "NATO", "Photo:", "U.S.", "a", "."]
)
_TEXTS = st.one_of(st.lists(_PIECES, max_size=30).map("".join), st.text(max_size=80))


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS)
def test_quote_span_is_a_non_empty_sub_span_of_every_sentence(text: str) -> None:
    for start, end in sentence_spans(text):
        qs, qe = quote_span(text, start, end)
        assert start <= qs < qe <= end
        assert dateline_end(text, start) >= start
