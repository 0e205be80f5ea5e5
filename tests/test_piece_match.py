"""Word-piece matching (`rag.answer.piece_match`) with the real MiniLM: paraphrases meet, and the
embedder's pieces line up with its pooled vector."""

from __future__ import annotations

import numpy as np
import pytest

from rag.index.embeddings import PieceVectors
from rag.answer.piece_match import NO_MATCH, piece_match, question_rows


def _match(embedder, question: str, sentence: str) -> float:
    asked, said = embedder.embed_pieces([question, sentence])
    return piece_match(question_rows(asked), said).mean


def test_pieces_come_from_the_same_pass_as_the_pooled_vector(real_embedder) -> None:
    text = "The soldiers, aged 20 and 26, were being treated in Kyiv."
    (vectors,) = real_embedder.embed_pieces([text])
    # The same pass, though it may run in bfloat16 (RAG_READING_PRECISION) and the passage in float32.
    assert float(vectors.vector @ real_embedder.embed_documents([text])[0]) > 0.9999
    assert vectors.tokens.shape == (len(vectors.pieces), real_embedder.dimension)
    assert "[CLS]" not in vectors.pieces and "[SEP]" not in vectors.pieces
    assert np.allclose(np.linalg.norm(vectors.tokens.astype(np.float32), axis=1), 1.0, atol=1e-2)


@pytest.mark.parametrize(
    ("question", "paraphrase", "distractor"),
    [
        (
            "Who carried out the questioning of the prisoners?",
            "The interrogations were conducted by the security service.",
            "The prisoners were flown to the capital on Tuesday.",
        ),
        (
            "Did the men carry identification papers?",
            "Neither man had any I.D. documents on him.",
            "Both men were wearing winter uniforms.",
        ),
        (
            "Which engine does not need valves?",
            "The oscillating engine does not require valves to direct the steam.",
            "Steam engines powered most factories of the period.",
        ),
    ],
)
def test_a_paraphrase_matches_better_than_a_sentence_on_the_topic(real_embedder, question, paraphrase, distractor) -> None:
    assert _match(real_embedder, question, paraphrase) > _match(real_embedder, question, distractor)


def test_question_rows_keep_content_pieces_only(real_embedder) -> None:
    (asked,) = real_embedder.embed_pieces(["How many homes were destroyed?"])
    kept = question_rows(asked)
    assert asked.pieces == ("how", "many", "homes", "were", "destroyed", "?")
    content = [i for i, p in enumerate(asked.pieces) if p in {"many", "homes", "destroyed"}]
    assert np.array_equal(kept, asked.tokens[content].astype(np.float32))  # no "how", "were" or "?"


def test_nothing_to_match_scores_zero() -> None:
    empty = PieceVectors(np.zeros(4, np.float32), (), np.zeros((0, 4), np.float16))
    assert piece_match(np.ones((2, 4), np.float32), empty) == NO_MATCH
    assert piece_match(np.zeros((0, 4), np.float32), empty) == NO_MATCH
