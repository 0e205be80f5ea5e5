"""Sentence-aware chunking with exact character offsets.

Chunks are built from spans of the document text, never from re-joined strings, so
`text[chunk.start:chunk.end] == chunk.text` holds by construction. Sizes are counted
with the embedding model's own tokenizer, because MiniLM silently truncates inputs
longer than 256 tokens: a chunk it cannot see whole would be invisible to dense search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from rag.text.sentences import sentence_spans
from rag.index.store import chunk_id_for
from rag.types import Chunk

TokenCounter = Callable[[Sequence[str]], list[int]]

CHUNKER_VERSION = "sentences-v1"

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    tokens: int
    # A slice of one giant word: joined to a neighbour it would tokenize differently,
    # so it always makes a chunk of its own.
    solo: bool = False


def measured_units(text: str, count_tokens: TokenCounter, max_tokens: int) -> list[Span]:
    """Sentences with token counts; a sentence longer than `max_tokens` is cut between words."""
    sentences = sentence_spans(text)
    counts = count_tokens([text[s:e] for s, e in sentences])
    units: list[Span] = []
    for (start, end), tokens in zip(sentences, counts):
        if tokens <= max_tokens:
            units.append(Span(start, end, tokens))
        else:
            units.extend(_split_long(text, start, end, count_tokens, max_tokens))
    return units


def _split_long(text: str, start: int, end: int, count_tokens: TokenCounter, max_tokens: int) -> list[Span]:
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    counts = count_tokens([text[s:e] for s, e in words])
    pieces: list[Span] = []
    piece: Span | None = None  # the words gathered so far, as one span
    for (w_start, w_end), tokens in zip(words, counts):
        if tokens > max_tokens:  # one enormous "word" (a URL, base64): cut by characters
            pieces.extend([piece] if piece else [])
            pieces.extend(_split_by_chars(text, w_start, w_end, tokens, count_tokens, max_tokens))
            piece = None
        elif piece is None:
            piece = Span(w_start, w_end, tokens)
        elif piece.tokens + tokens > max_tokens:
            pieces.append(piece)
            piece = Span(w_start, w_end, tokens)
        else:
            piece = Span(piece.start, w_end, piece.tokens + tokens)
    pieces.extend([piece] if piece else [])
    return pieces


def _split_by_chars(
    text: str, start: int, end: int, tokens: int, count_tokens: TokenCounter, max_tokens: int
) -> list[Span]:
    # Tokens per character are uneven: aim at half the budget, then halve until it fits.
    step = max(1, (end - start) * max_tokens // (2 * tokens))
    pieces: list[Span] = []
    lo = start
    while lo < end:
        hi = min(lo + step, end)
        count = count_tokens([text[lo:hi]])[0]
        while count > max_tokens and hi - lo > 1:
            hi = lo + (hi - lo) // 2
            count = count_tokens([text[lo:hi]])[0]
        pieces.append(Span(lo, hi, count, solo=True))
        lo = hi
    return pieces


def pack_units(units: Sequence[Span], max_tokens: int, overlap_tokens: int) -> list[tuple[int, int]]:
    """Group consecutive units into (start, end) chunks of at most `max_tokens` tokens.

    Each chunk after the first repeats the previous chunk's trailing sentences, up to
    `overlap_tokens`, so a fact split across a boundary is still whole in one chunk.
    """
    chunks: list[tuple[int, int]] = []
    first = 0
    while first < len(units):
        last, total = first, units[first].tokens
        while (
            not units[first].solo
            and last + 1 < len(units)
            and not units[last + 1].solo
            and total + units[last + 1].tokens <= max_tokens
        ):
            last += 1
            total += units[last].tokens
        chunks.append((units[first].start, units[last].end))
        if last + 1 >= len(units):
            break
        first = last + 1 if units[last + 1].solo else _overlap_start(units, first, last, overlap_tokens)
    return chunks


def _overlap_start(units: Sequence[Span], first: int, last: int, overlap_tokens: int) -> int:
    start, carried = last + 1, 0
    while (
        start - 1 > first
        and not units[start - 1].solo
        and carried + units[start - 1].tokens <= overlap_tokens
    ):
        start -= 1
        carried += units[start].tokens
    return start


def chunk_text(
    text: str,
    doc_id: str,
    version: str,
    count_tokens: TokenCounter,
    max_tokens: int,
    overlap_tokens: int,
) -> list[Chunk]:
    """Split a stored document's text into chunks that know their offsets in it."""
    if max_tokens < 8:
        raise ValueError(f"max_tokens must be at least 8, got {max_tokens}")
    units = measured_units(text, count_tokens, max_tokens)
    return [
        Chunk(
            chunk_id=chunk_id_for(doc_id, version, index),
            doc_id=doc_id,
            index=index,
            text=text[start:end],
            start=start,
            end=end,
        )
        for index, (start, end) in enumerate(pack_units(units, max_tokens, overlap_tokens))
    ]
