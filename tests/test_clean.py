"""Tests for ingest.clean: debris dropping, metadata, and the whole-line invariant."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

# tests/ has no __init__.py, so pytest's rootdir insertion does not cover the project root.

from ingest.clean import (
    CleanArticle,
    clean_article,
    parse_byline,
    parse_date_line,
    parse_dateline,
)

SEEDS = Path(__file__).parent.parent / "seeds"
NK_SEED = SEEDS / "north-korea-confirms-sending-troops-to-russia-to-fight-in-ukraine-war.txt"
UA_SEED = SEEDS / "ukraine-captures-two-north-korean-soldiers-exposing-alliance-with-russia.txt"
CAPTION = (
    "A file image of Kim Jong Un and Vladimir Putin is displayed during a news program "
    "in Seoul on April 28, 2025. Photo by Ahn Young-joon/AP"
)
NK_HEADINGS = (
    "International condemnation follows North Korean involvement",
    "Heavy North Korean casualties and adaptation to modern warfare",
    "Russia and North Korea claim “victory” in Kursk",
    "Broader implications for the global order",
    "A significant shift in North Korean military policy",
)


def read_seed(path: Path) -> str:
    # Decoding bytes keeps the file's own line endings, so the byte-identity checks are honest.
    return path.read_bytes().decode("utf-8")


def is_concatenation_of_subsequence(text: str, original: list[str]) -> bool:
    # Track every offset reachable by concatenating some in-order choice of lines; re-splitting
    # `text` would be wrong, since a kept "x\r" followed by a kept "\n" re-splits as "x\r\n".
    reachable = {0}
    for line in original:
        reachable |= {pos + len(line) for pos in reachable if text.startswith(line, pos)}
    return len(text) in reachable


def assert_whole_lines(raw: str, result: CleanArticle) -> None:
    assert is_concatenation_of_subsequence(result.text, raw.splitlines(keepends=True))


# --- seeds ------------------------------------------------------------------


def test_north_korea_seed_metadata() -> None:
    result = clean_article(read_seed(NK_SEED))
    assert result.title == "North Korea confirms sending troops to Russia to fight in Ukraine war"
    assert result.subheadline == (
        "Pyongyang acknowledges military support for Moscow in Kursk region battles."
    )
    assert result.authors == ("Anna Fadiah", "Hayu Andini")
    assert result.dateline is None
    # The only date is inside the caption, which is not a date line.
    assert result.published is None


def test_north_korea_seed_debris() -> None:
    raw = read_seed(NK_SEED)
    result = clean_article(raw)
    assert result.dropped == ("ZoyaPatel", "Mumbai", CAPTION, "Ahmedabad")
    assert result.text.count(CAPTION) == 1
    kept = {line.strip() for line in result.text.splitlines()}
    assert not kept & {"ZoyaPatel", "Mumbai", "Ahmedabad"}
    assert all(heading in kept for heading in NK_HEADINGS)
    assert result.text.startswith("North Korea confirms sending troops")
    assert result.text.endswith("in the battles ahead.\n")
    assert "\n\n\n" not in result.text
    assert_whole_lines(raw, result)


def test_ukraine_seed() -> None:
    raw = read_seed(UA_SEED)
    result = clean_article(raw)
    assert result.title == (
        "Ukraine Captures Two North Korean Soldiers, Exposing Alliance With Russia"
    )
    assert result.dropped == ("Related",)
    assert result.authors == ()
    assert result.published is None
    assert not result.text.rstrip().endswith("Related")
    # Only the trailing "\n\nRelated" goes; every paragraph, including the one that
    # repeats a sentence inside itself, comes back untouched.
    assert result.text == raw[: raw.rindex("\n\nRelated")] + "\n"
    assert_whole_lines(raw, result)


# --- whole-line invariant and byte identity ---------------------------------

SYNTHETIC = [
    "Mumbai\nHeadline about the economy today\n\nAdvertisement\n\nBody text here.\n",
    "\n\nShare\n\n\nFirst paragraph.\n\n\nRead more\n",
    "Title Of The Story\r\n\r\nNew Delhi\r\n\r\nBody one.\r\n\r\nSubscribe\r\n",
    "A caption with four words\nA caption with four words\nA caption with four words\n",
    "Headline without newline at end",
    "  indented headline line here\n\t\nBody.\n@zoya_p",
]


@pytest.mark.parametrize("raw", SYNTHETIC + [read_seed(NK_SEED), read_seed(UA_SEED)])
def test_text_is_subsequence_of_original_lines(raw: str) -> None:
    assert_whole_lines(raw, clean_article(raw))


CLEAN_TEXT = (
    "Markets rally as inflation cools\n"
    "\n"
    "Investors cheered new figures on Tuesday.\n"
    "\n"
    "Stocks rose across the board, led by technology shares.\n"
)


@pytest.mark.parametrize(
    "raw",
    [
        CLEAN_TEXT,
        CLEAN_TEXT.rstrip("\n"),
        CLEAN_TEXT.replace("\n", "\r\n"),
        CLEAN_TEXT.replace("\n", "\r\n").rstrip("\r\n"),
        "\n" + CLEAN_TEXT + "\n\n",
    ],
)
def test_text_without_debris_is_byte_identical(raw: str) -> None:
    result = clean_article(raw)
    assert result.text == raw
    assert result.dropped == ()
    assert result.title == "Markets rally as inflation cools"


def test_dropping_collapses_blank_lines() -> None:
    raw = (
        "Headline of the day here\n\nMumbai\n\n"
        "First paragraph.\nAdvertisement\nSecond.\n\nRelated"
    )
    result = clean_article(raw)
    assert result.text == "Headline of the day here\n\nFirst paragraph.\nSecond.\n"
    assert result.dropped == ("Mumbai", "Advertisement", "Related")


def test_boilerplate_lines_are_dropped_case_insensitively() -> None:
    junk = ["SHARE THIS ARTICLE", "Related articles", "Skip to content", "Most read", "Follow us"]
    raw = "A proper headline for tests\n\n" + "\n".join(junk) + "\n\nBody sentence stays.\n"
    result = clean_article(raw)
    assert result.dropped == tuple(junk)
    assert result.text == "A proper headline for tests\n\nBody sentence stays.\n"


def test_short_repeats_are_not_treated_as_duplicates() -> None:
    # Lines under four words may legitimately repeat (e.g. "Yes." in a dialogue).
    raw = "A proper headline for tests\n\nYes.\n\nYes.\n"
    assert clean_article(raw).text == raw


def test_one_word_section_heading_is_dropped_by_short_line_rule() -> None:
    # Trade-off: a one-word heading cannot be told apart from a lone city name, so the
    # short-line rule drops it; headings of four or more words (as in the seeds) stay.
    raw = "A proper headline for tests\n\nFirst paragraph.\n\nBackground\n\nSecond paragraph.\n"
    result = clean_article(raw)
    assert result.dropped == ("Background",)
    assert result.text == "A proper headline for tests\n\nFirst paragraph.\n\nSecond paragraph.\n"


def test_empty_input() -> None:
    empty = CleanArticle(
        text="", title=None, subheadline=None, authors=(), dateline=None, published=None,
        dropped=(),
    )
    assert clean_article("") == empty


def test_title_falls_back_to_first_short_line() -> None:
    result = clean_article("Breaking news.\n\nMore later.\n")
    assert result.title == "Breaking news."
    assert result.subheadline == "More later."


def test_subheadline_is_not_a_caption_or_byline() -> None:
    base = "A proper headline for tests\n\n{}\n\nBody sentence.\n"
    assert clean_article(base.format("Crowds gather. Photo: Jane Doe")).subheadline is None
    assert clean_article(base.format("By Jane Doe")).subheadline is None
    assert clean_article(base.format("Published: May 5, 2025")).subheadline is None


# --- bylines ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("By Anna Fadiah and Hayu Andini", ("Anna Fadiah", "Hayu Andini")),
        ("By Jane Doe, John Roe and Ann Poe", ("Jane Doe", "John Roe", "Ann Poe")),
        ("By Jane Doe, John Roe, and Ann Poe", ("Jane Doe", "John Roe", "Ann Poe")),
        ("By JANE DOE | Reuters", ("Jane Doe",)),
        ("Written by Jane Doe", ("Jane Doe",)),
        ("By Jane Doe, Staff Writer", ("Jane Doe",)),
        ("By Jane Doe & John Roe, Associated Press", ("Jane Doe", "John Roe")),
        ("By Jane Doe for The Guardian", ("Jane Doe",)),
        ("By Ludwig van Beethoven", ("Ludwig van Beethoven",)),
        ("By the time we arrived, it was over.", ()),
        ("By Monday, troops had left", ()),
        ("Jane Doe", ()),
        ("By " + " ".join(["Jane Doe and"] * 5) + " Ann Poe", ()),
    ],
)
def test_parse_byline(line: str, authors: tuple[str, ...]) -> None:
    assert parse_byline(line) == authors


def test_byline_stays_in_text() -> None:
    raw = "A proper headline for tests\n\nBy Jane Doe\n\nBody.\n"
    result = clean_article(raw)
    assert result.authors == ("Jane Doe",)
    assert result.text == raw


# --- date lines -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Published: January 15, 2025", "2025-01-15"),
        ("Updated 3:45 PM ET, Mon April 28, 2025", "2025-04-28"),
        ("2025-04-28", "2025-04-28"),
        ("28 April 2025", "2025-04-28"),
        ("Posted on Apr. 3rd, 2024 at 10:00 a.m.", "2024-04-03"),
        ("Last updated 2025-04-28T10:00:00Z", "2025-04-28"),
        ("May 2025", "2025-05-01"),  # month precision, as in every loader (ingest.dates)
        ("April 28", None),
        ("On April 28, 2025, troops crossed the border.", None),
        ("Published in 2025 by the ministry", None),
    ],
)
def test_parse_date_line(line: str, iso: str | None) -> None:
    assert parse_date_line(line) == iso


def test_date_in_body_sentence_does_not_set_published() -> None:
    raw = "A proper headline for tests\n\nOn April 28, 2025, troops crossed the border.\n"
    assert clean_article(raw).published is None


def test_first_date_line_wins_and_stays() -> None:
    raw = (
        "A proper headline for tests\n\n"
        "Published: January 15, 2025\nUpdated: January 16, 2025\n\nBody.\n"
    )
    result = clean_article(raw)
    assert result.published == "2025-01-15"
    assert result.text == raw


# --- datelines --------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "place"),
    [
        ("KYIV, Ukraine (AP) — Russia launched drones overnight.", "KYIV, Ukraine"),
        ("LONDON (Reuters) - Shares fell on Monday.", "LONDON"),
        ("KYIV — Drones hit the capital.", "KYIV"),
        ("NEW DELHI, India (AP) — Talks resumed.", "NEW DELHI, India"),
        ("WASHINGTON, D.C. -- Congress met.", "WASHINGTON, D.C."),
        ("Kyiv — drones hit the capital.", None),
        ("The talks — long delayed — resumed.", None),
    ],
)
def test_parse_dateline(line: str, place: str | None) -> None:
    assert parse_dateline(line) == place


def test_dateline_is_read_from_first_body_paragraph_only() -> None:
    head = "A proper headline for tests\n\nA short standfirst here\n\nBy Jane Doe\n\n"
    first = clean_article(head + "KYIV, Ukraine (AP) — Drones hit.\n")
    later = clean_article(head + "Drones hit.\n\nKYIV, Ukraine (AP) — More.\n")
    assert first.dateline == "KYIV, Ukraine"
    assert first.text == head + "KYIV, Ukraine (AP) — Drones hit.\n"
    assert later.dateline is None


# --- property ---------------------------------------------------------------

LINE = st.one_of(
    st.sampled_from(["", " ", "Mumbai", "Related", "By Jane Doe", "28 April 2025"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
)
ENDING = st.sampled_from(["\n", "\r\n", ""])


@given(st.lists(st.tuples(LINE, ENDING), max_size=15))
def test_output_lines_are_in_order_subsequence(parts: list[tuple[str, str]]) -> None:
    raw = "".join(line + ending for line, ending in parts)
    result = clean_article(raw)
    assert_whole_lines(raw, result)
    if not result.dropped:
        assert result.text == raw


# --- site furniture with a tail (issue 15) ----------------------------------

FURNITURE = [
    "Related:",
    "Related: Seoul says 300 North Korean soldiers died in Kursk",
    "Related stories: Ukraine captures two soldiers",
    "Read more:",
    "READ MORE: Why the war goes on",
    "See also: Kursk, a timeline",
    "Sign up for our newsletter",
    "Sign up for our daily briefing and get the news first!",
    "Subscribe to our newsletter.",
    "Subscribe to The Daily Post for $1 a week",
    "Follow us on X, Facebook and Instagram",
    "Share this article",
    "Share this story on Facebook",
    "Advertisement",
]
PROSE = [
    "Related to the case, the court said it would rule on Monday.",
    "Read more carefully, the ruling says otherwise: the court kept the ban.",
    "Subscribe to this view and the numbers agree. Others do not, the analyst said.",
    "Analysts say readers should sign up for our newsletter, the editor joked, and laughed.",
    "Follow us on the map: the troops moved north. Then they stopped at the river for a day.",
]


@pytest.mark.parametrize("line", FURNITURE)
def test_site_furniture_lines_are_dropped(line: str) -> None:
    raw = f"A proper headline for tests\n\nFirst paragraph.\n\n{line}\n\nSecond paragraph.\n"
    result = clean_article(raw)
    assert result.dropped == (line,)
    assert result.text == "A proper headline for tests\n\nFirst paragraph.\n\nSecond paragraph.\n"


@pytest.mark.parametrize("line", PROSE)
def test_prose_that_starts_like_furniture_is_kept(line: str) -> None:
    raw = f"A proper headline for tests\n\n{line}\n"
    result = clean_article(raw)
    assert result.text == raw and result.dropped == ()


def test_furniture_inside_a_paragraph_is_kept() -> None:
    raw = ("A proper headline for tests\n\nThe site said: Sign up for our newsletter. Nobody did.\n"
           "Related: Stocks slide again\n")
    result = clean_article(raw)
    assert "Sign up for our newsletter" in result.text
    assert result.dropped == ("Related: Stocks slide again",)  # a line of its own: furniture
