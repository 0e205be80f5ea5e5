"""Eval-set files: one JSON object per line, validated at the edge.

    {"id": "ages", "question": "How old were the captured soldiers?", "answerable": true,
     "category": "number", "key_facts": [["20"], ["26"]],
     "gold": [{"doc": "<seed file name>", "quote": "<a sentence, verbatim>"}],
     "history": [{"question": "...", "answer": "..."}]}          # optional, for follow-ups

`key_facts` is a list of facts, each a list of accepted alternatives; an answer is
correct when every fact has one alternative in it (case-insensitive). `gold` quotes
must appear verbatim in the named article. `forbidden` (optional) lists phrases that
planted instructions try to make the assistant say: the answer may contain one only as
a cited quote of a source that holds it (see `eval.injection`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA_DIR = Path(__file__).resolve().parent / "data"
SEEDS_SET = DATA_DIR / "seeds.jsonl"
# The prompt-injection set: seed questions and attacks, asked over the demo articles plus
# the planted article in PLANTED_DIR.
INJECTION_SET = DATA_DIR / "injection.jsonl"
PLANTED_DIR = DATA_DIR / "planted"


class GoldPassage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    doc: str
    quote: str = Field(min_length=1)


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    question: str
    answer: str = ""


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answerable: bool
    category: str
    key_facts: list[list[str]] = Field(default_factory=list)
    gold: list[GoldPassage] = Field(default_factory=list)
    history: list[HistoryTurn] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _answerable_items_have_facts_and_gold(self) -> "EvalItem":
        if self.answerable and not (self.key_facts and self.gold):
            raise ValueError(f"answerable item {self.id!r} needs key_facts and gold passages")
        if not self.answerable and (self.key_facts or self.gold):
            raise ValueError(f"unanswerable item {self.id!r} must have no key_facts or gold")
        return self

    def facts_found(self, text: str) -> bool:
        lowered = text.lower()
        return all(any(alt.lower() in lowered for alt in fact) for fact in self.key_facts)


def load_eval_set(path: Path = SEEDS_SET) -> list[EvalItem]:
    """The items of an eval-set file; ValueError naming the line for a bad one."""
    return load_jsonl_models(path, EvalItem)


ModelT = TypeVar("ModelT", bound=BaseModel)


def load_jsonl_models(path: Path, model: type[ModelT]) -> list[ModelT]:
    """One validated `model` per non-blank line (each with a unique `id`); ValueError
    naming the file and line of the first bad one."""
    items: list[ModelT] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(model.model_validate_json(line))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
    ids = [getattr(item, "id") for item in items]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: duplicate ids {sorted({i for i in ids if ids.count(i) > 1})}")
    return items
