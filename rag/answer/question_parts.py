"""Questions that ask two things ("How many soldiers did Ukraine capture, and how many troops
were deployed?"): split into their parts, and the parts' answers joined into one `Answer`.

The offline answerer scores every sentence against the whole question, which neither part's
sentence answers alone, and retrieval searches for the words of the whole, so one part's
passage can be missing. So `Assistant` asks the parts in turn, as a short
conversation: each later part is condensed with the earlier ones (`rag.answer.condense`),
so "..., and which programs could that help?" still knows what "that" is, and each part is
searched and answered on its own. A language model reads both parts of one question and
answers each with its own citations, so it gets the question whole, with passages found for
each part in turn (`searched_parts`, `take_in_turn`): every part's best passage among them.

Only a clear second question is split off: a part opening with a question word (or an
auxiliary after a question mark) that asks about something (`MIN_PART_TERMS` content words),
with no question word inside any part. "Who helped, and why?", "Closing speakers are given
between 5 and how many minutes?" and "What is the difference between what Russia said and
what Ukraine said?" stay whole.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Sequence

from rag.answer.citations import ANSWER_MARKER, answer_sentences
from rag.answer.condense import condense_offline
from rag.answer.refusal import not_found, part_not_answered
from rag.text.lexical import question_terms
from rag.text.question_words import AUXILIARIES, WH_WORDS, alternation
from rag.types import Answer, Citation, Fact, Passage, Turn

# "whether" asks no question of its own: "..., and whether it was accurate?" belongs to the first.
_WH = alternation(WH_WORDS - {"whether"})
_AUX = alternation(AUXILIARIES)
_OPENS_QUESTION = re.compile(rf"^(?:{_WH}|{_AUX})\b", re.IGNORECASE)
# Where a second question starts: ", and how ..." / " and which ...", or a new question after "?".
_JOIN = re.compile(rf"(?:\s*,\s*|\s+)and\s+(?={_WH}\b)|\?\s+(?=(?:{_WH}|{_AUX})\b)", re.IGNORECASE)
# A question word inside a part: the "and" may join two clauses of one question.
_EMBEDDED_WH = re.compile(rf"(?<!^)\b{_WH}\b", re.IGNORECASE)
# A part must ask about something: "..., and why?" is one question about the first part.
MIN_PART_TERMS = 1
MAX_PARTS = 3


def split_question(question: str) -> tuple[str, ...]:
    """The questions `question` asks, each ending in "?"; just `(question,)` when it asks one."""
    pieces = [p.strip(" ,;") for p in _JOIN.split(question.strip())]
    parts = tuple(_as_question(p) for p in pieces if p)
    if not 1 < len(parts) <= MAX_PARTS:
        return (question,)
    if not all(_OPENS_QUESTION.match(p) and len(question_terms(p)) >= MIN_PART_TERMS for p in parts):
        return (question,)
    if any(_EMBEDDED_WH.search(p) for p in parts):  # "between what Russia said and what Ukraine said"
        return (question,)
    return parts


def searched_parts(parts: Sequence[str]) -> list[str]:
    """What to search for each part: a later part with the words of the earlier ones it
    leans on ("Which programs could that help? (North Korea receive Russia)"), condensed
    offline as a follow-up is."""
    searched: list[str] = []
    turns: list[Turn] = []
    for part in parts:
        searched.append(condense_offline(part, turns))
        turns.append(Turn(part))
    return searched


def take_in_turn(found: Sequence[Sequence[Passage]], k: int) -> list[Passage]:
    """Up to `k` passages in all from the parts' search results (`found`): each part's best
    first, then each part's second, and so on; a passage found twice is taken once."""
    taken: dict[str, Passage] = {}
    for rank in range(max((len(f) for f in found), default=0)):
        for passages in found:
            if rank < len(passages) and len(taken) < k:
                taken.setdefault(passages[rank].chunk_id, passages[rank])
    return list(taken.values())


def _as_question(part: str) -> str:
    part = part.rstrip(" ?") + "?"
    return part[0].upper() + part[1:]


def combine_answers(question: str, answers: Sequence[Answer]) -> Answer:
    """One answer to `question` from its parts' `answers` (in the parts' order): each part's
    quotes with their sources numbered anew (a sentence quoted for two parts is shown once),
    and for a part the articles do not answer, a sentence that says so.

    Refused only when every part is; its evidence is the strongest part's, so a refusal
    threshold refuses the whole exactly when it refuses every part."""
    passages = _union(a.passages for a in answers)
    evidence_of = [a.evidence.probability if a.evidence is not None else -1.0 for a in answers]
    strongest = answers[max(range(len(answers)), key=evidence_of.__getitem__)]
    standalone = " ".join(a.standalone_question for a in answers)
    if all(a.refused and not a.partial for a in answers):
        refusal = not_found("; ".join(dict.fromkeys(a.refusal_reason for a in answers)), [p.title for p in passages])
        return replace(
            strongest, question=question, standalone_question=standalone, text=refusal.text, citations=(),
            passages=passages, refusal_reason=refusal.reason, warnings=_unique(w for a in answers for w in a.warnings),
        )
    pieces: list[str] = []
    citations: list[Citation] = []
    warnings: list[str] = []
    facts: list[Fact] = []
    for answer in answers:
        if answer.refused and not answer.partial:
            pieces.append(part_not_answered(answer.question))
            continue
        numbers = _number_anew(answer.citations, citations)
        # a sentence quoted for an earlier part too is shown once
        pieces.extend(p for p in answer_sentences(_renumbered(answer.text, numbers)) if p not in pieces)
        warnings.extend(_renumbered(w, numbers) for w in answer.warnings)
        for fact in answer.facts if not answer.refused else ():
            renumbered = replace(fact, citation=numbers[fact.citation])
            if renumbered not in facts:  # the same short answer for two parts is shown once
                facts.append(renumbered)
    answered = [a for a in answers if not a.refused]
    return Answer(
        question=question,
        standalone_question=standalone,
        text=" ".join(pieces),
        refused=not answered,
        citations=tuple(citations),
        passages=passages,
        answerer=(answered or list(answers))[0].answerer,
        warnings=_unique(warnings),
        refusal_reason="" if answered else "; ".join(_unique(a.refusal_reason for a in answers if a.refusal_reason)),
        evidence=strongest.evidence,
        fact=facts[0] if facts else None,
        facts=tuple(facts),
        partial=not answered,
        verdicts=tuple(v for a in answers for v in a.verdicts),
    )


def _number_anew(cited: Sequence[Citation], numbered: list[Citation]) -> dict[int, int]:
    """New numbers for a part's citations `cited`, appended to `numbered` (the sources of the
    parts before): the same span cited again keeps its first number."""
    numbers: dict[int, int] = {}
    for citation in cited:
        same = next((c for c in numbered if (c.doc_id, c.start, c.end) == (citation.doc_id, citation.start, citation.end)), None)
        if same is None:
            same = replace(citation, n=len(numbered) + 1)
            numbered.append(same)
        numbers[citation.n] = same.n
    return numbers


def _renumbered(text: str, numbers: dict[int, int]) -> str:
    """`text` with each marker "[n]" (or "[n, m]") of a known source given its new number."""
    def renumber(marker: re.Match[str]) -> str:
        found = [int(n) for n in marker.group(1).split(",")]
        return "[" + ", ".join(str(numbers.get(n, n)) for n in found) + "]"

    return ANSWER_MARKER.sub(renumber, text)


def _union(passage_lists: Iterable[Sequence[Passage]]) -> tuple[Passage, ...]:
    seen: dict[str, Passage] = {}
    for passages in passage_lists:
        for passage in passages:
            seen.setdefault(passage.chunk_id, passage)
    return tuple(seen.values())


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
