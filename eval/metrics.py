"""Per-question metrics of an answer and their aggregates.

Every metric is a fraction in [0, 1] or None when it does not apply to the question
(never NaN): retrieval only for answerable items with gold passages, correctness only
for answerable items that were answered, faithfulness only for answers with claims.
An aggregate is the mean over the questions where the metric applies, reported with
that count `n`; it is None when n is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

import rag
from eval.evalset import EvalItem, GoldPassage

KS = (1, 3, 5)

# Aggregate names, in report order; thresholds use the same names.
METRICS = (
    "retrieval_hit@1",
    "retrieval_hit@3",
    "retrieval_hit@5",
    "retrieval_mrr",
    "correctness",
    "faithfulness",
    "citation_precision",
    "citation_recall",
    "sentences_flagged",
    "answerable_answered",
    "unanswerable_refused",
    "refusal_accuracy",
    "injection_resisted",
)


class GoldLocator:
    """Where gold quotes lie in the indexed documents; each document's text is read once."""

    def __init__(self, get_text: Callable[[str], str]) -> None:
        self._get_text = get_text
        self._texts: dict[str, str] = {}

    def span(self, doc_id: str, quote: str) -> tuple[int, int] | None:
        if doc_id not in self._texts:
            self._texts[doc_id] = self._get_text(doc_id)
        start = self._texts[doc_id].find(quote)
        return None if start < 0 else (start, start + len(quote))


def passage_hits(passage: rag.Passage, gold: Sequence[GoldPassage], locator: GoldLocator) -> bool:
    """The passage comes from a gold document and its span overlaps the gold quote."""
    for g in gold:
        if not (passage.doc_id == g.doc or passage.doc_id.endswith(("/" + g.doc, "\\" + g.doc))):
            continue
        span = locator.span(passage.doc_id, g.quote)
        if span is not None and spans_overlap((passage.start, passage.end), span):
            return True
    return False


# -- ranking: the one hit@k / MRR implementation (this eval and the SQuAD benchmark) --

_Item = TypeVar("_Item")


def spans_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Two character spans [start, end) share at least one character."""
    return a[0] < b[1] and b[0] < a[1]


def first_rank(items: Iterable[_Item], hits: Callable[[_Item], bool]) -> int | None:
    """1-based rank of the first of `items` that `hits`, or None."""
    return next((rank for rank, item in enumerate(items, start=1) if hits(item)), None)


def hit_at(rank: int | None, k: int) -> bool:
    """A hit within the top k, from the first-hit rank (None: no hit)."""
    return rank is not None and rank <= k


def reciprocal_rank(rank: int | None, depth: int | None = None) -> float:
    """1/rank of the first hit; 0.0 without one (or, given `depth`, without one in the top `depth`)."""
    return 1.0 / rank if rank is not None and (depth is None or rank <= depth) else 0.0


def first_hit_rank(passages: Sequence[rag.Passage], gold: Sequence[GoldPassage], locator: GoldLocator) -> int | None:
    """1-based rank of the first retrieved passage that hits a gold passage, or None."""
    return first_rank(passages, lambda passage: passage_hits(passage, gold, locator))


def retrieval_metrics(rank: int | None) -> dict[str, float]:
    """hit@k for k in KS and the reciprocal rank, from the first-hit rank (None: no hit)."""
    figures = {f"retrieval_hit@{k}": float(hit_at(rank, k)) for k in KS}
    figures["retrieval_mrr"] = reciprocal_rank(rank)
    return figures


def correctness(item: EvalItem, answer: rag.Answer) -> bool | None:
    """Key facts found in the answer; None for unanswerable items and refused answers."""
    if not item.answerable or answer.refused:
        return None
    return item.facts_found(answer.text)


def refusal_correct(item: EvalItem, answer: rag.Answer) -> bool:
    """Unanswerable refused, answerable answered."""
    return answer.refused != item.answerable


def clean_number(value: Any) -> float | None:
    """A float, or None for None/NaN/inf (a metric that does not apply)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class CitedSpan:
    """Citation [n] of an answer, as the report keeps it."""

    n: int
    doc_id: str
    title: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class RetrievedSpan:
    """A retrieved passage, as the report keeps it (`rank` is 1-based)."""

    rank: int
    doc_id: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class GoldQuote:
    """Where an eval item's answer is: a quote of the document `doc`."""

    doc: str
    quote: str


@dataclass(frozen=True)
class JudgedClaim:
    """The judge's verdict on one claim of an answer."""

    claim: str
    cited: tuple[int, ...]
    supported: bool
    reason: str
    supporting: tuple[int, ...] = ()  # which of `cited` support it


@dataclass
class QuestionResult:
    """Everything measured for one eval item."""

    id: str
    question: str
    category: str
    answerable: bool
    history: list[rag.Turn]
    answer: str
    refused: bool
    refusal_reason: str
    standalone_question: str
    citations: list[CitedSpan]
    retrieved: list[RetrievedSpan]
    gold: list[GoldQuote]
    retrieval_rank: int | None  # first hit, 1-based; None when no hit or not applicable
    retrieval_applicable: bool
    correct: bool | None
    refusal_correct: bool
    faithfulness: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    verdicts: list[JudgedClaim] = field(default_factory=list)
    # Share of the answer's sentences the answer-time verifier flagged as unsupported
    # (`Answer.verdicts`: LLM answers only; offline answers are quotes and carry none).
    flagged: float | None = None
    verifier_error: str | None = None
    # The answerer itself failed (an LLM error after its retries): the question counts as
    # failed on every metric (not answered, not refused, not correct), and the run goes on.
    answer_error: str | None = None
    seconds: float = 0.0
    injection_resisted: bool | None = None  # None: the item plants nothing to resist
    obeyed: list[str] = field(default_factory=list)  # why not, from eval.injection

    def values(self) -> dict[str, float | None]:
        """This question's value of every metric (None where it does not apply)."""
        values: dict[str, float | None] = dict.fromkeys(METRICS)
        if self.retrieval_applicable:
            values.update(retrieval_metrics(self.retrieval_rank))
        values["correctness"] = None if self.correct is None else float(self.correct)
        values["faithfulness"] = clean_number(self.faithfulness)
        values["citation_precision"] = clean_number(self.citation_precision)
        values["citation_recall"] = clean_number(self.citation_recall)
        values["sentences_flagged"] = clean_number(self.flagged)
        if self.answerable:
            values["answerable_answered"] = float(not self.refused and self.answer_error is None)
        else:
            values["unanswerable_refused"] = float(self.refused)
        values["refusal_accuracy"] = float(self.refusal_correct)
        if self.injection_resisted is not None:
            values["injection_resisted"] = float(self.injection_resisted)
        return values


def mean_with_n(values: Iterable[float | None]) -> dict[str, Any]:
    """{"mean": ..., "n": ...} over the values that apply; mean None when none do."""
    applicable = [v for v in (clean_number(v) for v in values) if v is not None]
    if not applicable:
        return {"mean": None, "n": 0}
    return {"mean": round(math.fsum(applicable) / len(applicable), 4), "n": len(applicable)}


def aggregate(results: Sequence[QuestionResult]) -> dict[str, dict[str, Any]]:
    """Every metric's mean over the questions where it applies, with the count."""
    per_question = [r.values() for r in results]
    return {name: mean_with_n(v[name] for v in per_question) for name in METRICS}


def check_thresholds(
    aggregates: Mapping[str, Mapping[str, Any]], thresholds: Mapping[str, float]
) -> dict[str, dict[str, Any]]:
    """Per thresholded metric: value, threshold and whether it passes. A metric that was
    not measured (n = 0) fails: a guard that silently checks nothing guards nothing."""
    checks: dict[str, dict[str, Any]] = {}
    for name, threshold in thresholds.items():
        value = aggregates.get(name, {}).get("mean")
        passed = value is not None and value >= threshold
        reason = "" if passed else ("not measured" if value is None else f"{value:.3f} < {threshold:.3f}")
        checks[name] = {"value": value, "threshold": threshold, "passed": passed, "reason": reason}
    return checks


@dataclass
class EvalReport:
    """The outcome of one eval run: per-question results, aggregates and threshold checks."""

    eval_set: str
    judge: str
    answerer: str
    questions: list[QuestionResult]
    aggregates: dict[str, dict[str, Any]]
    thresholds: dict[str, float]
    checks: dict[str, dict[str, Any]]
    seconds: float
    metrics: tuple[str, ...] = METRICS
    files: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(check["passed"] for check in self.checks.values())

    @property
    def failures(self) -> dict[str, dict[str, Any]]:
        return {name: check for name, check in self.checks.items() if not check["passed"]}

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "eval_set": self.eval_set,
            "judge": self.judge,
            "answerer": self.answerer,
            "passed": self.passed,
            "seconds": round(self.seconds, 1),
            "aggregates": self.aggregates,
            "thresholds": self.thresholds,
            "checks": self.checks,
            "questions": [asdict(q) for q in self.questions],
        }
