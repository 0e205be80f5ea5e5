"""Parsing and checking the `[n]` markers in a model's reply.

An unknown number is removed and logged; a sentence without any marker gets the source
it overlaps most (when the overlap is convincing) or is flagged; cited sources are then
renumbered 1..m in order of first use so the reader never sees gaps.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Sequence

from rag.bm25 import tokenize
from rag.sentences import sentence_spans
from rag.types import Citation, Passage

logger = logging.getLogger(__name__)

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
MIN_OVERLAP_FOR_UNCITED = 0.5  # share of a sentence's content words found in one source


@dataclass(frozen=True)
class CheckedReply:
    text: str
    citations: tuple[Citation, ...]
    warnings: tuple[str, ...]


def check_citations(reply: str, sources: Sequence[Passage]) -> CheckedReply:
    """The reply with valid, renumbered markers, its citations, and what was fixed."""
    warnings: list[str] = []
    sentences: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(reply):
        sentence = reply[start:end]
        numbers = [int(n) for group in MARKER.findall(sentence) for n in re.split(r"\s*,\s*", group)]
        bare = MARKER.sub("", sentence).strip()
        if not bare or not re.search(r"\w", bare):
            continue
        valid = list(dict.fromkeys(n for n in numbers if 1 <= n <= len(sources)))
        for unknown in sorted(set(numbers) - set(valid)):
            logger.warning("Removed citation [%d]: there are only %d sources", unknown, len(sources))
            warnings.append(f"removed citation [{unknown}], which matches no source")
        if not valid:
            valid = _best_source(bare, sources, warnings)
        sentences.append((bare, valid))
    order = list(dict.fromkeys(n for _, numbers in sentences for n in numbers))
    renumber = {old: new for new, old in enumerate(order, start=1)}
    text = " ".join(place_markers(bare, [renumber[n] for n in numbers]) for bare, numbers in sentences)
    citations = tuple(_citation(renumber[old], sources[old - 1]) for old in order)
    return CheckedReply(text, citations, tuple(warnings))


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


def _citation(n: int, passage: Passage) -> Citation:
    return Citation(
        n=n,
        doc_id=passage.doc_id,
        title=passage.title,
        source=passage.source,
        text=passage.text,
        start=passage.start,
        end=passage.end,
        score=passage.score,
    )
