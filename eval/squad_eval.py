"""`rag eval --set squad2`: the SQuAD 2.0 benchmark code, reported like an eval set."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

import rag
from eval.metrics import EvalReport, check_thresholds

logger = logging.getLogger(__name__)

SQUAD_METRICS = (
    "retrieval_hit@1",
    "retrieval_hit@5",
    "retrieval_hit@10",
    "retrieval_mrr",
    "answer_containment",
    "answerable_answered",
    "unanswerable_refused",
    "refusal_accuracy",
)


def run_squad_eval(
    judge: str,
    data_dir: str | Path | None,
    limit: int | None,
    limits: dict[str, float],
    settings: rag.Settings | None,
    progress: bool,
) -> EvalReport:
    """Retrieval (hit@k, MRR@10) and answers (containment, refusal) with the benchmark code.

    Uses `data_dir` as the SQuAD index (built there when missing), else a temp dir.
    Faithfulness is not measured here."""
    import ingest
    from eval.outcomes import effective_min_evidence, rates, squad_outcomes
    from eval.squad import benchmark_dir, load_questions, retrieval_ranks, score

    if judge != "offline":
        logger.warning("squad2 measures no faithfulness; --judge %s is ignored", judge)
    squad = benchmark_dir()
    if squad is None or not (squad / "corpus.jsonl").is_file():
        raise ValueError("SQuAD benchmark files not found (../shared/benchmarks/squad2)")
    started = time.perf_counter()
    settings = settings or rag.Settings()
    index = Path(data_dir) if data_dir is not None else Path(tempfile.mkdtemp(prefix="rag-eval-squad-"))
    temporary = index if data_dir is None else None
    try:
        if progress:
            logger.warning("Indexing the SQuAD corpus into %s (once) and scoring retrieval...", index)
        settings = settings.with_data_dir(index)
        embedder = rag.build_embedder(settings)
        report = ingest.ingest_paths([squad / "corpus.jsonl"], settings, embedder=embedder)  # a no-op once indexed
        if report.problems:
            raise RuntimeError(f"the SQuAD corpus did not ingest cleanly: {report.summary()}")
        assistant = rag.Assistant(settings, embedder=embedder, auto_seed=False)
        ours = score(retrieval_ranks(assistant, load_questions(squad / "questions_dev.jsonl", limit))[0])
        outcomes = squad_outcomes(assistant, squad / "questions_dev.jsonl", limit)
        answerer = assistant.answerer_name
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    n_ret = int(ours["questions"])
    threshold = effective_min_evidence(settings)
    figures = rates(outcomes, threshold)
    answerable = sum(o.answerable for o in outcomes)
    unanswerable = len(outcomes) - answerable
    accurate = sum(o.refused_at(threshold) != o.answerable for o in outcomes)
    entry = lambda value, n: {"mean": value if n else None, "n": n}  # noqa: E731
    aggregates = {
        "retrieval_hit@1": entry(ours["hit@1"], n_ret),
        "retrieval_hit@5": entry(ours["hit@5"], n_ret),
        "retrieval_hit@10": entry(ours["hit@10"], n_ret),
        "retrieval_mrr": entry(ours["mrr@10"], n_ret),
        "answer_containment": entry(figures["correct_of_answerable"], answerable),
        "answerable_answered": entry(figures["answerable_answered"], answerable),
        "unanswerable_refused": entry(figures["unanswerable_refused"], unanswerable),
        "refusal_accuracy": entry(round(accurate / len(outcomes), 4) if outcomes else None, len(outcomes)),
    }
    return EvalReport(
        eval_set="squad2",
        judge="none",
        answerer=answerer,
        questions=[],
        aggregates=aggregates,
        thresholds=limits,
        checks=check_thresholds(aggregates, limits),
        seconds=time.perf_counter() - started,
        metrics=SQUAD_METRICS,
    )
