"""Sentence boundaries as character spans, so every quote keeps its exact offsets.

News text is full of periods that do not end a sentence ("SAN JOSE, Calif. — …",
"U.S. officials", "No. 5", "Sen. Smith"); a wrong split would make the answerer quote
half a sentence. A mark (. ! ? …, optionally followed by closing quotes or brackets,
then white space) ends a sentence unless one of these holds, checked in this order:

1. The next word on the line starts lowercase: "in Austin, Tex. on Monday",
   "a military I.D. while", "“Why?” she asked". Holds after any mark.
2. A closing quote follows the period ("… task.” He left"): a sentence end, even after
   an abbreviation.
3. The word before a period is a title or reference abbreviation, which always
   precedes a name or number ("Dr.", "Sen.", "Gov.", "Pres.", "Supt.", "Ft.", "Mt.",
   "vs.", "e.g."): never a sentence end. "No." is one only before a digit ("No. 5").
4. The word before a period is an abbreviation that may also end a sentence: a US
   state ("Calif.", "Tex."; capitalised, since "ill." or "wash." are words), a month
   ("Nov."), a company suffix ("Inc.", "Jr.", "etc."), a dotted acronym ("U.S.",
   "N.Y.", "a.m.", "Ph.D.") or a single initial ("J."). It ends the sentence only
   when the next word is a usual sentence opener (`_OPENERS`: "The", "He", "In",
   "Officials", …, possibly after an opening quote): "He lives in the U.S. He moved"
   splits, "the U.S. Senate", "SAN JOSE, Calif. — A fire", "Jan. 5" do not. A
   capitalised word that is not in the list is taken as part of a name; missing a
   rare sentence end costs less than cutting a name in two.

Of a hyphenated word only the part after the last hyphen counts ("(D-Calif.)",
"Trinity-St. Paul's").

Speed matters (every retrieved passage is split for every question): each mark costs
one anchored regex match and a look at the few characters of the word before it.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before white space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_LINE = re.compile(r"[^\n]+")
# What follows a mark on the same line: an optional opening quote, then a word.
_FOLLOWING = re.compile(r"[^\S\n]*(?P<quote>[\"'“‘]?)(?P<word>\w*)")
# The non-space run that ends where the search ends (endpos): the word before a period.
_WORD_BEFORE = re.compile(r"\S+\Z")
_CLOSING_QUOTES = frozenset("\"'”’")
_OPENING = "([\"'“‘"
# No abbreviation is longer; a longer word before a period is a plain word.
_LONGEST_ABBREVIATION = 16

# Always before a name or number: never the end of a sentence (compared lowercased).
_TITLES = frozenset(
    "mr mrs ms messrs dr prof st gen col lt maj sgt cpl pvt capt cmdr adm gov sen rep rev fr hon "
    "pres supt ft mt vs e.g i.e cf approx fig figs vol".split()
)
# May end a sentence; only when written capitalised, since several are also words (ill, wash).
_PLACES_AND_MONTHS = frozenset(
    "ala ariz ark calif colo conn del fla ga ill ind kan kans ky la md mass mich minn miss mo mont "
    "neb nev okla ore pa tenn tex va vt wash wis wyo "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# May end a sentence, in any case.
_SUFFIXES = frozenset("inc ltd co corp llc plc bros jr sr etc dept est univ assn".split())
# "U.S", "a.m", "N.Y", "Ph.D" (the final period is the mark itself).
_DOTTED = re.compile(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}")
# Words that usually open a sentence: after an abbreviation that may end one, they say it did.
_OPENERS = frozenset(
    "The He She It They We I You But And A An In On At This That These Those There Here His Her "
    "Their Its Our My Your After When While Now Then Officials Police Authorities Critics Experts "
    "Analysts Residents Witnesses Investigators Researchers Scientists Prosecutors However Meanwhile "
    "Last Earlier Later Since As If Some Many Most Both Each Every All No One Two Three Still Yet So "
    "Also Instead During Before By For With From Despite Although Though Because What Why How Who "
    "Where Today Yesterday Tomorrow Such Under According Among Several Other Another".split()
)
_TITLE, _NUMBER, _MAY_END = "title", "number", "may end"
_KINDS = {**dict.fromkeys(_SUFFIXES, _MAY_END), **dict.fromkeys(_TITLES, _TITLE), "no": _NUMBER}


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of every sentence in text[start:end], in order, never crossing a line
    break, trimmed of white space; offsets are into `text`."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text, start, end):
        cursor, line_end = line.start(), line.end()
        for mark in _SENTENCE_END.finditer(text, cursor, line_end):
            if _ends_sentence(text, cursor, mark, line_end):
                _append_trimmed(spans, text, cursor, mark.end())
                cursor = mark.end()
        _append_trimmed(spans, text, cursor, line_end)
    return spans


def _ends_sentence(text: str, sentence_start: int, mark: re.Match[str], line_end: int) -> bool:
    """Whether `mark` ends the sentence that began at `sentence_start` (rules in the module doc)."""
    following = _FOLLOWING.match(text, mark.end(), line_end)
    assert following is not None  # every part of the pattern is optional
    quote, word = following.groups()
    if (quote or word)[:1].islower():
        return False
    period = mark.start()
    if text[period] != "." or text[mark.end() - 1] in _CLOSING_QUOTES:
        return True
    kind = _abbreviation_kind(_word_before(text, sentence_start, period))
    if kind is None:
        return True
    if kind == _TITLE:
        return False
    if kind == _NUMBER:
        return not word[:1].isdigit()
    # An initial such as the "A." of "J. A. Smith" is no sentence opener.
    is_initial = len(word) == 1 and following.end() < line_end and text[following.end()] == "."
    return word in _OPENERS and not is_initial


def _word_before(text: str, lo: int, period: int) -> str:
    """The word just before `period` (within text[lo:period]) without opening quotes or
    brackets; "" when it is longer than any abbreviation."""
    stop = max(lo, period - _LONGEST_ABBREVIATION)
    word = _WORD_BEFORE.search(text, stop, period)
    if word is None:
        return ""
    if word.start() == stop and stop > lo and not text[stop - 1].isspace():
        return ""
    return word.group().lstrip(_OPENING)


def _abbreviation_kind(word: str) -> str | None:
    """Which kind of abbreviation `word` (before a period) is, or None for a plain word."""
    word = word.rpartition("-")[2]  # "(D-Calif.)": the state is what counts
    lower = word.lower()
    kind = _KINDS.get(lower)
    if kind is not None:
        return kind
    if (word[:1].isupper() and lower in _PLACES_AND_MONTHS) or (len(word) == 1 and word.isalpha()):
        return _MAY_END
    return _MAY_END if _DOTTED.fullmatch(word) else None


def _append_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))
