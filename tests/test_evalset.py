"""The hand-written seed eval set is well formed and its gold quotes are real."""

from __future__ import annotations

from collections import Counter

import pytest

from eval.evalset import EvalItem, load_eval_set
from ingest import clean_article
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def items() -> list[EvalItem]:
    return load_eval_set()


def test_seed_set__size_and_coverage_of_question_kinds(items):
    kinds = Counter(item.category for item in items)
    assert len(items) >= 40 and sum(not item.answerable for item in items) >= 10
    for kind in ("single_fact", "number", "date", "paraphrase", "multi_article", "conflict", "follow_up",
                 "off_topic", "instruction", "not_in_articles"):
        assert kinds[kind] >= 1, kind
    assert sum(1 for item in items if item.history) >= 3


def test_seed_set__every_gold_quote_is_verbatim_in_its_article(items):
    articles = {p.name: clean_article(p.read_text(encoding="utf-8")).text for p in SEEDS.glob("*.txt")}
    for item in items:
        for gold in item.gold:
            assert gold.quote in articles[gold.doc], (item.id, gold.quote)


def test_seed_set__answerable_items_have_facts_found_in_their_gold(items):
    for item in items:
        if item.answerable:
            assert item.facts_found(" ".join(g.quote for g in item.gold)), item.id


def test_eval_item__bad_lines_are_refused_with_the_line_number(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "Q?", "answerable": true, "category": "number"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"(?s)bad.jsonl:1: .*needs key_facts and gold"):
        load_eval_set(bad)
