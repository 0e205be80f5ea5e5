"""The bundled model loads offline, its weights are checked, and it embeds sensibly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from rag.index import embeddings
from rag.config import Settings
from rag.index.embeddings import (
    BUNDLED_WEIGHTS_SHA256,
    SentenceTransformerEmbedder,
    build_embedder,
    bundled_model_path,
    native_bfloat16,
    verify_weights,
)
from rag.errors import ModelError, ModelIntegrityError
from pydantic import ValidationError


def test_bundled_weights__match_upstream_revision():
    verify_weights(bundled_model_path(), BUNDLED_WEIGHTS_SHA256)


def test_bundled_weights__tampered_copy_is_refused_before_loading(tmp_path, monkeypatch):
    copy = tmp_path / "model"
    shutil.copytree(bundled_model_path(), copy)
    with (copy / "model.safetensors").open("r+b") as weights:
        weights.seek(4096)
        byte = weights.read(1)
        weights.seek(4096)
        weights.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setattr(embeddings, "bundled_model_path", lambda: copy)
    loaded = []
    monkeypatch.setattr(embeddings, "SentenceTransformerEmbedder", lambda *a: loaded.append(a))

    with pytest.raises(ModelIntegrityError, match="expected 53aa5117"):
        build_embedder(Settings())
    assert loaded == []


def test_bundled_weights__missing_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="No model.safetensors"):
        verify_weights(tmp_path, BUNDLED_WEIGHTS_SHA256)


def test_embed_model__unknown_name_is_never_downloaded():
    with pytest.raises(ModelError, match="never downloaded"):
        build_embedder(Settings(embed_model="sentence-transformers/all-mpnet-base-v2"))


def test_real_embedder__unit_vectors_that_rank_paraphrases_first(real_embedder):
    assert real_embedder.name == "all-MiniLM-L6-v2" and real_embedder.max_tokens == 256
    passages = real_embedder.embed_documents([
        "The soldiers, aged 20 and 26, were injured during their capture.",
        "Kim Jong Un pledged to erect a monument in Pyongyang.",
    ])
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    query = real_embedder.embed_query("How old were the captured troops?")
    assert float(passages[0] @ query) > float(passages[1] @ query) + 0.1


def test_real_embedder__counts_tokens_without_special_tokens(real_embedder):
    assert real_embedder.count_tokens(["", "hello world", "Pyongyang"]) == [0, 2, 4]
    assert real_embedder.count_tokens([]) == []


def test_real_embedder__a_question_is_read_once_for_its_vector_and_its_pieces(real_embedder, monkeypatch):
    question = "How old were the two soldiers captured in Kursk?"
    expected = real_embedder.embed_documents([question])[0]
    calls: list[list[str]] = []
    read = real_embedder._pieces
    monkeypatch.setattr(real_embedder, "_pieces", lambda texts, **kw: calls.append(list(texts)) or read(texts, **kw))

    vector = real_embedder.embed_query(question)  # retrieval
    pieces = real_embedder.embed_pieces(["The soldiers are aged 20 and 26.", question])  # the answerer

    assert calls == [[question], ["The soldiers are aged 20 and 26."]]  # the question once, not twice
    assert np.allclose(vector, expected, atol=1e-5) and np.allclose(pieces[1].vector, expected, atol=1e-5)
    assert pieces[1].pieces[:3] == ("how", "old", "were") and pieces[1].tokens.shape == (len(pieces[1].pieces), 384)
    assert real_embedder.embed_query(question) is vector  # asked again: no pass at all
    assert len(calls) == 2


def test_real_embedder__one_text_read_without_encode_is_what_encode_reads(real_embedder):
    question = "How old were the two soldiers captured in Kursk?"
    (direct,) = real_embedder._read_padded([question])
    (encoded,) = real_embedder._model.encode([question], output_value=None, convert_to_numpy=False)

    for key in ("input_ids", "token_embeddings", "sentence_embedding"):
        assert torch.equal(direct[key], encoded[key])


_NEWS = [
    "Two North Korean soldiers were captured alive in the Kursk region, Ukraine's president said.",
    "The men, aged 20 and 26, were injured and are being treated in Kyiv.",
    "One of them told interrogators he had thought he was being sent to a training exercise.",
    "Neither man had any identification documents, and one carried a Russian military ID card issued in Tuva.",
]


@pytest.mark.parametrize(("asked", "native", "used"), [
    ("auto", True, "bfloat16"), ("auto", False, "float32"),
    ("float32", True, "float32"), ("bfloat16", False, "bfloat16"),
])
def test_reading_precision__auto_takes_bfloat16_only_where_the_cpu_has_it(monkeypatch, asked, native, used):
    monkeypatch.setattr(embeddings, "native_bfloat16", lambda: native)
    assert SentenceTransformerEmbedder(bundled_model_path(), "m", reading_precision=asked).reading_precision == used


def test_reading_precision__an_unknown_one_is_refused():
    with pytest.raises(ValidationError, match="reading_precision"):
        Settings(reading_precision="float16")
    with pytest.raises(ValueError, match="reading_precision"):
        SentenceTransformerEmbedder(bundled_model_path(), "m", reading_precision="int8")


def test_reading_precision__bfloat16_reads_sentences_close_to_float32_and_leaves_passages_and_questions_exact():
    exact = SentenceTransformerEmbedder(bundled_model_path(), "m", reading_precision="float32")
    fast = SentenceTransformerEmbedder(bundled_model_path(), "m", reading_precision="bfloat16")

    read_exact, read_fast = exact.embed_pieces(_NEWS), fast.embed_pieces(_NEWS)
    for a, b in zip(read_exact, read_fast):
        assert a.pieces == b.pieces
        assert 0.9995 < float(a.vector @ b.vector) < 1.0 - 1e-9  # close, and really another precision
        rows = np.sum(a.tokens.astype(np.float32) * b.tokens.astype(np.float32), axis=1)
        assert rows.min() > 0.999
    # The index and retrieval never see bfloat16: passages and questions are bit for bit float32.
    assert np.array_equal(exact.embed_documents(_NEWS), fast.embed_documents(_NEWS))
    question = "How old were the captured soldiers?"
    assert np.array_equal(exact.embed_query(question), fast.embed_query(question))
    (asked,) = fast.embed_pieces([question])  # the question read once, in float32, for both uses
    assert np.array_equal(asked.vector, exact.embed_query(question))


@pytest.mark.skipif(not native_bfloat16(), reason="this CPU has no bfloat16 instructions")
def test_reading_precision__the_default_reads_in_bfloat16_on_a_cpu_that_has_it():
    assert build_embedder(Settings()).reading_precision == "bfloat16"  # type: ignore[attr-defined]


_SPIN_PROBE = """
import os, sys
from rag.index.embeddings import share_cores_between_passes
assert "torch" not in sys.modules
share_cores_between_passes()
print(os.environ.get("GOMP_SPINCOUNT", "unset"))
"""


@pytest.mark.parametrize(
    ("given", "expected"),
    [({}, embeddings.OPENMP_SPIN_COUNT), ({"GOMP_SPINCOUNT": "300000"}, "300000"),
     ({"OMP_WAIT_POLICY": "ACTIVE"}, "unset")],
)
def test_openmp_spinning__limited_by_default_before_torch_loads_unless_the_user_set_it(given, expected) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")} | given
    run = subprocess.run([sys.executable, "-c", _SPIN_PROBE], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == expected


def test_openmp_spinning__left_alone_once_torch_is_loaded(monkeypatch) -> None:
    # libgomp read its settings when torch loaded (this test process has): setting it now would
    # only claim an effect it cannot have.
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    embeddings.share_cores_between_passes()
    assert "GOMP_SPINCOUNT" not in os.environ
