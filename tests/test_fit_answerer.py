"""`python -m eval.fit_answerer`'s fitting on rows it would collect: the model, its threshold
chosen out of fold, and the end-to-end cross-validation's fold models, each fitted without
the articles it is to answer about (synthetic rows: the logic, not SQuAD's figures)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.fit_answerer import Fit, fit, models_by_fold
from rag.answer.answer_model import FEATURES, AnswerModel


@pytest.fixture(scope="module")
def rows() -> dict[str, np.ndarray]:
    """26 articles, 8 questions each, 6 candidates each; a candidate holds the answer when its
    first feature is high, and a quarter of the questions have none that does."""
    rng = np.random.default_rng(0)
    x, y, question, group, dev, answerable, contains = [], [], [], [], [], [], []
    for number in range(26 * 8):
        has_answer = rng.random() > 0.25
        right = int(rng.integers(6)) if has_answer else -1
        for candidate in range(6):
            features = rng.normal(size=len(FEATURES))
            features[0] += 2.5 if candidate == right else 0.0
            x.append(features)
            y.append(int(candidate == right))
            contains.append(int(candidate == right))
            question.append(number)
            group.append(f"article-{number // 8}")
            dev.append(number // 8 < 16)
            answerable.append(has_answer)
    return {
        "x": np.array(x), "y": np.array(y), "question": np.array(question), "group": np.array(group),
        "dev": np.array(dev), "answerable": np.array(answerable), "contains": np.array(contains),
    }


def test_fit__a_model_the_answerer_loads_with_its_threshold_chosen_out_of_fold(rows) -> None:
    result = fit(rows, min_answered=0.8)
    assert isinstance(result, Fit)
    model = AnswerModel.from_json(json.loads(json.dumps(result.model)))
    assert model.min_evidence == result.model["cross_validated_at_threshold"]["threshold"]
    assert result.model["cross_validated_at_threshold"]["answerable_answered"] >= 0.8
    assert result.model["rows"] == len(rows["y"])
    assert model.ranker.weights[FEATURES[0]] > 1.0  # it learned the signal


def test_models_by_fold__each_fitted_without_the_articles_it_answers_about(rows) -> None:
    models = models_by_fold(rows, min_answered=0.8)
    articles = set(rows["group"].tolist())
    scored = [set(model["scored_on"]) for model in models]
    assert [model["fold"] for model in models] == list(range(5))
    assert set().union(*scored) == articles and sum(map(len, scored)) == len(articles)  # a partition
    whole = fit(rows, min_answered=0.8).model
    for model, held_out in zip(models, scored):
        AnswerModel.from_json(model)
        unseen = np.isin(rows["group"], sorted(held_out))
        assert model["rows"] == int((~unseen).sum())  # fitted on the other folds' rows only
        part = {name: values[~unseen] for name, values in rows.items()}
        assert model["ranker"] == fit(part, min_answered=0.8).model["ranker"] != whole["ranker"]
