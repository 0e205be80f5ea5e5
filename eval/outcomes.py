"""Asking a question set once and reading refusal and correctness off the answers: shared by
the answers benchmark (`eval/bench_answers.py`) and the SQuAD gate (`eval/squad_eval.py`),
so the gate does not depend on a benchmark script."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Sequence

import rag


@dataclass(frozen=True)
class Outcome:
    """One question asked with refusal off: what a threshold needs to decide."""

    answerable: bool
    evidence: float
    refused_anyway: bool  # refused for another reason (instruction, nothing retrieved)
    correct: bool  # key facts (seeds) or a gold answer (SQuAD) in the text
    seconds: float
    sentences: int = 0  # sentences the answer quotes (its citations)

    def refused_at(self, threshold: float) -> bool:
        return self.refused_anyway or self.evidence < threshold


def timed_ask(assistant: rag.Assistant, question: str, history: Sequence = ()) -> tuple[rag.Answer, float]:
    started = time.perf_counter()
    answer = assistant.ask(question, history=history)
    return answer, time.perf_counter() - started


def outcome_of(answerable: bool, answer: rag.Answer, correct: bool, seconds: float) -> Outcome:
    evidence = answer.evidence.probability if answer.evidence is not None else 0.0
    if answer.evidence is not None and answer.evidence.decided_by != "judge" and not answer.refused:
        evidence = 1.0  # answered by a rule that no threshold on the judge's probability overrides
    # Asked with refusal by evidence off (min_evidence 0) in the benchmark, a refusal has another
    # cause (an instruction, nothing retrieved, no sentence of the asked type); in the SQuAD gate
    # (configured threshold) a refusal is a refusal either way.
    refused_anyway = answer.refused
    return Outcome(answerable, evidence, refused_anyway, correct and not answer.refused, seconds, len(answer.citations))


def squad_outcomes(
    assistant: rag.Assistant, questions_file: Path, limit: int | None, articles: Collection[str] | None = None
) -> list[Outcome]:
    """The first `limit` questions, or those of them about `articles` (doc ids) when given."""
    outcomes = []
    for number, line in enumerate(questions_file.read_text(encoding="utf-8").splitlines()):
        if limit is not None and number >= limit:
            break
        row = json.loads(line)
        if articles is not None and row["doc_id"] not in articles:
            continue
        answer, seconds = timed_ask(assistant, row["question"])
        lowered = answer.text.lower()
        contains = any(gold["text"].lower() in lowered for gold in row["answers"])
        outcomes.append(outcome_of(bool(row["answerable"]), answer, contains, seconds))
    return outcomes


def rates(outcomes: Sequence[Outcome], threshold: float) -> dict[str, float | None]:
    """Refusal and correctness at one threshold."""
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    answered = [o for o in answerable if not o.refused_at(threshold)]
    share = lambda part, whole: round(len(part) / len(whole), 3) if whole else None  # noqa: E731
    return {
        "answerable_answered": share(answered, answerable),
        "unanswerable_refused": share([o for o in unanswerable if o.refused_at(threshold)], unanswerable),
        "correct_of_answerable": share([o for o in answered if o.correct], answerable),
        "correct_of_answered": share([o for o in answered if o.correct], answered),
        # how long the answers are: more quoted sentences hold the answer more often
        "sentences_per_answer": round(sum(o.sentences for o in answered) / len(answered), 2) if answered else None,
    }


def effective_min_evidence(settings: rag.Settings) -> float:
    """RAG_MIN_EVIDENCE, or the threshold fitted with the answer model when it is unset."""
    from rag.answer.answer_model import load_answer_model
    from rag.answer.refusal import evidence_threshold

    return evidence_threshold(settings.min_evidence, load_answer_model(settings.answer_model).min_evidence)
