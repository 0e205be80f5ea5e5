"""Benchmarks, one subcommand each; each prints one JSON object on stdout.

    python -m eval.bench ingest [--corpus PATH] [--data-dir DIR] [--out FILE]
    python -m eval.bench shapes | incremental --index DIR | scale-latency --index DIR   (eval/bench_scale.py)

Logs go to stderr. Later benchmarks (retrieval, answer latency) are further subcommands.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

import rag
from eval.bench_common import BenchmarkError, default_corpus, emit, fresh_data_dir
from eval.bench_ingest import run_ingest_benchmark
from eval.bench_load import load_command
from eval.bench_local import local_command
from eval.bench_retrieval import retrieval_command
from eval.bench_scale import incremental_command, scale_latency_command, shapes_command

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


cli.add_command(retrieval_command)

@cli.command("ask")
@click.option("--seeds-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Index of the demo articles, reused or seeded on first use [default: a temp dir].")
@click.option("--squad-index", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="An index of the SQuAD corpus (built by `retrieval` or `rag ingest`); omit to skip SQuAD.")
@click.option("--quail-index", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="An index of the QuAIL news corpus (`rag ingest ../shared/benchmarks/quail-news/corpus.jsonl`).")
@click.option("--squad-folds", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="With --squad-index: also answer each SQuAD question with the fold model that never saw its "
              "article (written by `python -m eval.fit_answerer --fold-models DIR`).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Ask only the first N SQuAD/QuAIL questions.")
@click.option("--cold/--no-cold", default=True, help="Also time whole `rag ask` processes against imports.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write the JSON here.")
def ask_command(
    seeds_dir: Path | None, squad_index: Path | None, quail_index: Path | None, squad_folds: Path | None,
    limit: int | None, cold: bool, out: Path | None,
) -> None:
    """Answer correctness, refusal rates and their calibration, warm and cold latency."""
    from eval.bench_answers import run_answer_benchmark
    from eval.squad import benchmark_dir

    squad = benchmark_dir()
    questions = squad / "questions_dev.jsonl" if squad is not None and squad_index is not None else None
    quail = squad.parent / "quail-news" / "questions.jsonl" if squad is not None and quail_index is not None else None
    if seeds_dir is not None:  # an existing index of the demo articles is fine here
        emit(run_answer_benchmark(seeds_dir, squad_index, questions, limit, cold, quail_index, quail, squad_folds), out)
        return
    with fresh_data_dir(None) as directory:
        emit(run_answer_benchmark(directory, squad_index, questions, limit, cold, quail_index, quail, squad_folds), out)


cli.add_command(load_command)
cli.add_command(local_command)
cli.add_command(shapes_command)
cli.add_command(incremental_command)
cli.add_command(scale_latency_command)


if __name__ == "__main__":
    cli()
