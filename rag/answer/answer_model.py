"""The fitted model behind the offline answerer: P(this sentence answers the question).

A logistic regression over a few explainable features of a candidate sentence (see
`FEATURES`), fitted by `python -m eval.fit_answerer` on SQuAD 2.0 questions (the shared
dev half and the first 10 train articles, cross-validated by article) — never on the
project's own seed questions, which are a test set. The weights live in
`answer_model.json` beside this module, with the data, seed and cross-validated figures
they came from. The best sentence's probability is the answer's evidence: below
`RAG_MIN_EVIDENCE` the question is refused (`rag.answer.refusal`, rule 5).

Plain numpy at answer time: a dot product does not need scikit-learn loaded.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from rag.errors import ConfigurationError

MODEL_FILE = Path(__file__).with_name("answer_model.json")

# The ranker's features, per candidate sentence; question-level ones (best_cosine,
# best_coverage, type_anywhere, question_negated) repeat for every candidate.
FEATURES: tuple[str, ...] = (
    "cosine",  # MiniLM similarity of question and sentence
    "cosine_gap",  # cosine minus the best candidate's cosine (0 for the best)
    "piece_match",  # how the question's word pieces are matched in the sentence (rag.answer.piece_match)
    "piece_match_weakest",  # ... its worst-matched third
    "piece_match_gap",  # piece_match minus the best candidate's
    "coverage",  # share of the question's IDF-weighted words in the sentence
    "focus_coverage",  # the same for the words that are not names
    "context_coverage",  # coverage of the sentence with the one before it
    "article_coverage",  # coverage of its whole article
    "passage_score",  # retrieval score of its passage / the best passage's
    "type_fit",  # holds the expected answer type: +1 yes, 0 weakly or none expected, -1 no
    "span_found",  # a short answer of the expected type was found in it
    "head_noun",  # names the noun a "which/what <noun>" question asks for: +1 yes, -1 no, 0 none asked
    "type_anywhere",  # some candidate holds the expected type: +1, -1 none does, 0 none expected
    "missing_sentence",  # share of the question's names/numbers the sentence lacks
    "missing_article",  # ... that its whole article lacks
    "absence",  # says the asked detail is not known or not given
    "negation_mismatch",  # negated question, plain sentence, or the reverse
    "opposite",  # has the opposite of a question's word ("majority" for "minority"; rag.answer.opposites)
    "substituted",  # has another word in a question word's slot ("horizontal force"; rag.answer.substitutions)
    "number_conflict",  # lacks a number of the question and gives another of its kind ("1985" for "1995")
    "question_negated",  # the question itself holds a negation
    "best_cosine",  # the best cosine among all candidates
    "best_coverage",  # the best coverage among all candidates
)
# The judge's features, per question: the ranker's verdict on its best two sentences and
# the best one's claim check. P(answerable) is the answer's evidence. Lexical coverage is left
# out on purpose: SQuAD's annotators wrote questions with the paragraph's own words, so on
# SQuAD coverage separates answerable questions well, but readers of news paraphrase
# ("spies" for "intelligence"); with coverage the judge refused 24% of the seed set's
# answerable questions, without it 12%, at the same cross-validated SQuAD trade-off
# (0.865 answered / 0.373 refused against 0.855 / 0.381). The ranker keeps coverage: it
# compares sentences for one question, where shared words do point at the answer.
QUESTION_FEATURES: tuple[str, ...] = (
    "top_logit",  # the ranker's logit for the best sentence
    "logit_gap",  # ... minus the second best's (capped at 5)
    "cosine", "piece_match", "piece_match_weakest", "type_fit", "span_found", "head_noun",
    "missing_sentence", "missing_article", "negation_mismatch", "opposite", "substituted", "number_conflict",
    "absence", "question_negated", "type_anywhere", "best_cosine",
    "type_expected",  # the question asks for a type (age, number, date, person, ...)
)
GAP_CAP = 5.0


def question_features(top: Mapping[str, float], top_logit: float, second_logit: float | None) -> dict[str, float]:
    """The judge's features from the best candidate's features and the top two ranker logits
    (one definition for answering and for fitting)."""
    gap = GAP_CAP if second_logit is None else min(GAP_CAP, top_logit - second_logit)
    shared = {name: float(top[name]) for name in QUESTION_FEATURES if name in top}
    return shared | {"top_logit": top_logit, "logit_gap": gap, "type_expected": float(top["type_anywhere"] != 0)}


@dataclass(frozen=True)
class Logistic:
    """Standardised logistic regression: logit = bias + sum(w * (x - mean) / scale)."""

    bias: float
    weights: Mapping[str, float]
    mean: Mapping[str, float]
    scale: Mapping[str, float]

    def logit(self, features: Mapping[str, float]) -> float:
        return self.bias + sum(
            w * (float(features[name]) - self.mean[name]) / self.scale[name] for name, w in self.weights.items()
        )

    def probability(self, features: Mapping[str, float]) -> float:
        return _sigmoid(self.logit(features))

    def logit_without(self, features: Mapping[str, float], left_out: frozenset[str]) -> float:
        """The logit with the `left_out` features at their fitted means (adding nothing):
        what the other features alone say, for features not yet computed."""
        return self.bias + sum(
            w * (float(features[name]) - self.mean[name]) / self.scale[name]
            for name, w in self.weights.items()
            if name not in left_out
        )

    def contributions(self, features: Mapping[str, float]) -> dict[str, float]:
        """Each feature's share of the logit: what pushed the verdict up or down."""
        return {
            name: round(w * (float(features[name]) - self.mean[name]) / self.scale[name], 3)
            for name, w in self.weights.items()
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], names: tuple[str, ...]) -> "Logistic":
        missing = set(names) - set(data["weights"])
        if missing:
            raise ValueError(f"the answer model lacks weights for {sorted(missing)}; refit it (python -m eval.fit_answerer)")
        return cls(
            bias=float(data["bias"]),
            weights={name: float(data["weights"][name]) for name in names},
            mean={name: float(data["mean"][name]) for name in names},
            scale={name: float(data["scale"][name]) or 1.0 for name in names},
        )


def _sigmoid(logit: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))


@dataclass(frozen=True)
class AnswerModel:
    """The ranker (which sentence answers) and the judge (is the question answered at all)."""

    ranker: Logistic
    judge: Logistic
    min_evidence: float  # the refusal threshold chosen with the model (see its JSON)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "AnswerModel":
        return cls(
            ranker=Logistic.from_json(data["ranker"], FEATURES),
            judge=Logistic.from_json(data["judge"], QUESTION_FEATURES),
            min_evidence=float(data["min_evidence"]),
        )


def load_answer_model(path: Path | None = None) -> AnswerModel:
    """The bundled model, or the one fitted into `path` (RAG_ANSWER_MODEL)."""
    return _load(path or MODEL_FILE)


@functools.cache
def _load(path: Path) -> AnswerModel:
    try:
        return AnswerModel.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"cannot read the answer model {path}: {exc}. Point RAG_ANSWER_MODEL at a file written by "
            "`python -m eval.fit_answerer`, or unset it to use the bundled model."
        ) from exc
