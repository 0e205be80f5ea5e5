"""Short texts packed into rows for one encoder pass read as each would alone."""

from __future__ import annotations

import numpy as np
import pytest

from rag.index.packing import Placement, pack


def test_pack__as_few_slots_as_it_can_longest_first_into_the_first_row_with_room():
    texts = [[1] * 5, [2] * 3, [3] * 4, [4] * 2]  # 14 pieces

    packed = pack(texts, pad_id=0, row_tokens=8)

    # 2 rows of 7, not a full row of 8 and one of 6 (16 slots with 2 of padding)
    assert packed.placements == (Placement(0, 0, 5), Placement(1, 4, 3), Placement(1, 0, 4), Placement(0, 5, 2))
    assert packed.input_ids.tolist() == [[1, 1, 1, 1, 1, 4, 4], [3, 3, 3, 3, 2, 2, 2]]
    assert packed.position_ids.tolist() == [[0, 1, 2, 3, 4, 0, 1], [0, 1, 2, 3, 0, 1, 2]]


def test_pack__pieces_just_over_a_row_are_not_left_as_a_second_nearly_empty_row():
    texts = [[1] * 36] * 7 + [[2] * 20]  # 272 pieces: a full row of 256 would leave 20 for a second

    packed = pack(texts, pad_id=0, row_tokens=256)

    assert packed.input_ids.numel() == 288  # not 2 x 252 slots; 8 x 36, the narrowest of the fewest


def test_pack__a_piece_attends_to_its_own_text_only_and_padding_to_padding():
    packed = pack([[7] * 3, [8] * 2, [9] * 4], pad_id=0, row_tokens=6)

    assert packed.input_ids.tolist() == [[9, 9, 9, 9, 0], [7, 7, 7, 8, 8]]
    masks = packed.attention[:, 0].tolist()
    for text_of, mask in zip(([2, 2, 2, 2, None], [0, 0, 0, 1, 1]), masks):
        assert mask == [[text_of[i] == text_of[j] for j in range(5)] for i in range(5)]
        assert all(any(row) for row in mask)  # no row masked out whole: a softmax over nothing is NaN


def test_pack__a_text_longer_than_a_row_gets_one_to_itself():
    packed = pack([[1] * 3, [2] * 10, [3] * 3], pad_id=0, row_tokens=6)

    assert packed.placements == (Placement(1, 0, 3), Placement(0, 0, 10), Placement(1, 3, 3))
    assert packed.input_ids.shape == (2, 10)


def test_pack__nothing_to_pack():
    packed = pack([], pad_id=0)

    assert packed.placements == () and packed.input_ids.shape == (0, 0)


_TEXTS = [
    "Two North Korean soldiers were captured alive in the Kursk region, Ukraine's president said.",
    "Yes.",
    "",
    "The men, aged 20 and 26, were injured and are being treated in Kyiv, officials told reporters on Sunday.",
    " ".join(["Pyongyang denied sending troops, calling the reports a smear campaign."] * 30),  # truncated: 256 pieces
    "One of them told interrogators he had thought he was being sent to a training exercise.",
    "Kyiv said it would exchange them.",
]


@pytest.mark.parametrize("slice_size", [64, 2])  # all at once; in slices of 2 (the last one alone)
def test_packed_reading__the_same_vectors_as_each_text_read_alone(real_embedder, monkeypatch, slice_size):
    import copy

    from rag.index import embeddings
    from rag.index.embeddings import SentenceTransformerEmbedder

    monkeypatch.setattr(embeddings, "_PACKED_SLICE", slice_size)
    exact: SentenceTransformerEmbedder = copy.copy(real_embedder)
    exact.reading_precision = "float32"  # bit-level closeness is a float32 question
    assert exact._packable  # the bundled MiniLM is read packed

    together = exact.embed_pieces(_TEXTS)  # several texts: packed
    alone = [exact.embed_pieces([text])[0] for text in _TEXTS]  # one text: sentence-transformers' own pass

    assert len(together[4].pieces) == exact.max_tokens - 2  # the long one truncated as before
    for packed, single in zip(together, alone):
        assert packed.pieces == single.pieces
        assert np.allclose(packed.vector, single.vector, atol=1e-6)
        assert np.allclose(packed.tokens.astype(np.float32), single.tokens.astype(np.float32), atol=2e-3)  # float16


def test_packed_reading__not_for_a_model_it_cannot_pack(real_embedder, monkeypatch):
    import copy

    other = copy.copy(real_embedder)
    other.reading_precision = "float32"
    monkeypatch.setattr(other, "_packable", False)
    padded_calls: list[int] = []
    read_padded = other._read_padded
    monkeypatch.setattr(other, "_read_padded", lambda texts: padded_calls.append(len(texts)) or read_padded(texts))

    read = other.embed_pieces(_TEXTS[:2])

    assert padded_calls == [2] and read[1].pieces == ("yes", ".")


def test_packed_reading__bfloat16_runs_linear_weights_kept_in_bfloat16_with_the_same_vectors_bit_for_bit(
    real_embedder, monkeypatch
):
    import copy

    import torch

    fast = copy.copy(real_embedder)
    fast.reading_precision = "bfloat16"
    fast._bfloat16_encoder = None

    read = fast._pieces(list(_TEXTS), "bfloat16")  # packed, through the copy with bfloat16 weights
    monkeypatch.setattr(fast, "_reading_encoder", lambda precision: fast._encoder)
    cast_each_pass = fast._pieces(list(_TEXTS), "bfloat16")  # autocast casting the float32 weights

    for kept, cast in zip(read, cast_each_pass):
        assert kept.pieces == cast.pieces
        assert np.array_equal(kept.vector, cast.vector) and np.array_equal(kept.tokens, cast.tokens)
    linear = [m for m in fast._bfloat16_encoder.modules() if isinstance(m, torch.nn.Linear)]
    assert linear and {m.weight.dtype for m in linear} == {torch.bfloat16}
    # The float32 model (passages, questions) is left as it was; what is not a linear layer is shared.
    assert {p.dtype for p in fast._encoder.parameters()} == {torch.float32}
    assert {p.dtype for p in fast._bfloat16_encoder.parameters()} == {torch.float32, torch.bfloat16}
    assert fast._bfloat16_encoder.embeddings.word_embeddings.weight is fast._encoder.embeddings.word_embeddings.weight
