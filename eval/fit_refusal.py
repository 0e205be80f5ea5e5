"""Fit the offline answerer's refusal model: `python -m eval.fit_refusal --squad-index DIR`.

Every seed and SQuAD 2.0 dev question is asked with refusal off; the features of each
answer's best sentence (`Answer.evidence`) and the question's label (answerable or not)
train a logistic regression. It prints the weights to paste into
`rag/extractive.py` (EVIDENCE_WEIGHTS) and the cross-validated accuracy, as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

import rag
from eval.evalset import load_eval_set
from eval.squad import benchmark_dir

FEATURES = ("cosine", "coverage", "focus_coverage", "retrieval", "type_fit", "heading")
# The seed questions are few but closest to what users ask: together they weigh as much
# as the 3,008 SQuAD questions, whose unanswerables are adversarial rewordings.
SEED_WEIGHT = 80.0


def feature_rows(assistant: rag.Assistant, questions: list[tuple[str, list, bool]]) -> tuple[list, list]:
    rows, labels = [], []
    for question, history, answerable in questions:
        evidence = assistant.ask(question, history=history).evidence
        if evidence is None:  # refused before answering (an instruction): not the model's call
            continue
        rows.append([float(getattr(evidence, name)) for name in FEATURES])
        labels.append(int(answerable))
    return rows, labels


@click.command()
@click.option("--squad-index", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--seeds-dir", type=click.Path(file_okay=False, path_type=Path), required=True)
def main(squad_index: Path, seeds_dir: Path) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    seeds = rag.Assistant(rag.Settings(data_dir=seeds_dir, min_evidence=0.0))
    seed_rows, seed_labels = feature_rows(
        seeds, [(i.question, [(t.question, t.answer) for t in i.history], i.answerable) for i in load_eval_set()]
    )
    squad = rag.Assistant(rag.Settings(data_dir=squad_index, min_evidence=0.0))
    lines = (benchmark_dir() / "questions_dev.jsonl").read_text(encoding="utf-8").splitlines()
    squad_rows, squad_labels = feature_rows(squad, [(json.loads(row)["question"], [], json.loads(row)["answerable"]) for row in lines])
    x = np.array(seed_rows + squad_rows)
    y = np.array(seed_labels + squad_labels)
    weights = np.array([SEED_WEIGHT] * len(seed_rows) + [1.0] * len(squad_rows))
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y, sample_weight=weights)
    accuracy = cross_val_score(LogisticRegression(C=1.0, max_iter=1000), x, y, cv=5).mean()
    fitted = {"bias": round(float(model.intercept_[0]), 3)} | {
        name: round(float(w), 3) for name, w in zip(FEATURES, model.coef_[0])
    }
    click.echo(json.dumps({"weights": fitted, "cv_accuracy": round(float(accuracy), 3),
                           "questions": {"seeds": len(seed_rows), "squad2": len(squad_rows)}}, indent=2))


if __name__ == "__main__":
    main()
