"""Parsing and checking the citation markers in a model's reply.

Markers are normalised to our `[n]` form. Always read as markers, whatever surrounds them:

    [1]  [1, 2]  [1][2]  [^1]  [1-3]  [1–3] (a range: 1, 2 and 3)  【1】  ［1］
    [Source 1]  [source: 2]  [Sources 1, 2]  (Source 1)  (ref 2)

A parenthesised bare number list such as `(1)` or `(1, 2)` is often plain text ("a list
item (1) of the plan", "in 2024 (2)"), so it is read as a marker only when

  * every number in it is a valid source number (1..number of sources), and
  * it sits where a citation sits: in a run of markers (only white space between them)
    that either ends the sentence (nothing or sentence-final punctuation . ! ? … after
    it) or holds a marker of the always-read kinds above ("… [1] (2) and …").

Otherwise it is left in the text as written.

A marker number that is not a valid source (0, too large, or longer than
`MAX_MARKER_DIGITS` digits) is removed and logged, as is the part of a range beyond the
last source. Markers alone in a "sentence" of their own ("… 26. [1]") belong to the
sentence before. A sentence without any marker gets the source it overlaps most (when
the overlap is convincing) or is flagged; cited sources are then renumbered 1..m in order
of first use so the reader never sees gaps. Every `[n]` left in the text is one of the
returned citations, whatever the reply holds.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.text.tokenize import tokenize
from rag.text.sentences import sentence_spans
from rag.types import Citation, Passage

logger = logging.getLogger(__name__)

MAX_MARKER_DIGITS = 4  # longer numbers are never a source (and int() refuses 4,300+ digits)
MIN_OVERLAP_FOR_UNCITED = 0.5  # share of a sentence's content words found in one source

_ITEM = r"\d+(?:\s*[-–—]\s*\d+)?"
_LIST = rf"{_ITEM}(?:(?:\s*[,;&]\s*|\s+and\s+){_ITEM})*"
_LABEL = r"(?:sources?|refs?\.?|references?|citations?)\s*(?:id\s*)?[:#=]?\s*"
# `bare` is the only ambiguous kind: a parenthesised number list without a label.
MARKER = re.compile(
    rf"\[\^?\s*(?:{_LABEL})?(?P<square>{_LIST})\s*\]"
    rf"|[【［]\s*(?:{_LABEL})?(?P<wide>{_LIST})\s*[】］]"
    rf"|[(（]\s*(?:{_LABEL}(?P<named>{_LIST})|(?P<bare>{_LIST}))\s*[)）]",
    re.IGNORECASE,
)
_ITEMS = re.compile(r"(\d+)(?:\s*[-–—]\s*(\d+))?")
_ENDS_SENTENCE = re.compile(r"\s*(?:[.!?…]|\Z)")
_TOO_BIG = 10**MAX_MARKER_DIGITS
# The markers an answer's text holds, in the one grammar everything that reads an answer uses
# (the verifier, the UI, the injection eval, the extractive answerer when it defuses an
# article's own "[7]"): square brackets round one source number or a comma-separated list
# of them, "[1]", "[1, 2]"; several in a row, "[1][2]", are several markers. This is the
# `square` kind of `MARKER` without labels, carets or ranges: `check_citations` turns a
# reply's markers into it and `place_markers` writes only "[n]".
ANSWER_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_TRAILING_MARKERS = re.compile(rf"(?:\s*{ANSWER_MARKER.pattern})+")


@dataclass(frozen=True)
class CheckedReply:
    text: str
    citations: tuple[Citation, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Parsed:
    """One sentence without its markers, the valid source numbers they held and the
    numbers (or ranges) that match no source."""

    bare: str
    numbers: tuple[int, ...]
    unknown: tuple[str, ...]


def check_citations(reply: str, sources: Sequence[Passage]) -> CheckedReply:
    """The reply with valid, renumbered markers, its citations, and what was fixed."""
    warnings: list[str] = []
    sentences: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(reply):
        parsed = _parse_markers(reply[start:end], len(sources))
        _report_unknown(parsed.unknown, len(sources), warnings)
        if not re.search(r"\w", parsed.bare):
            if sentences:  # "… 26. [1]": markers on their own cite the sentence before
                sentences[-1][1].extend(parsed.numbers)
            continue
        sentences.append((parsed.bare, list(parsed.numbers)))
    cited = [(bare, list(dict.fromkeys(numbers)) or _best_source(bare, sources, warnings)) for bare, numbers in sentences]
    order = list(dict.fromkeys(n for _, numbers in cited for n in numbers))
    renumber = {old: new for new, old in enumerate(order, start=1)}
    text = " ".join(place_markers(bare, [renumber[n] for n in numbers]) for bare, numbers in cited)
    citations = tuple(_citation(renumber[old], sources[old - 1]) for old in order)
    return CheckedReply(text, citations, tuple(warnings))


def _parse_markers(sentence: str, count: int) -> _Parsed:
    """`sentence` without its markers (see the module docstring for what is one), the
    valid numbers 1..count they cite and the ones they cite in vain. Markers are removed
    until none is left, so "[[1]2]" cannot leave a "[2]" behind."""
    numbers: list[int] = []
    unknown: list[str] = []
    while True:
        stripped = _strip_markers(sentence, count, numbers, unknown)
        if stripped == sentence:
            return _Parsed(sentence.strip(), tuple(numbers), tuple(dict.fromkeys(unknown)))
        sentence = stripped


def _strip_markers(text: str, count: int, numbers: list[int], unknown: list[str]) -> str:
    markers = _markers(text, count)
    if not markers:
        return text
    kept = text[: markers[0].start()]
    for marker, following in zip(markers, [*markers[1:], None]):
        valid, invalid = _numbers(_group(marker), count)
        numbers.extend(valid)
        unknown.extend(invalid)
        after = text[marker.end() : following.start() if following else len(text)]
        kept = kept.rstrip()
        # "a[1]b" must not become "ab".
        kept += " " + after if re.match(r"\w", after) and re.search(r"\w\Z", kept) else after
    return kept


def _markers(text: str, count: int) -> list[re.Match[str]]:
    """The marker matches in `text`: every unambiguous one, and a bare "(n)" only when its
    numbers are valid and its run of markers ends the sentence or holds an unambiguous one."""
    candidates = [
        m for m in MARKER.finditer(text)
        if m.group("bare") is None or not _numbers(m.group("bare"), count)[1]
    ]
    chosen: list[re.Match[str]] = []
    for run in _runs(text, candidates):
        anchored = _ENDS_SENTENCE.match(text, run[-1].end()) is not None
        anchored = anchored or any(m.group("bare") is None for m in run)
        chosen.extend(m for m in run if anchored or m.group("bare") is None)
    return chosen


def _runs(text: str, matches: list[re.Match[str]]) -> list[list[re.Match[str]]]:
    """Matches grouped into runs with nothing but white space between them."""
    runs: list[list[re.Match[str]]] = []
    for match in matches:
        if runs and not text[runs[-1][-1].end() : match.start()].strip():
            runs[-1].append(match)
        else:
            runs.append([match])
    return runs


def _group(marker: re.Match[str]) -> str:
    return next(g for g in (marker.group(k) for k in ("square", "wide", "named", "bare")) if g is not None)


def _numbers(group: str, count: int) -> tuple[list[int], list[str]]:
    """The source numbers 1..count in a marker's list ("1, 3-5": 1, 3, 4, 5) and, shown as
    written, what lies outside that range."""
    valid: list[int] = []
    invalid: list[str] = []
    for item in _ITEMS.finditer(group):
        ends = sorted((_to_int(digits), digits) for digits in (item.group(1), item.group(2) or item.group(1)))
        (low, low_digits), (high, high_digits) = ends
        valid.extend(range(max(low, 1), min(high, count) + 1))
        if low < 1:
            invalid.append(_shown(low_digits))
        if high > count:
            beyond = max(low, count + 1)
            invalid.append(_shown(high_digits) if beyond == high else f"{beyond}-{_shown(high_digits)}")
    return valid, invalid


def _to_int(digits: str) -> int:
    """The number, or a number above any source for one too long to convert safely."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= MAX_MARKER_DIGITS else _TOO_BIG


def _shown(digits: str) -> str:
    return digits if len(digits) <= 12 else f"{digits[:12]}…"


def _report_unknown(unknown: Sequence[str], count: int, warnings: list[str]) -> None:
    for label in unknown:
        logger.warning("Removed citation [%s]: there are only %d sources", label, count)
        warnings.append(f"removed citation [{label}], which matches no source")


def _best_source(sentence: str, sources: Sequence[Passage], warnings: list[str]) -> list[int]:
    words = set(tokenize([sentence])[0])
    if not words or not sources:
        warnings.append(f"no source supports: {sentence!r}")
        return []
    overlaps = [len(words & set(tokenize([p.text])[0])) / len(words) for p in sources]
    best = max(range(len(sources)), key=lambda i: overlaps[i])
    if overlaps[best] >= MIN_OVERLAP_FOR_UNCITED:
        warnings.append(f"cited the best-matching source for an uncited sentence: {sentence!r}")
        return [best + 1]
    logger.warning("Sentence without a supporting source: %r", sentence)
    warnings.append(f"no source supports: {sentence!r}")
    return []


_CLOSING = re.compile(r"([.!?…]+[\"'”’)\]]*)$")


def place_markers(sentence: str, numbers: list[int]) -> str:
    """`[n]` markers before the sentence's final period, or after a closing quote, so a
    quotation is never cut open."""
    if not numbers:
        return sentence
    markers = "".join(f"[{n}]" for n in numbers)
    match = _CLOSING.search(sentence)
    if match is None or not re.fullmatch(r"[.!?…]+", match.group(1)):
        return f"{sentence} {markers}"
    return f"{sentence[: match.start()]} {markers}{match.group(1)}"


def marker_numbers(text: str) -> list[int]:
    """The source numbers of the `ANSWER_MARKER`s in `text`, in order, repeats kept."""
    return [int(n) for marker in ANSWER_MARKER.finditer(text) for n in re.findall(r"\d+", marker.group(1))]


def strip_markers(text: str) -> str:
    """`text` without its `ANSWER_MARKER`s (nor the white space before them)."""
    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(rf"\s*{ANSWER_MARKER.pattern}", "", text)).strip()


def answer_sentences(text: str) -> list[str]:
    """The sentences of an answer's text, each with its markers, cut where `sentence_spans`
    cuts an article. Markers are read as white space when finding the cuts, and the
    markers between two sentences belong to the one before ("… Kyiv. [1] The …",
    "… Kyiv.[1] The …"); a piece without a word (markers or punctuation alone) joins the
    sentence before. Every sentence is a slice of `text`."""
    masked = ANSWER_MARKER.sub(lambda m: " " * len(m.group()), text)
    spans = sentence_spans(masked)
    kept: list[tuple[int, int]] = []
    for i, (start, end) in enumerate(spans):
        limit = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        trailing = _TRAILING_MARKERS.match(text, end, limit)
        end = trailing.end() if trailing else end
        if not re.search(r"\w", masked[start:end]):
            if kept:
                kept[-1] = (kept[-1][0], end)
            continue
        kept.append((start, end))
    if kept and not masked[: kept[0][0]].strip():  # markers before the first sentence stay with it
        kept[0] = (len(text) - len(text.lstrip()), kept[0][1])
    return [text[start:end] for start, end in kept]


def _citation(n: int, passage: Passage) -> Citation:
    return Citation.of_passage(n, passage)
