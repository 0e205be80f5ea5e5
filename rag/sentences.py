"""Sentence boundaries as character spans, so every quote keeps its exact offsets."""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before white space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_LINE = re.compile(r"[^\n]+")
# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st gen col lt sgt capt cmdr adm gov sen rep rev fr "
    "u.s u.k u.n e.u no vs etc e.g i.e jan feb mar apr jun jul aug sep sept oct nov dec "
    "inc ltd co corp dept est approx fig vol".split()
)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of every sentence in text[start:end], never crossing a line break,
    trimmed of white space; offsets are into `text`."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text, start, end):
        cursor = line.start()
        for end_mark in _SENTENCE_END.finditer(text, line.start(), line.end()):
            if _is_abbreviation(text, cursor, end_mark.start()) or _continues_lowercase(text, end_mark.end()):
                continue
            _append_trimmed(spans, text, cursor, end_mark.end())
            cursor = end_mark.end()
        _append_trimmed(spans, text, cursor, line.end())
    return spans


def _is_abbreviation(text: str, sentence_start: int, period: int) -> bool:
    if text[period] != ".":
        return False
    word = text[sentence_start:period].rsplit(None, 1)[-1:] or [""]
    token = word[0].lstrip("(\"'“‘").lower()
    # Single initials ("J. Smith") and listed abbreviations do not end sentences.
    return len(token) == 1 and token.isalpha() or token in _ABBREVIATIONS


def _continues_lowercase(text: str, after: int) -> bool:
    # "a Russian military I.D. while the other..." : a lowercase word goes on the sentence.
    rest = text[after : after + 3].lstrip()
    return bool(rest) and rest[0].islower()


def _append_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))
