"""The words that make a sentence a question: the wh-words and the auxiliaries a question
opens with ("How many ...", "Did ..."). One home for them; each reader takes what it needs
(`answer_types` classifies the question by them, `question_parts` splits at them, `condense`
tells a new question from "And X?", `lexical` drops them from a question's terms, `claims`
and `substitutions` read them as scaffolding, never a name or a swapped word)."""

from __future__ import annotations

from typing import AbstractSet

WH_WORDS = frozenset("how what which who whom whose when where why whether".split())
AUXILIARIES = frozenset(
    "did does do is are was were has have had can could will would should shall may might must am".split()
)


def alternation(words: AbstractSet[str]) -> str:
    """A regex group matching any of `words` (longest first, so "whom" is not read as "who")."""
    return "(?:" + "|".join(sorted(words, key=lambda w: (-len(w), w))) + ")"
