"""The retrieval benchmark: hit@1/3/5/10, MRR@10 and latency on the SQuAD 2.0 answerable questions.

Variants, all in one run, on the same questions, the same chunks (`RAG_CHUNK_TOKENS`, 200 by
default) and the same bundled MiniLM, scored with the same hit rule (`eval.squad`):
- `ours`: `rag.Assistant.retrieve` as configured (dense + BM25, fused, near-duplicates collapsed);
- `dense`, `bm25`: the same with bm25_weight 0 or 1, i.e. each search alone on the same chunks;
- `rrf`: plain reciprocal rank fusion of the two, equal weights, k=60;
- `llamaindex_vector`: llama-index's `VectorStoreIndex` retriever over our exact chunks;
- `llamaindex_fusion`: llama-index's `QueryFusionRetriever`, its BM25 + that vector retriever,
  reciprocal rank fusion, one query (no LLM). How the baseline is made fair: `eval.bench_llamaindex`.

Only the public API of `rag` and `ingest` is used.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import ingest
import rag
from eval.squad import Question, Span, load_questions, retrieval_ranks, score

KS = (1, 3, 5, 10)
TARGET = {"hit@5": 0.94, "mrr@10": 0.85}
# What ours must beat. Every variant is the product itself, configured through public
# settings: dense only is bm25_weight 0, BM25 only is bm25_weight 1.
BASELINES = ("dense", "bm25", "rrf", "llamaindex_vector", "llamaindex_fusion")
VARIANTS: dict[str, dict[str, Any]] = {
    "dense": {"bm25_weight": 0.0},
    "bm25": {"bm25_weight": 1.0},
    "rrf": {"fusion": "rrf", "bm25_weight": 0.5},
}
DEPTH = 10
SAME_CHUNKS_CHECKED = 50  # questions whose passages (ours) must all be among the baseline's chunks


def _scored(ranks: Sequence[int | None], seconds: Sequence[float]) -> dict[str, float]:
    result = score(ranks, KS)
    result["latency_ms_p50"] = round(float(np.percentile(np.asarray(seconds) * 1000, 50)), 1)
    return result


def run_retrieval_benchmark(
    corpus: Path,
    questions_path: Path,
    index_dir: Path,
    settings: rag.Settings | None = None,
    limit: int | None = None,
    llamaindex: bool = True,
) -> dict[str, Any]:
    """Index `corpus` into `index_dir` (a no-op when it is already there), then score."""
    started = time.perf_counter()
    settings = (settings or rag.Settings()).with_data_dir(index_dir)
    questions = load_questions(questions_path, limit)
    if not questions:
        raise ValueError(f"no answerable questions in {questions_path}")
    if llamaindex:
        from eval.bench_llamaindex import require_baseline

        require_baseline()  # before the long part: a missing extra is said at once
    embedder = rag.build_embedder(settings)
    report = ingest.ingest_paths([corpus], settings, embedder=embedder)
    if report.problems:
        raise RuntimeError(f"the benchmark corpus did not ingest cleanly: {report.summary()}")
    ingest_seconds = time.perf_counter() - started

    searching = time.perf_counter()
    assistant = rag.Assistant(settings, embedder=embedder, auto_seed=False)
    ours, latencies = retrieval_ranks(assistant, questions, DEPTH)
    results = {"ours": _scored(ours, latencies)}
    for name, overrides in VARIANTS.items():
        variant = rag.Assistant(settings.model_copy(update=overrides), embedder=embedder, auto_seed=False)
        results[name] = _scored(*retrieval_ranks(variant, questions, DEPTH))
    search_seconds = time.perf_counter() - searching
    llama: dict[str, Any] | None = None
    if llamaindex:
        from eval.bench_llamaindex import baseline_ranks, build_baseline, indexed_chunks

        t0 = time.perf_counter()
        chunks = indexed_chunks(assistant, embedder, settings)
        _check_same_chunks(assistant, chunks, questions[:SAME_CHUNKS_CHECKED])
        baseline = build_baseline(chunks, embedder, DEPTH, settings.retrieval_candidates)
        results["llamaindex_vector"] = _scored(*baseline_ranks(baseline.vector, questions))
        results["llamaindex_fusion"] = _scored(*baseline_ranks(baseline.fusion, questions))
        llama = {
            "chunks": baseline.chunks,
            "same_chunks_as_ours": True,  # checked above, else RuntimeError
            "embedding": f"rag.Embedder ({embedder.name}) as a llama-index BaseEmbedding",
            "vector": f"VectorStoreIndex (in memory).as_retriever(similarity_top_k={DEPTH})",
            "fusion": f"QueryFusionRetriever(BM25Retriever + vector, mode=reciprocal_rerank, num_queries=1, "
                      f"each top {settings.retrieval_candidates}, similarity_top_k={DEPTH})",
            "build_seconds": round(baseline.build_seconds, 1),
            "build_and_search_seconds": round(time.perf_counter() - t0, 1),
        }

    baselines = {name: r for name, r in results.items() if name in BASELINES}
    latency_ms = np.asarray(latencies) * 1000
    return {
        "benchmark": "retrieval",
        "corpus": str(corpus),
        "questions_file": str(questions_path),
        "questions": len(questions),
        "index_dir": str(index_dir),
        "chunks": report.chunks_total,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap_tokens": settings.chunk_overlap_tokens,
        "embed_model": embedder.name,
        "fusion": {"method": settings.fusion, "bm25_weight": settings.bm25_weight,
                   "candidates": settings.retrieval_candidates},
        "results": results,
        "latency_ms_ours": {
            "p50": round(float(np.percentile(latency_ms, 50)), 1),
            "p95": round(float(np.percentile(latency_ms, 95)), 1),
            "mean": round(float(latency_ms.mean()), 1),
        },
        "llamaindex": llama,
        "target": TARGET,
        "meets_target": all(results["ours"][m] >= v for m, v in TARGET.items()),
        "baselines": sorted(baselines),
        "beats_every_baseline": all(
            results["ours"][m] > r[m] for r in baselines.values() for m in ("hit@5", "mrr@10")
        ),
        "seconds": {
            "ingest_or_check": round(ingest_seconds, 1),
            "search_and_score": round(search_seconds, 1),
            "llamaindex_build_and_search": llama["build_and_search_seconds"] if llama else None,
            "total": round(time.perf_counter() - started, 1),
        },
    }


def _check_same_chunks(assistant: rag.Assistant, chunks: Sequence[Any], questions: Sequence[Question]) -> None:
    """Every passage ours retrieves for `questions` must be one of the baseline's chunks."""
    spans = {Span(c.doc_id, c.start, c.end) for c in chunks}
    for question in questions:
        for p in assistant.retrieve(question.question, k=DEPTH):
            if Span(p.doc_id, p.start, p.end) not in spans:
                raise RuntimeError(
                    f"ours retrieved {p.doc_id}[{p.start}:{p.end}], which the llama-index baseline does not hold: "
                    "the two would not search the same chunks"
                )


__all__ = ["KS", "run_retrieval_benchmark"]


def _retrieval_cli():
    import click

    @click.command("retrieval")
    @click.option("--corpus", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Articles [default: ../shared/benchmarks/squad2/corpus.jsonl].")
    @click.option("--questions", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Questions [default: questions_dev.jsonl next to the corpus]; answerable ones count.")
    @click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N answerable questions.")
    @click.option("--index-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Index folder, created or reused, kept afterwards [default: a temp dir, deleted].")
    @click.option("--no-llamaindex", is_flag=True,
                  help='Skip the llama-index baselines (vector; BM25 + vector fusion: needs ".[bench]").')
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Also write the JSON here.")
    def retrieval_command(corpus, questions, limit, index_dir, no_llamaindex, out) -> None:
        """Retrieval quality (hit@1/3/5/10, MRR@10, latency) of ours against dense, BM25, RRF and llama-index."""
        import shutil
        import tempfile

        from eval.bench_common import BenchmarkError, default_corpus, emit

        corpus = corpus.resolve() if corpus is not None else default_corpus()
        questions = questions or corpus.parent / "questions_dev.jsonl"
        for path in (corpus, questions):
            if not path.is_file():
                raise BenchmarkError(f"{path} does not exist.")
        directory = index_dir.expanduser() if index_dir else Path(tempfile.mkdtemp(prefix="rag-bench-retrieval-"))
        try:
            result = run_retrieval_benchmark(
                corpus, questions, directory, rag.Settings(), limit=limit, llamaindex=not no_llamaindex
            )
        except (rag.RagError, ValueError, RuntimeError) as exc:
            raise BenchmarkError(str(exc)) from None
        finally:
            if index_dir is None:
                shutil.rmtree(directory, ignore_errors=True)
        emit(result, out)

    return retrieval_command


retrieval_command = _retrieval_cli()
