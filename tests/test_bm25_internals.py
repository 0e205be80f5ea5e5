"""rag/index/bm25.py reads two internals of bm25s (the version is bounded in pyproject.toml): the
word-major CSC score matrix (`model.scores["indptr"]`, for document frequencies) and
`model.vocab_dict`. If a bm25s release changes either, these tests fail by name, before
retrieval quietly degrades."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rag.index.bm25 import Bm25Index
from rag.text.tokenize import tokenize_one

TEXTS = [
    "Soldiers were captured in Kursk.",
    "The captured soldiers were treated in Kyiv.",
    "A wildfire destroyed homes near Harbor Town.",
]


def test_bm25s_keeps_its_vocabulary_and_word_major_score_matrix() -> None:
    index = Bm25Index.build(["a::1", "b::1", "c::1"], TEXTS)
    model = index._model
    assert isinstance(model.vocab_dict, dict) and model.vocab_dict, "bm25s no longer has vocab_dict"
    assert {"indptr", "indices", "data"} <= set(model.scores), "bm25s no longer stores a CSC score matrix"
    indptr = np.asarray(model.scores["indptr"])
    words = [w for w in model.vocab_dict if w]  # bm25s 0.3 adds an empty token past the matrix's columns
    assert len(indptr) == len(words) + 1, "the score matrix is no longer word-major"
    assert model.vocab_dict.get("", len(words)) == len(words), "the empty token is no longer last"


def test_document_frequencies_and_idf_come_out_right() -> None:
    index = Bm25Index.build(["a::1", "b::1", "c::1"], TEXTS)
    (soldier,) = tokenize_one("soldiers")
    (wildfire,) = tokenize_one("wildfire")
    # Two of three chunks say "soldiers", one says "wildfire": the rarer word weighs more.
    assert index.idf(soldier) == pytest.approx(math.log1p((3 - 2 + 0.5) / (2 + 0.5)))
    assert index.idf(wildfire) == pytest.approx(math.log1p((3 - 1 + 0.5) / (1 + 0.5)))
    assert index.full_match_score("soldiers wildfire") == pytest.approx(index.idf(soldier) + index.idf(wildfire))
