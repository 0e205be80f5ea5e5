"""The verifier's own test set: answers to seed questions labelled faithful or not.

`eval/data/verifier_labels.jsonl`, one per line: question, answer (with [n] markers),
citations (seed file name and a verbatim quote), `faithful`, and the `kind` of flaw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field

import rag
from eval.evalset import DATA_DIR, load_jsonl_models
from rag.answer.verify import Verifier

LABELS_PATH = DATA_DIR / "verifier_labels.jsonl"
# Real answers of the bundled local model (SmolLM2-135M-Instruct, RAG_ANSWERER=local, default
# settings) to the answerable seed questions and 15 more about the demo articles, sampled
# by `python -m eval.sample_answers` and labelled by hand: faithful when every sentence is
# backed by the passage it cites (relevance to the question is not judged).
LOCAL_MODEL_LABELS_PATH = DATA_DIR / "local_model_labels.jsonl"

Kind = Literal["faithful", "wrong_number", "invented_name", "swapped_actor", "wrong_citation", "unsupported_extra"]


class LabelledCitation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int = Field(ge=1)
    doc: str = Field(min_length=1)
    quote: str = Field(min_length=1)


class LabelledAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    citations: list[LabelledCitation]
    faithful: bool
    kind: Kind


def load_labels(path: Path = LABELS_PATH) -> list[LabelledAnswer]:
    """The items of a labelled-answer file; ValueError naming the line for a bad one."""
    return load_jsonl_models(path, LabelledAnswer)


def answer_from_label(item: LabelledAnswer) -> rag.Answer:
    citations = tuple(
        rag.Citation.of_passage(c.n, rag.Passage(chunk_id=f"{c.doc}::label::{c.n:05d}", doc_id=c.doc, title=c.doc,
                                                 source=c.doc, text=c.quote, start=0, end=len(c.quote), score=1.0))
        for c in item.citations
    )
    return rag.Answer(
        question=item.question,
        standalone_question=item.question,
        text=item.answer,
        refused=False,
        citations=citations,
        passages=(),
        answerer="labelled",
    )


def classify(verifier: Verifier, item: LabelledAnswer) -> bool:
    """True when the verifier finds every claim of the item supported."""
    result = verifier.verify(answer_from_label(item))
    return result.error is None and bool(result.verdicts) and all(v.supported for v in result.verdicts)


def misclassified(verifier: Verifier, labels: Sequence[LabelledAnswer]) -> list[str]:
    return [item.id for item in labels if classify(verifier, item) != item.faithful]


def verifier_accuracy(verifier: Verifier, labels: Sequence[LabelledAnswer]) -> float:
    """Share of labelled answers classified right (faithful iff every claim is supported)."""
    if not labels:
        raise ValueError("no labelled answers")
    return 1.0 - len(misclassified(verifier, labels)) / len(labels)
