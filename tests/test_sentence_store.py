"""The file of kept sentence vectors (`rag.index.sentence_store`): a cache that never serves
another reader's vectors, survives restarts and a killed writer, and never stops an answer."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np

from rag.index.sentence_store import SentenceStore, kept_precision


def _vector(seed: int, dimension: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(dimension).astype(np.float32)


def test_kept_vectors_come_back_exactly_after_a_restart(tmp_path):
    store = SentenceStore(tmp_path / "s.sqlite3", "minilm/bfloat16", 4)
    store.put({"First sentence.": _vector(1), "Second sentence.": _vector(2)})
    store.close()

    again = SentenceStore(tmp_path / "s.sqlite3", "minilm/bfloat16", 4)
    found = again.get(["First sentence.", "Second sentence.", "Never read."])

    assert set(found) == {"First sentence.", "Second sentence."}
    assert found["First sentence."].dtype == np.float32
    assert found["First sentence."].tobytes() == kept_precision(_vector(1)).tobytes()
    assert np.abs(found["First sentence."] - _vector(1)).max() < 2e-3
    assert again.count() == 2


def test_another_reader_or_length_finds_nothing(tmp_path):
    path = tmp_path / "s.sqlite3"
    SentenceStore(path, "minilm/bfloat16", 4).put({"A sentence.": _vector(1)})

    assert SentenceStore(path, "minilm/float32", 4).get(["A sentence."]) == {}
    assert SentenceStore(path, "minilm/bfloat16", 8).get(["A sentence."]) == {}
    SentenceStore(path, "minilm/bfloat16", 4).put({"Wrong length.": _vector(1, dimension=3)})
    assert SentenceStore(path, "minilm/bfloat16", 3).get(["Wrong length."]) == {}


def test_a_vector_kept_first_is_never_replaced(tmp_path):
    store = SentenceStore(tmp_path / "s.sqlite3", "r", 4)
    store.put({"Same text.": _vector(1)})
    store.put({"Same text.": _vector(2)})
    assert store.get(["Same text."])["Same text."].tobytes() == kept_precision(_vector(1)).tobytes()


def test_a_file_that_is_not_a_store_is_not_used_and_is_left_alone(tmp_path, caplog):
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    with caplog.at_level(logging.WARNING):
        assert SentenceStore.open(path, "r", 4) is None
    assert "cannot open" in caplog.text
    assert path.read_bytes() == b"not a database at all" * 100


def test_a_file_that_is_not_a_store_leaves_no_connection_open(tmp_path, monkeypatch):
    import sqlite3

    import pytest

    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording_connect(*args, **kwargs):
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", recording_connect)
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    assert SentenceStore.open(path, "r", 4) is None
    assert len(opened) == 1
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")


def test_a_closed_store_finds_and_keeps_nothing_without_failing(tmp_path):
    store = SentenceStore(tmp_path / "s.sqlite3", "r", 4)
    store.put({"Kept.": _vector(1)})
    store.close()
    store.put({"After closing.": _vector(2)})
    assert store.get(["Kept.", "After closing."]) == {} and store.count() == 0


def test_a_writer_killed_mid_write_leaves_what_it_had_kept(tmp_path):
    path = tmp_path / "s.sqlite3"
    writer = textwrap.dedent(f"""
        import sys, numpy as np
        from rag.index.sentence_store import SentenceStore
        store = SentenceStore(__import__("pathlib").Path({str(path)!r}), "r", 4)
        store.put({{"Committed before.": np.ones(4, np.float32)}})
        print("ready", flush=True)
        n = 0
        while True:  # killed somewhere in here
            store.put({{f"Sentence {{n}}-{{i}}.": np.full(4, i, np.float32) for i in range(500)}})
            n += 1
            if n == 1:
                print("writing", flush=True)
    """)
    process = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True,
                               cwd=os.getcwd())
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    assert process.stdout.readline().strip() == "writing"  # one write done, the next under way
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    store = SentenceStore(path, "r", 4)
    assert store.get(["Committed before."])["Committed before."].tolist() == [1.0] * 4
    kept = store.count()
    assert kept >= 501 and (kept - 1) % 500 == 0  # whole writes only
    store.put({"After the crash.": np.zeros(4, np.float32)})
    assert store.count() == kept + 1


def test_vectors_are_filed_under_the_model_and_precision_even_through_a_wrapper():
    from eval.bench_ingest import RecordingEmbedder
    from rag.index.embeddings import reading_name
    from tests.fakes import FakeEmbedder

    plain = FakeEmbedder()
    assert reading_name(plain) == "fake-embedder"
    plain.reading_precision = "bfloat16"  # type: ignore[attr-defined]
    assert reading_name(plain) == reading_name(RecordingEmbedder(plain)) == "fake-embedder/bfloat16"
