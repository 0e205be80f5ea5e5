"""When a question is refused, and the words of every refusal: the one place to look.

The rules, in the order a question meets them (each with its threshold and the step that
applies it):

1. An instruction, not a question: `refuse_before_search` (what reads as one:
   `rag.answer.guard.looks_like_instruction`), worded `INSTRUCTION_REFUSAL`.
   Applied by `Assistant._prepare`, before anything is searched.
2. Nothing retrieved: `refuse_nothing_retrieved`, worded `EMPTY_FILTER_REFUSAL` when the
   filters matched no article, else `NOT_FOUND_REFUSAL`. `Assistant._prepare`.
3. A question about the article itself (author, date, outlet) that its article does not
   state: `METADATA_NO_ARTICLE_REASON`, `metadata_unstated`.
   `rag.answer.metadata_answer.metadata_draft`.
4. Lexical coverage gate, LLM answerers only: no retrieved sentence covers at least
   `LLM_MIN_COVERAGE` of the question's weighted words (of any part's, for a question asking
   several things), so the model is not asked: `refuse_weak_coverage`. `Assistant._prepare`.
5. The offline answerer (`ExtractiveAnswerer.answer`) refuses when
   a. no sentence could be ranked: `NO_SENTENCE_REASON`;
   b. the question asks for a type (how many, who, when) that no likely sentence holds:
      `pick_answer` with `TYPED_WITHIN`, reason `no_typed_sentence_reason`;
   c. the judge's probability that the best sentence answers is below the threshold:
      `evidence_threshold` (RAG_MIN_EVIDENCE, else the one fitted with the answer model,
      `rag/answer/answer_model.json`) and `weak_evidence_reason`;
   d. instead of b and c for "Who is Mick Ryan?": no statement names whom it asks about,
      `pick_description`, reason `undescribed_reason`.
   Either way `offline_refusal` decides between a plain refusal and a partial answer
   (`PARTIAL_MIN_COVERAGE`, worded `PARTIAL_ANSWER` with `MISSING_DETAIL`).
6. The LLM answerer (`rag.answer.llm_answer`) refuses when the model replies
   `NOT_IN_SOURCES` (`llm_declined_reason`), when none of its reply can be tied to a source
   (`UNCITED_REASON`), or when its reply was cut before a first sentence ended
   (`CUT_BEFORE_FIRST_SENTENCE_REASON`).
7. RAG_STRICT claim check: every sentence of a model's answer was unsupported and dropped:
   `NOTHING_SUPPORTED_REASON`. `Assistant._verified`.
8. The words shown: every refused draft that is not a partial answer is worded
   `NOT_FOUND_REFUSAL`, naming what was searched: `refusal_for_draft`. `Assistant._finish`.
9. A question asking two things, answered offline part by part
   (`rag.answer.question_parts`): a part the articles do not answer is said so in the
   answer, worded `PART_NOT_ANSWERED` (`part_not_answered`); the whole is refused only when
   every part is.

A reason (the log line, `Answer.refusal_reason`) is a plain string; the text a reader sees
is a `Refusal`'s, decided by rules 1, 2, 4 and 8 (and a partial answer's own wording).
`reads_as_refusal` tells an earlier turn's refusal from an answer, for follow-ups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Mapping, Protocol, Sequence, TypeVar

from rag.answer.claims import ClaimCheck
from rag.answer.guard import looks_like_instruction
from rag.types import Draft

# -- the words a reader sees ----------------------------------------------------------

INSTRUCTION_REFUSAL = (
    "I can only answer questions about the indexed news articles, from what they say; "
    "I won't follow instructions like this one. Ask a question about the articles instead."
)
NOT_FOUND_REFUSAL = "The indexed articles don't say. I searched {searched}, but none of it answers this question."
EMPTY_FILTER_REFUSAL = "No indexed article matches the filters, so there is nothing to answer from."
PARTIAL_ANSWER = "The articles don't say {detail}. What they report: {quote}"
PART_NOT_ANSWERED = "The articles don't answer “{part}”"
# What a partial answer says the articles do not give, by expected answer type.
MISSING_DETAIL: Mapping[str, str] = {
    "age": "how old",
    "number": "how many or how much",
    "money": "how much",
    "date": "when",
    "duration": "how long",
    "person": "who",
    "place": "where",
    "organization": "which organisation",
}

# -- thresholds -------------------------------------------------------------------------

# Rule 4: below this, no retrieved sentence mentions enough of the question to bother the LLM.
LLM_MIN_COVERAGE = 0.25
# Rule 5b: a sentence of the asked type replaces a better-ranked one lacking it if it is this
# likely relative to it; otherwise the question is refused (the articles lack the asked detail).
TYPED_WITHIN = 0.25
# Rule 5: a partial answer needs a sentence this much on the topic, naming everything the question names.
PARTIAL_MIN_COVERAGE = 0.5

# -- reasons (logged, and `Answer.refusal_reason`) ---------------------------------------

INSTRUCTION_REASON = "instruction, not a question"
NOTHING_RETRIEVED_REASON = "nothing retrieved"
METADATA_NO_ARTICLE_REASON = "no article matched the question"
NO_SENTENCE_REASON = "no passage matched the question"
NOT_IN_SOURCES = "NOT_IN_SOURCES"  # the reply the answer prompt asks for when the sources do not answer
UNCITED_REASON = "the model's answer could not be tied to any source"
CUT_BEFORE_FIRST_SENTENCE_REASON = "the model's reply was cut before its first sentence ended"
NOTHING_SUPPORTED_REASON = "no sentence of the model's answer is supported by its sources"

_REFUSAL_OPENINGS = tuple(
    refusal.split("{", 1)[0] for refusal in (NOT_FOUND_REFUSAL, EMPTY_FILTER_REFUSAL, INSTRUCTION_REFUSAL)
)


@dataclass(frozen=True)
class Refusal:
    """A refusal decided: why (for the log and `Answer.refusal_reason`) and what the reader sees."""

    reason: str
    text: str


def refuse_before_search(asked: str) -> Refusal | None:
    """Rule 1: a request to do something other than answer from the articles. Give it the
    question as sent: the instruction check reads invisible characters both ways."""
    if looks_like_instruction(asked):
        return Refusal(INSTRUCTION_REASON, INSTRUCTION_REFUSAL)
    return None


def refuse_nothing_retrieved(filtered: bool) -> Refusal:
    """Rule 2: retrieval found nothing; with filters set, they are what excluded everything."""
    text = EMPTY_FILTER_REFUSAL if filtered else NOT_FOUND_REFUSAL.format(searched=describe_search([]))
    return Refusal(NOTHING_RETRIEVED_REASON, text)


def metadata_unstated(title: str, name: str) -> Refusal:
    """Rule 3: the article asked about (`title`) does not give its author, date or outlet
    (`name`). Its text stays on the draft; rule 8 shows the reader `NOT_FOUND_REFUSAL`."""
    return Refusal(f"the article does not give its {name}", f"The article “{title}” does not give its {name}.")


def refuse_weak_coverage(coverage: float, titles: Sequence[str]) -> Refusal | None:
    """Rule 4: the best retrieved sentence's lexical coverage of the question is below
    `LLM_MIN_COVERAGE`, so an LLM is not asked at all."""
    if coverage < LLM_MIN_COVERAGE:
        return not_found(f"evidence too weak (coverage {coverage:.2f})", titles)
    return None


def pick_answer(features: Sequence[Mapping[str, float]], probabilities: Sequence[float]) -> int | None:
    """Rule 5b: which candidate (ranked best first) to answer with, or None to refuse.

    A question asking for a quantity, age, date, person or place is never answered by a
    sentence holding nothing of that type (`type_fit` -1): a retrieved sentence that holds
    it is taken instead when the ranker finds it at least `TYPED_WITHIN` as likely; when
    none is, the articles do not give the asked detail. One rule for answering and for
    fitting the answer model (`eval.fit_answerer`)."""
    if not features or features[0]["type_fit"] > -1:
        return 0 if features else None
    for i, candidate in enumerate(features):
        if candidate["type_fit"] == 1 and probabilities[i] >= TYPED_WITHIN * probabilities[0]:
            return i
    return None


def pick_description(names_them: Sequence[bool], introduces_them: Sequence[bool]) -> int | None:
    """Rule 5d: "Who is Mick Ryan?" asks what the articles say of someone they name. It is
    answered by the best-ranked statement naming them with a role or a description
    (`introduces_them`: "said Mick Ryan, a retired Australian major general"), else by the
    best-ranked one naming them at all (`names_them`; both ranked best first), and refused when
    none does, whatever the judge says: the judge is fitted on SQuAD, which has 7
    such questions among 7,727, and finds "said Mick Ryan, a retired Australian major general"
    unlikely to answer a question sharing no word with it but the name."""
    introduced = (i for i, (named, told) in enumerate(zip(names_them, introduces_them)) if named and told)
    return next(introduced, next((i for i, named in enumerate(names_them) if named), None))


def undescribed_reason(name: str) -> str:
    """Rule 5d's reason: no retrieved statement names whom the question asks about."""
    return f"no retrieved statement names {name}"


def may_join(features: Mapping[str, float]) -> bool:
    """Rule 5b for the further sentences of an answer: one holding nothing of the asked type
    (`type_fit` -1) does not join it, however likely the ranker finds it ("How many people
    were evacuated?" is not answered by "... did not say how many sailors were aboard")."""
    return features["type_fit"] > -1


def no_typed_sentence_reason(kind: str | None) -> str:
    """Rule 5b's reason: `pick_answer` found no likely sentence of the asked type."""
    return f"no likely sentence holds the asked {kind}"


def evidence_threshold(configured: float | None, fitted: float) -> float:
    """Rule 5c's threshold: RAG_MIN_EVIDENCE when set, else the one fitted with the answer model."""
    return fitted if configured is None else configured


def weak_evidence_reason(probability: float, threshold: float) -> str | None:
    """Rule 5c: the reason to refuse when the judge's probability is below `threshold`, else None."""
    if probability < threshold:
        return f"evidence too weak (probability {probability:.2f} < {threshold:.2f})"
    return None


class RankedSentence(Protocol):
    """What `offline_refusal` reads of the offline answerer's candidates."""

    @property
    def statement(self) -> bool: ...

    @property
    def check(self) -> ClaimCheck: ...

    @property
    def features(self) -> Mapping[str, float]: ...


S = TypeVar("S", bound=RankedSentence)


@dataclass(frozen=True)
class OfflineRefusal(Generic[S]):
    """The offline answerer's refusal: its reason and, for a partial answer, the sentence it
    quotes (`quote`) and the detail the articles do not give."""

    reason: str
    quote: S | None = None
    detail: str = ""

    def partial_text(self, quoted: str) -> str:
        """A partial answer's words around the quoted sentence (`quoted`, with its marker)."""
        return PARTIAL_ANSWER.format(detail=self.detail, quote=quoted)


def offline_refusal(best: S, ranked: Sequence[S], kind: str | None, reason: str) -> OfflineRefusal[S]:
    """Rule 5, once refused: a partial answer when the articles discuss the topic but not the
    asked detail (an on-topic statement naming everything the question names, and no
    sentence of the asked type); a plain refusal otherwise, or when the best sentence's
    article never mentions a name the question asks about."""
    if best.check.missing_in_article:
        names = ", ".join(f"“{m}”" for m in best.check.missing_in_article)
        return OfflineRefusal(f"{reason}; the best article never mentions {names}")
    detail = MISSING_DETAIL.get(kind or "")
    on_topic = [
        c for c in ranked
        if c.statement and not c.check.missing_in_sentence and c.features["coverage"] >= PARTIAL_MIN_COVERAGE
    ]
    if detail is None or not on_topic or any(c.check.type_fit >= 1.0 for c in ranked):
        return OfflineRefusal(reason)
    return OfflineRefusal(f"{reason}; the articles discuss it but not {detail}", on_topic[0], detail)


def llm_declined_reason(reply: str) -> str | None:
    """Rule 6: the reason to refuse when the model said the sources do not answer, else None."""
    if NOT_IN_SOURCES in reply:
        return "the model said the sources do not cover it"
    return None


def not_found(reason: str, titles: Sequence[str]) -> Refusal:
    """The articles do not say: `NOT_FOUND_REFUSAL`, naming the passages searched (`titles`)."""
    return Refusal(reason, NOT_FOUND_REFUSAL.format(searched=describe_search(titles)))


def refusal_for_draft(draft: Draft, titles: Sequence[str]) -> Refusal | None:
    """Rule 8: an answerer's refused draft is shown as `NOT_FOUND_REFUSAL` whatever it wrote,
    unless it is a partial answer (which keeps its own words and citations)."""
    if draft.refused and not draft.partial:
        return not_found(draft.reason, titles)
    return None


def part_not_answered(part: str) -> str:
    """Rule 9: what an answer to a question of several parts says of a part it cannot answer."""
    return PART_NOT_ANSWERED.format(part=part.strip())


def says_part_not_answered(sentence: str) -> bool:
    """True for rule 9's sentence: it is about the articles, not a claim taken from them, so the
    claim check (`rag.answer.verify`) does not ask for its source."""
    return sentence.strip().startswith(PART_NOT_ANSWERED.split("{", 1)[0])


def describe_search(titles: Sequence[str]) -> str:
    """'3 passages from "A" and "B"' — what a refusal says was searched."""
    if not titles:
        return "the index"
    distinct = list(dict.fromkeys(titles))
    named = " and ".join(f"“{t}”" for t in distinct[:3]) + (" and others" if len(distinct) > 3 else "")
    return f"{len(titles)} passages from {named}"


def reads_as_refusal(text: str) -> bool:
    """True for the words of a refusal (rules 1, 2 and 8), e.g. an earlier turn's answer."""
    return text.lstrip().startswith(_REFUSAL_OPENINGS)
