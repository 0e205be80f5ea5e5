"""The SQuAD 2.0 benchmark files, and the retrieval hit rule of their README.

A question is a hit at k when one of the top-k retrieved passages comes from the
question's `doc_id` and its character span [start, end) overlaps a gold answer span.
MRR@10 is the mean reciprocal rank of the first hit within 10 (0 when none).
Only answerable questions count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from eval.metrics import first_rank, hit_at, reciprocal_rank, spans_overlap

if TYPE_CHECKING:
    import rag

KS = (1, 5, 10)
MRR_DEPTH = 10
BENCHMARK_RELATIVE = Path("shared") / "benchmarks" / "squad2"


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    doc_id: str
    answers: tuple[tuple[int, int], ...]  # gold answer spans [start, end)


@dataclass(frozen=True)
class Span:
    """Where a retrieved passage lies: an article and a char span [start, end) in its text."""

    doc_id: str
    start: int
    end: int


def benchmark_dir() -> Path | None:
    """`../shared/benchmarks/squad2` from the current dir, else next to the repository."""
    for candidate in (Path.cwd().parent / BENCHMARK_RELATIVE, Path(__file__).resolve().parents[2] / BENCHMARK_RELATIVE):
        if candidate.is_dir():
            return candidate.resolve()
    return None


def load_questions(path: Path, limit: int | None = None) -> list[Question]:
    """The answerable questions of a `questions_*.jsonl` file, in file order."""
    questions: list[Question] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            if not row.get("answerable", True) or not row.get("answers"):
                continue
            spans = tuple((int(a["start"]), int(a["end"])) for a in row["answers"])
            questions.append(Question(str(row["id"]), row["question"], str(row["doc_id"]), spans))
            if limit is not None and len(questions) >= limit:
                break
    return questions


def load_corpus(path: Path) -> dict[str, dict]:
    """The corpus articles by id: {"title", "text"}."""
    articles: dict[str, dict] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                articles[str(row["id"])] = {"title": row.get("title", row["id"]), "text": row["text"]}
    return articles


def is_hit(span: Span, question: Question) -> bool:
    return span.doc_id == question.doc_id and any(spans_overlap((span.start, span.end), a) for a in question.answers)


def first_hit_rank(spans: Sequence[Span], question: Question) -> int | None:
    """1-based rank of the first passage that is a hit, or None."""
    return first_rank(spans, lambda span: is_hit(span, question))


def score(ranks: Iterable[int | None], ks: Sequence[int] = KS) -> dict[str, float]:
    """hit@k for each k and MRR@10 from the first-hit ranks of all questions."""
    ranks = list(ranks)
    n = len(ranks)
    if n == 0:
        return {**{f"hit@{k}": 0.0 for k in ks}, f"mrr@{MRR_DEPTH}": 0.0, "questions": 0}
    result: dict[str, float] = {f"hit@{k}": round(sum(hit_at(r, k) for r in ranks) / n, 4) for k in ks}
    result[f"mrr@{MRR_DEPTH}"] = round(sum(reciprocal_rank(r, MRR_DEPTH) for r in ranks) / n, 4)
    result["questions"] = n
    return result


def retrieval_ranks(
    assistant: "rag.Assistant", questions: Sequence[Question], depth: int = MRR_DEPTH
) -> tuple[list[int | None], list[float]]:
    """First-hit rank of each question's top `depth` passages, and the seconds each retrieval took."""
    import time

    assistant.retrieve("warm up", k=depth)
    ranks, seconds = [], []
    for question in questions:
        started = time.perf_counter()
        passages = assistant.retrieve(question.question, k=depth)
        seconds.append(time.perf_counter() - started)
        ranks.append(first_hit_rank([Span(p.doc_id, p.start, p.end) for p in passages], question))
    return ranks, seconds
