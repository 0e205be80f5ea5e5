"""Questions we refuse before searching, and the words of every refusal."""

from __future__ import annotations

import re
import unicodedata

from rag.errors import InvalidInputError

MAX_QUESTION_CHARS = 2000

_INSTRUCTION = re.compile(
    r"^\s*(?:please\s+)?(?:ignore|disregard|forget|pretend|act as|roleplay|role-play|write|compose|"
    r"generate|draft|create|invent|imagine|sing|draw|tell me a (?:joke|story))\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:all\s+|the\s+|your\s+|any\s+|previous\s+|prior\s+|above\s+)*"
    r"(?:instructions|rules|articles|sources|context|prompt)\b"
    r"|\bsystem prompt\b|\bjailbreak\b|\bdeveloper mode\b",
    re.IGNORECASE,
)

INSTRUCTION_REFUSAL = (
    "I can only answer questions about the indexed news articles, from what they say; "
    "I won't follow instructions like this one. Ask a question about the articles instead."
)
NOT_FOUND_REFUSAL = "The indexed articles don't say. I searched {searched}, but none of it answers this question."
EMPTY_FILTER_REFUSAL = "No indexed article matches the filters, so there is nothing to answer from."


def clean_question(question: object) -> str:
    """The question without control characters; InvalidInputError when unusable."""
    if not isinstance(question, str):
        raise InvalidInputError(f"The question must be text, not {type(question).__name__}.")
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t" else ch for ch in question
    )
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not cleaned:
        raise InvalidInputError("The question is empty: ask something about the articles.")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise InvalidInputError(
            f"The question is {len(cleaned):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. "
            "Ask a shorter question."
        )
    return cleaned


def looks_like_instruction(question: str) -> bool:
    """True for requests to do something other than answer from the articles."""
    return bool(_INSTRUCTION.search(question))


def describe_search(titles: list[str]) -> str:
    """'3 passages from "A" and "B"' — what a refusal says was searched."""
    if not titles:
        return "the index"
    distinct = list(dict.fromkeys(titles))
    named = " and ".join(f"“{t}”" for t in distinct[:3]) + (" and others" if len(distinct) > 3 else "")
    return f"{len(titles)} passages from {named}"
