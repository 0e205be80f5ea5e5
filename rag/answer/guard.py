"""Reading a question: cleaning it for search, and spotting instructions disguised as one.

Whether and how to refuse is decided in `rag.answer.refusal` (rule 1 uses `looks_like_instruction`)."""

from __future__ import annotations

import re
import unicodedata
from itertools import product

from rag.errors import InvalidInputError
from rag.text.unicode import require_unicode

MAX_QUESTION_CHARS = 2000
_MAX_RAW_CHARS = 10 * MAX_QUESTION_CHARS  # as sent, before spaces and invisible characters go
ZERO_WIDTH_SPACE = "\u200b"
_ALSO_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0" + "".join(map(chr, range(0xFE00, 0xFE10))))

_INSTRUCTION = re.compile(
    r"^\s*(?:please\s+)?(?:ignore|disregard|forget|pretend|act as|roleplay|role-play|write|compose|"
    r"generate|draft|create|invent|imagine|sing|draw|tell me a (?:joke|story))\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:all\s+|the\s+|your\s+|any\s+|previous\s+|prior\s+|above\s+)*"
    r"(?:instructions|rules|articles|sources|context|prompt)\b"
    r"|\bsystem prompt\b|\bjailbreak\b|\bdeveloper mode\b",
    re.IGNORECASE,
)


def clean_question(question: object) -> str:
    """The question as searched: NFKC-normalised (fullwidth letters, ligatures), control
    characters read as spaces, invisible format characters (soft hyphens, joiners, bidi
    controls) removed, a zero-width space read as the word break it marks, whitespace folded.
    InvalidInputError when it is not usable text."""
    question = require_unicode(question, "The question")
    if len(question) > _MAX_RAW_CHARS:  # however much of it is invisible: not worth cleaning
        raise _too_long(len(question))
    cleaned = _read(unicodedata.normalize("NFKC", question), invisible="", zero_width_space=" ", control=" ")
    if not cleaned:
        raise InvalidInputError("The question is empty: ask something about the articles.")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise _too_long(len(cleaned))
    return cleaned


def _too_long(length: int) -> InvalidInputError:
    return InvalidInputError(
        f"The question is {length:,} characters long; the limit is {MAX_QUESTION_CHARS:,}. Ask a shorter question."
    )


def looks_like_instruction(question: str) -> bool:
    """True for requests to do something other than answer from the articles, however they are
    disguised: checked with invisible characters dropped and read as spaces, after NFKC
    (fullwidth letters, ligatures) and folding every kind of whitespace. Give it the text as
    the caller sent it: `clean_question` has already chosen one of these readings."""
    return any(_INSTRUCTION.search(reading) for reading in _readings(question))


def _readings(text: str) -> set[str]:
    """Every way of reading invisible characters, zero-width spaces and control characters:
    each dropped, or each taken as a space (an attacker can count on either)."""
    normal = unicodedata.normalize("NFKC", text)
    return {
        _read(normal, invisible=invisible, zero_width_space=zwsp, control=control)
        for invisible, zwsp, control in product(("", " "), repeat=3)
    }


def _read(text: str, *, invisible: str, zero_width_space: str, control: str) -> str:
    """`text` with each kind of unseen character replaced as given, whitespace folded to one space."""
    parts = []
    for char in text:
        if char == ZERO_WIDTH_SPACE:
            parts.append(zero_width_space)
        elif char not in "\n\t" and unicodedata.category(char) == "Cc":
            parts.append(control)
        elif _is_invisible(char):
            parts.append(invisible)
        else:
            parts.append(char)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _is_invisible(char: str) -> bool:
    """A format character (Cf: soft hyphen, zero-width joiners, word joiner, BOM, bidi controls)
    or another character drawn as nothing (combining grapheme joiner, variation selectors,
    Hangul fillers)."""
    return unicodedata.category(char) == "Cf" or char in _ALSO_INVISIBLE or "\U000e0100" <= char <= "\U000e01ef"
