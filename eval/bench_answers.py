"""The answering benchmark: correctness, refusal, latency, and the refusal calibration.

For the seed questions (eval/data/seeds.jsonl) and the SQuAD 2.0 dev questions, every
question is asked once with refusal switched off (min_evidence 0), recording the answer
and its evidence score; refusal at any threshold t is then "evidence < t", so one pass
gives the whole calibration curve. The reported figures use the configured threshold.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import rag
from eval.evalset import EvalItem, load_eval_set
from eval.outcomes import Outcome, effective_min_evidence, outcome_of, rates, squad_outcomes, timed_ask

THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]
WARM_UP_QUESTION = "What is this collection of articles about?"
# Questions asked without the answerer's sentence cache (`new_content_latency_ms`), per set.
NEW_CONTENT_QUESTIONS = 100
COLD_QUESTION = "How old were the captured soldiers?"


def seed_outcomes(assistant: rag.Assistant, items: Iterable[EvalItem]) -> list[Outcome]:
    outcomes = []
    for item in items:
        history = [(turn.question, turn.answer) for turn in item.history]
        answer, seconds = timed_ask(assistant, item.question, history)
        outcomes.append(outcome_of(item.answerable, answer, item.facts_found(answer.text), seconds))
    return outcomes


QUAIL_CHECKED_TYPES = ("Factual", "Entity_properties")


def quail_outcomes(assistant: rag.Assistant, questions_file: Path, limit: int | None) -> dict[str, list[Outcome]]:
    """QuAIL news questions by type. "Unanswerable" ones should be refused; for Factual and
    Entity_properties questions an answer is correct when it holds at least half of the
    correct option's content words (the other types need inference beyond quoting: only
    their answered rate is reported)."""
    from rag.text.lexical import question_terms

    by_type: dict[str, list[Outcome]] = {}
    for number, line in enumerate(questions_file.read_text(encoding="utf-8").splitlines()):
        if limit is not None and number >= limit:
            break
        row = json.loads(line)
        answer, seconds = timed_ask(assistant, row["question"])
        wanted = set(question_terms(row["answer_text"]))
        found = wanted & set(question_terms(answer.text))
        correct = row["type"] in QUAIL_CHECKED_TYPES and bool(wanted) and len(found) >= len(wanted) / 2
        outcome = outcome_of(not row["unanswerable"], answer, correct, seconds)
        by_type.setdefault(row["type"], []).append(outcome)
    return by_type


def latency_ms(outcomes: Sequence[Outcome]) -> dict[str, float]:
    millis = sorted(o.seconds * 1000 for o in outcomes)
    if not millis:
        return {}
    return {
        "p50": round(statistics.median(millis), 1),
        "p95": round(millis[min(len(millis) - 1, int(0.95 * len(millis)))], 1),
        "mean": round(statistics.fmean(millis), 1),
    }


def calibration(curves: Mapping[str, Sequence[Outcome]]) -> list[dict[str, Any]]:
    """Per threshold, per set: answerable answered, unanswerable refused."""
    table = []
    for threshold in THRESHOLDS:
        row: dict[str, Any] = {"threshold": threshold}
        for name, outcomes in curves.items():
            figures = rates(outcomes, threshold)
            row[name] = {k: figures[k] for k in ("answerable_answered", "unanswerable_refused")}
        table.append(row)
    return table


def squad_cross_validated(
    squad_index: Path, questions_file: Path, folds: Path, embedder: rag.Embedder, limit: int | None
) -> dict[str, Any]:
    """SQuAD out of sample, end to end: each dev question asked with the model of the fold that
    held its article out (`python -m eval.fit_answerer --fold-models DIR`), so the whole
    answer (its extra sentences, the refusal rules) is scored, not only its best sentence.
    Rates at each fold's own fitted threshold, and the pooled curve over thresholds."""
    files = sorted(folds.glob("fold*.json"))
    if not files:
        raise FileNotFoundError(f"no fold*.json in {folds}: write them with `python -m eval.fit_answerer --fold-models {folds}`")
    pooled: list[Outcome] = []
    at_own_threshold: list[Outcome] = []
    for path in files:
        fold = json.loads(path.read_text(encoding="utf-8"))
        articles, own = frozenset(fold["scored_on"]), float(fold["min_evidence"])
        settings = rag.Settings(data_dir=squad_index, min_evidence=0.0, answer_model=path)
        outcomes = squad_outcomes(rag.Assistant(settings, embedder=embedder), questions_file, limit, articles)
        pooled += outcomes
        at_own_threshold += [replace(o, refused_anyway=o.refused_at(own)) for o in outcomes]
    return {
        "questions": len(pooled),
        "folds": len(files),
        **rates(at_own_threshold, 0.0),
        "curve": [{"threshold": t, **rates(pooled, t)} for t in THRESHOLDS],
    }


def cold_ask_seconds(data_dir: Path) -> dict[str, float]:
    """Wall time of a whole `rag ask` process against an existing index, and of merely
    importing its dependencies in a fresh interpreter (both measured here, twice each)."""
    imports = "import sentence_transformers, chromadb, bm25s, click, pydantic_settings, numpy"
    import_runs = [_timed_process([sys.executable, "-c", imports]) for _ in range(2)]
    rag_command = str(Path(sys.executable).with_name("rag"))
    ask_runs = [
        _timed_process([rag_command, "ask", COLD_QUESTION, "--data-dir", str(data_dir)]) for _ in range(2)
    ]
    best_import, best_ask = min(import_runs), min(ask_runs)
    return {
        "import_seconds": round(best_import, 2),
        "rag_ask_seconds": round(best_ask, 2),
        "ratio": round(best_ask / best_import, 2),
        "target_ratio": 1.5,
    }


def _timed_process(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True)
    return time.perf_counter() - started


def sentence_vector_cost(assistant: rag.Assistant) -> dict[str, Any]:
    """What embedding every sentence at ingest would cost, against ingesting as today: the
    answerer embeds the sentences of retrieved passages when first needed and caches them."""
    import tempfile

    import ingest
    from rag.text.sentences import sentence_spans

    texts = [assistant.get_document(d.doc_id).text for d in assistant.list_documents()]
    sentences = [t[s:e] for t in texts for s, e in sentence_spans(t) if len(t[s:e].split()) >= 4]
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as directory:
        started = time.perf_counter()
        ingest.ingest_paths([rag.seeds_dir()], rag.Settings(data_dir=Path(directory)), embedder=assistant.embedder)
        ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    assistant.embedder.embed_documents(sentences)
    sentence_seconds = time.perf_counter() - started
    return {
        "sentences": len(sentences),
        "ingest_seconds": round(ingest_seconds, 2),
        "embed_all_sentences_seconds": round(sentence_seconds, 2),
        "ingest_time_if_sentences_embedded_too": round((ingest_seconds + sentence_seconds) / ingest_seconds, 2),
    }


def _unread_sets(
    seeds_dir: Path, squad_index: Path | None, squad_questions: Path | None, quail_index: Path | None,
    quail_questions: Path | None, limit: int,
) -> list[tuple[str, Path, Callable[[rag.Assistant], list[Outcome]]]]:
    """(set, index, ask its questions) for the new-content latency: every set being measured,
    SQuAD's and QuAIL's first `limit` questions only."""
    sets: list[tuple[str, Path, Callable[[rag.Assistant], list[Outcome]]]] = [
        ("seeds", seeds_dir, lambda assistant: seed_outcomes(assistant, load_eval_set())),
    ]
    if squad_index is not None and squad_questions is not None:
        squad = squad_questions
        sets.append(("squad2", squad_index, lambda assistant: squad_outcomes(assistant, squad, limit)))
    if quail_index is not None and quail_questions is not None:
        quail = quail_questions
        sets.append(("quail_news", quail_index, lambda assistant: [
            outcome for outcomes in quail_outcomes(assistant, quail, limit).values() for outcome in outcomes]))
    return sets


def run_answer_benchmark(
    seeds_dir: Path,
    squad_index: Path | None,
    squad_questions: Path | None,
    limit: int | None,
    cold: bool = True,
    quail_index: Path | None = None,
    quail_questions: Path | None = None,
    squad_folds: Path | None = None,
) -> dict[str, Any]:
    """Seeds always; SQuAD and QuAIL when their index and questions are given; SQuAD out of
    sample too when `squad_folds` holds the fold models (`squad_cross_validated`)."""
    configured = effective_min_evidence(rag.Settings())
    seeds_assistant = rag.Assistant(rag.Settings(data_dir=seeds_dir, min_evidence=0.0))
    seeds_assistant.ask(WARM_UP_QUESTION)
    curves = {"seeds": seed_outcomes(seeds_assistant, load_eval_set())}
    repeat = seed_outcomes(seeds_assistant, load_eval_set())
    result: dict[str, Any] = {"benchmark": "ask", "min_evidence": configured}
    result["sentence_vectors"] = sentence_vector_cost(seeds_assistant) | {
        "first_ask_p50_ms": latency_ms(curves["seeds"]).get("p50"),
        "repeat_ask_p50_ms": latency_ms(repeat).get("p50"),
    }
    if squad_index is not None and squad_questions is not None:
        squad = rag.Assistant(rag.Settings(data_dir=squad_index, min_evidence=0.0))
        squad.ask(WARM_UP_QUESTION)
        curves["squad2"] = squad_outcomes(squad, squad_questions, limit)
        if squad_folds is not None:
            result["squad2_cross_validated"] = squad_cross_validated(
                squad_index, squad_questions, squad_folds, squad.embedder, limit
            )
    quail_types: dict[str, list[Outcome]] = {}
    if quail_index is not None and quail_questions is not None:
        quail = rag.Assistant(rag.Settings(data_dir=quail_index, min_evidence=0.0), auto_seed=False)
        quail.ask(WARM_UP_QUESTION)
        quail_types = quail_outcomes(quail, quail_questions, limit)
        curves["quail_news"] = [o for outcomes in quail_types.values() for o in outcomes]
    for name, outcomes in curves.items():
        result[name] = {
            "questions": len(outcomes),
            **rates(outcomes, configured),
            "warm_latency_ms": latency_ms(outcomes),
        }
    # The warm figures reuse the sentences earlier questions read (most questions revisit the
    # passages of a few articles); a question about passages not read yet costs the reading too.
    unread = _unread_sets(seeds_dir, squad_index, squad_questions, quail_index, quail_questions,
                          min(limit or NEW_CONTENT_QUESTIONS, NEW_CONTENT_QUESTIONS))
    for name, index, ask_all in unread:
        assistant = rag.Assistant(rag.Settings(data_dir=index, min_evidence=0.0, sentence_cache=0, sentence_store=False),
                                  embedder=seeds_assistant.embedder, auto_seed=False)
        assistant.ask(WARM_UP_QUESTION)
        outcomes = ask_all(assistant)
        result[name]["new_content_latency_ms"] = latency_ms(outcomes) | {"questions": len(outcomes)}
    if quail_types:
        result["quail_news"]["by_type"] = {
            kind: {
                "questions": len(outcomes),
                **{k: v for k, v in rates(outcomes, configured).items()
                   if v is not None and (kind in QUAIL_CHECKED_TYPES or not k.startswith("correct"))},
            }
            for kind, outcomes in sorted(quail_types.items())
        }
    if "squad2" in curves:
        result["squad2"]["note"] = (
            "in-sample: the answer model was fitted on these questions; out of sample: "
            "squad2_cross_validated (with --squad-folds), and the best sentence alone in "
            "`python -m eval.fit_answerer`'s report")
    result["calibration"] = calibration(curves)
    if cold:
        result["cold_rag_ask"] = cold_ask_seconds(seeds_dir)
    return result
