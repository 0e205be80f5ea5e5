"""Benchmarks, one subcommand each; each prints one JSON object on stdout.

    python -m eval.bench ingest [--corpus PATH] [--data-dir DIR] [--out FILE]

Logs go to stderr. Later benchmarks (retrieval, answer latency) are further subcommands.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import click

import rag
from eval.bench_ingest import run_ingest_benchmark

CORPUS_RELATIVE = Path("shared") / "benchmarks" / "squad2" / "corpus.jsonl"


class BenchmarkError(click.ClickException):
    """A benchmark that cannot run (missing corpus, used data dir), shown as one line."""


def default_corpus() -> Path:
    """The SQuAD corpus: `../shared/...` from the current dir, else next to the repository."""
    candidates = [Path.cwd().parent / CORPUS_RELATIVE, Path(__file__).resolve().parents[2] / CORPUS_RELATIVE]
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
            raise BenchmarkError(f"--data-dir {requested} is not an empty folder; the benchmark needs a fresh index.")
        requested.mkdir(parents=True, exist_ok=True)
        yield requested
        return
    temporary = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        yield temporary
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


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
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr)


@cli.command("ingest")
@click.option("--corpus", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Articles to ingest [default: ../shared/benchmarks/squad2/corpus.jsonl].")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Empty folder for the index, kept afterwards [default: a temp dir, deleted].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the JSON here.")
def ingest_command(corpus: Path | None, data_dir: Path | None, out: Path | None) -> None:
    """Ingest throughput against bare SentenceTransformer.encode on the same passages."""
    corpus = corpus.resolve() if corpus is not None else default_corpus()
    if not corpus.is_file():
        raise BenchmarkError(f"Corpus {corpus} does not exist.")
    with fresh_data_dir(data_dir) as directory:
        try:
            result = run_ingest_benchmark(corpus, directory, rag.Settings())
        except rag.RagError as exc:
            raise BenchmarkError(str(exc)) from None
    emit(result, out)


from eval.bench_retrieval import retrieval_command  # noqa: E402  (after `cli`; it imports helpers from here lazily)

cli.add_command(retrieval_command)

@cli.command("ask")
@click.option("--seeds-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Index of the demo articles, reused or seeded on first use [default: a temp dir].")
@click.option("--squad-index", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="An index of the SQuAD corpus (built by `retrieval` or `rag ingest`); omit to skip SQuAD.")
@click.option("--quail-index", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="An index of the QuAIL news corpus (`rag ingest ../shared/benchmarks/quail-news/corpus.jsonl`).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Ask only the first N SQuAD/QuAIL questions.")
@click.option("--cold/--no-cold", default=True, help="Also time whole `rag ask` processes against imports.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write the JSON here.")
def ask_command(
    seeds_dir: Path | None, squad_index: Path | None, quail_index: Path | None, limit: int | None, cold: bool,
    out: Path | None,
) -> None:
    """Answer correctness, refusal rates and their calibration, warm and cold latency."""
    from eval.bench_answers import run_answer_benchmark
    from eval.squad import benchmark_dir

    squad = benchmark_dir()
    questions = squad / "questions_dev.jsonl" if squad is not None and squad_index is not None else None
    quail = squad.parent / "quail-news" / "questions.jsonl" if squad is not None and quail_index is not None else None
    if seeds_dir is not None:  # an existing index of the demo articles is fine here
        emit(run_answer_benchmark(seeds_dir, squad_index, questions, limit, cold, quail_index, quail), out)
        return
    with fresh_data_dir(None) as directory:
        emit(run_answer_benchmark(directory, squad_index, questions, limit, cold, quail_index, quail), out)


from eval.bench_load import load_command  # noqa: E402
from eval.bench_local import local_command  # noqa: E402

cli.add_command(load_command)
cli.add_command(local_command)


if __name__ == "__main__":
    cli()
