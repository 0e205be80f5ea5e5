"""Fit the offline answerer's model: `python -m eval.fit_answerer --index DIR`.

Data (never the project's seed questions, which are a test set): SQuAD 2.0 from
`../shared/benchmarks/squad2/` — the shared dev half (3,008 questions, 36 articles) and
the first 10 train articles (4,719 questions) — asked against one index of all 46
articles (built in DIR when missing). For every question, every candidate sentence of the
retrieved passages (`Assistant.rank_sentences`, the answerer's own features) is a row,
labelled 1 when the question is answerable and the sentence holds a gold answer span.

A standardised logistic regression (scikit-learn, seed 0) is cross-validated by article
(5-fold GroupKFold: no article's questions are both trained and scored on); the refusal
threshold is the one that refuses the most unanswerable dev questions while answering at
least `--min-answered` of the answerable ones, out of fold. Writes rag/answer/answer_model.json
and prints the cross-validated trade-off curve as JSON (of the best sentence alone). With
`--fold-models DIR` it also writes the five models of an end-to-end cross-validation (each
fitted without one fold's articles), for `python -m eval.bench ask --squad-folds DIR`, which
scores the whole answer out of sample.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import click
import numpy as np

import rag
from eval.squad import benchmark_dir
from rag.answer.answer_model import FEATURES, MODEL_FILE, QUESTION_FEATURES, question_features
from rag.answer.refusal import pick_answer

logger = logging.getLogger(__name__)
SEED = 0
FOLDS = 5
C = 1.0
THRESHOLDS = [round(0.025 * i, 3) for i in range(1, 40)]


@dataclass(frozen=True)
class Row:
    question: str
    article: str
    dev: bool  # from the dev half (the benchmark's questions), else from the train articles
    answerable: bool
    answers: tuple[tuple[str, int, int], ...]  # gold (text, start, end) in the article


def squad_questions(squad: Path) -> Iterator[Row]:
    for line in (squad / "questions_dev.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        answers = tuple((a["text"], a["start"], a["end"]) for a in row["answers"])
        yield Row(row["question"], row["doc_id"], True, bool(row["answerable"]), answers)
    for article in train_articles(squad):
        yield from article[1]


def train_articles(squad: Path) -> list[tuple[dict[str, str], list[Row]]]:
    """The train articles as corpus records (paragraphs joined by a blank line, as in the
    dev corpus) with their questions, gold offsets moved into the joined text."""
    data = json.loads((squad / "train_first10_articles.json").read_text(encoding="utf-8"))["data"]
    result = []
    for article in data:
        doc_id, text, rows = f"train-{article['title']}", "", []
        for paragraph in article["paragraphs"]:
            text += "\n\n" if text else ""
            base = len(text)
            text += paragraph["context"]
            for qa in paragraph["qas"]:
                answers = tuple(
                    (a["text"], base + a["answer_start"], base + a["answer_start"] + len(a["text"])) for a in qa["answers"]
                )
                rows.append(Row(qa["question"], doc_id, False, not qa.get("is_impossible", False), answers))
        result.append(({"id": doc_id, "title": article["title"].replace("_", " "), "text": text}, rows))
    return result


def build_index(index: Path, squad: Path) -> None:
    import ingest

    corpus = index / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / "dev.jsonl").write_text((squad / "corpus.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    records = [json.dumps(record) for record, _ in train_articles(squad)]
    (corpus / "train.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    report = ingest.ingest_paths([corpus], rag.Settings(data_dir=index))
    if report.failed:
        raise click.ClickException(f"the fitting corpus did not ingest cleanly: {report.summary()}")


def collect(index: Path, squad: Path, top_k: int) -> dict[str, np.ndarray]:
    """One row per candidate sentence of every question (the slow part: ~20 minutes on 2 cores)."""
    assistant = rag.Assistant(rag.Settings(data_dir=index, top_k=top_k, min_evidence=0.0), auto_seed=False)
    x, y, question_ids, groups, dev, answerable, contains = [], [], [], [], [], [], []
    for number, row in enumerate(squad_questions(squad)):
        if number % 500 == 0:
            logger.warning("asked %d questions", number)
        for candidate in assistant.rank_sentences(row.question):
            x.append([candidate.features[name] for name in FEATURES])
            holds = [
                text for text, start, end in row.answers
                if candidate.passage.doc_id == row.article and candidate.start < end and start < candidate.end
            ]
            y.append(int(row.answerable and bool(holds)))
            contains.append(int(any(text.lower() in candidate.text.lower() for text, _, _ in row.answers)))
            question_ids.append(number)
            groups.append(row.article)
            dev.append(row.dev)
            answerable.append(row.answerable)
    return {
        "x": np.array(x, dtype=np.float64), "y": np.array(y), "question": np.array(question_ids),
        "group": np.array(groups), "dev": np.array(dev), "answerable": np.array(answerable),
        "contains": np.array(contains),
    }


def logistic(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=3000, random_state=SEED).fit(x, y)


def ranker_logits(data: dict[str, np.ndarray], train: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold ranker logits (5-fold by article); with `train`, fitted on those rows only."""
    from sklearn.model_selection import GroupKFold

    x, y = standardise(data["x"])[0], data["y"]
    if train is not None:
        return logistic(x[train], y[train]).decision_function(x)
    logits = np.zeros(len(y))
    for fit_rows, test in GroupKFold(n_splits=FOLDS).split(x, y, data["group"]):
        logits[test] = logistic(x[fit_rows], y[fit_rows]).decision_function(x[test])
    return logits


def per_question(data: dict[str, np.ndarray], logits: np.ndarray) -> dict[str, np.ndarray]:
    """Each question's best candidate by ranker logit, the judge's features (the answerer's
    own `question_features`), whether that candidate holds a gold answer, and the labels."""
    order: dict[int, list[int]] = {}
    for i, q in enumerate(data["question"]):
        order.setdefault(int(q), []).append(i)
    rows, chosen, refused = [], [], []
    for q in sorted(order):
        ranked = sorted(order[q], key=lambda i: -logits[i])
        features = [dict(zip(FEATURES, data["x"][i])) for i in ranked]
        pick = pick_answer(features, [1.0 / (1.0 + np.exp(-logits[i])) for i in ranked])
        refused.append(pick is None)  # the type rule refuses, whatever the judge says
        pick = pick or 0
        ranked = [ranked[pick], *(i for n, i in enumerate(ranked) if n != pick)]
        second = logits[ranked[1]] if len(ranked) > 1 else None
        rows.append([question_features(features[pick], logits[ranked[0]], second)[name] for name in QUESTION_FEATURES])
        chosen.append(ranked[0])
    index = np.array(chosen)
    return {
        "type_refused": np.array(refused),
        "x": np.array(rows), "answerable": data["answerable"][index], "dev": data["dev"][index],
        "group": data["group"][index], "right": data["y"][index].astype(bool),
        "contains": data["contains"][index].astype(bool),
    }


def judge_probabilities(questions: dict[str, np.ndarray], train: np.ndarray | None = None) -> np.ndarray:
    from sklearn.model_selection import GroupKFold

    x, y = standardise(questions["x"])[0], questions["answerable"].astype(int)
    judged = ~questions["type_refused"]  # the others are refused by the type rule
    if train is not None:
        return np.where(judged, logistic(x[train & judged], y[train & judged]).predict_proba(x)[:, 1], 0.0)
    probability = np.zeros(len(y))
    for fit_rows, test in GroupKFold(n_splits=FOLDS).split(x, y, questions["group"]):
        fit_rows = fit_rows[judged[fit_rows]]
        probability[test] = logistic(x[fit_rows], y[fit_rows]).predict_proba(x[test])[:, 1]
    return np.where(judged, probability, 0.0)


def standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    return (x - mean) / scale, mean, scale


def curve(questions: dict[str, np.ndarray], p: np.ndarray, mask: np.ndarray) -> list[dict[str, Any]]:
    """Per threshold: answerable answered, unanswerable refused, and of the answered
    answerable questions the share whose best sentence holds a gold answer."""
    rows = []
    answerable = questions["answerable"] & mask
    unanswerable = ~questions["answerable"] & mask
    for t in THRESHOLDS:
        answered = answerable & (p >= t)
        rows.append({
            "threshold": t,
            "answerable_answered": round(float(answered.sum() / max(1, answerable.sum())), 3),
            "unanswerable_refused": round(float((unanswerable & (p < t)).sum() / max(1, unanswerable.sum())), 3),
            "best_sentence_contains_gold": round(float((answered & questions["contains"]).sum() / max(1, answered.sum())), 3),
        })
    return rows


def choose_threshold(rows: list[dict[str, Any]], min_answered: float) -> float:
    allowed = [r for r in rows if r["answerable_answered"] >= min_answered]
    return max(allowed, key=lambda r: (r["unanswerable_refused"], -r["threshold"]))["threshold"] if allowed else THRESHOLDS[0]


@dataclass(frozen=True)
class Fit:
    model: dict[str, Any]  # the JSON of rag/answer/answer_model.json
    questions: dict[str, np.ndarray]  # per question, out of fold (`per_question`)
    probability: np.ndarray  # the judge's, out of fold
    dev_curve: list[dict[str, Any]]  # the trade-off over thresholds on the dev questions, out of fold


def fit(data: dict[str, np.ndarray], min_answered: float) -> Fit:
    """Ranker and judge fitted on every row of `data`, the threshold chosen out of fold."""
    # Stacked like the answerer: ranker logits out of fold, then the judge out of fold on them.
    questions = per_question(data, ranker_logits(data))
    probability = judge_probabilities(questions)
    dev_curve = curve(questions, probability, questions["dev"])
    threshold = choose_threshold(dev_curve, min_answered)
    judged = ~questions["type_refused"]
    model = {
        "ranker": fitted(data["x"], data["y"], FEATURES),
        "judge": fitted(questions["x"][judged], questions["answerable"][judged].astype(int), QUESTION_FEATURES),
        "min_evidence": threshold,
        "seed": SEED,
        "rows": int(len(data["y"])),
        "cross_validated_at_threshold": next(r for r in dev_curve if r["threshold"] == threshold),
    }
    return Fit(model, questions, probability, dev_curve)


def models_by_fold(data: dict[str, np.ndarray], min_answered: float) -> list[dict[str, Any]]:
    """The models of an end-to-end cross-validation: per fold of the fitting's own split (5-fold
    by article), the model fitted without that fold's articles (ranker, stacked judge and
    threshold all chosen on the other folds alone), with the articles it is to answer about
    (`scored_on`). `python -m eval.bench ask --squad-folds DIR` asks each dev question with
    the model that never saw its article: the whole answerer (its extra sentences and refusal
    rules included) out of sample, not only its best sentence."""
    from sklearn.model_selection import GroupKFold

    models = []
    split = GroupKFold(n_splits=FOLDS).split(data["x"], data["y"], data["group"])
    for number, (train, test) in enumerate(split):
        model = fit({name: values[train] for name, values in data.items()}, min_answered).model
        models.append(model | {"fold": number, "scored_on": sorted(set(data["group"][test].tolist()))})
    return models


def fitted(x: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> dict[str, Any]:
    standard, mean, scale = standardise(x)
    model = logistic(standard, y)
    return {
        "bias": round(float(model.intercept_[0]), 5),
        "weights": {name: round(float(w), 5) for name, w in zip(names, model.coef_[0])},
        "mean": {name: round(float(m), 5) for name, m in zip(names, mean)},
        "scale": {name: round(float(s), 5) for name, s in zip(names, scale)},
    }


@click.command()
@click.option("--index", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Index of the fitting corpus (built here when missing).")
@click.option("--rows", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Cache of the collected rows (.npz): reuse it instead of asking every question again.")
# 0.86, not the 0.85 the issue asks of the whole answer: its type rules refuse a few questions
# the best sentence alone would answer (at a threshold answering 0.850 of the answerable dev
# questions by the best sentence, the whole answer answered 0.847 out of fold).
@click.option("--min-answered", type=float, default=0.86, show_default=True,
              help="Choose the threshold that answers at least this share of answerable dev questions.")
@click.option("--top-k", type=int, default=5, show_default=True)
@click.option("--write/--no-write", default=True, help="Write rag/answer/answer_model.json.")
@click.option("--fold-models", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the end-to-end cross-validation's models here (fold0.json ...; see models_by_fold).")
def main(index: Path, rows: Path | None, min_answered: float, top_k: int, write: bool, fold_models: Path | None) -> None:
    squad = benchmark_dir()
    if squad is None:
        raise click.ClickException("../shared/benchmarks/squad2 was not found")
    if rows is not None and rows.exists():
        data = dict(np.load(rows, allow_pickle=False))
    else:
        if not (index / "chroma").exists():
            build_index(index, squad)
        data = collect(index, squad, top_k)
        if rows is not None:
            np.savez(rows, **data)  # type: ignore[arg-type]
    fitted_model = fit(data, min_answered)
    # A second held-out view: both stages fitted on the 10 train articles only, scored on dev.
    heldout = per_question(data, ranker_logits(data, train=~data["dev"]))
    heldout_curve = curve(heldout, judge_probabilities(heldout, train=~heldout["dev"]), heldout["dev"])
    model = fitted_model.model | {
        "fitted_on": "SQuAD 2.0: shared dev half (3,008 questions) + first 10 train articles (4,719 questions)",
        "command": "python -m eval.fit_answerer --index DIR",
    }
    if write:
        MODEL_FILE.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    report = {
        "model": model,
        "cv_dev_curve": fitted_model.dev_curve,
        "cv_all_curve": curve(fitted_model.questions, fitted_model.probability, np.ones_like(fitted_model.questions["dev"])),
        "train_articles_only_scored_on_dev": heldout_curve,
    }
    if fold_models is not None:
        fold_models.mkdir(parents=True, exist_ok=True)
        for model in models_by_fold(data, min_answered):
            (fold_models / f"fold{model['fold']}.json").write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    click.echo(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
