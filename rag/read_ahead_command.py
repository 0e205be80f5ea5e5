"""`rag read-ahead`: reads every indexed sentence ahead of questions, so first answers are fast.

The offline answerer compares each sentence of the retrieved passages with the question by
MiniLM's pooled vector. Kept on disk (`rag.index.sentence_store`), those vectors let a first
question about an article read only the few sentences its answer is chosen among.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from rag.answer.assistant import Assistant
from rag.answer.extractive import READ_AT_LEAST, READ_KEPT
from rag.cli import ProgressBar, data_dir_option, fail_cleanly, load_settings, tell_seeding
from rag.errors import RagError
from rag.index.sentence_store import SENTENCE_STORE_FILE
from rag.text.unicode import printable


@click.command("read-ahead")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@data_dir_option
def read_ahead_command(quiet: bool, data_dir: Path | None) -> None:
    """Read every indexed sentence now, so that a first question about any article is fast.

    The offline answerer keeps the vector of each sentence it reads (in the data
    dir, sentence-vectors.sqlite3); with a question's sentences kept, it reads
    only the 3 to 8 it chooses the answer among, not all ~30: a first question
    about an article about twice as fast. Run it after `rag ingest`; sentences kept
    already are skipped, and an interrupted run keeps what it read. It takes
    about half as long as the ingest did; answers are the same with or without it.
    """
    settings = load_settings(data_dir)
    bar = ProgressBar(enabled=not quiet, desc="Reading ahead", unit="chunk")
    started = time.perf_counter()
    try:
        assistant = Assistant(settings, on_seed=tell_seeding(settings))
        done = assistant.read_ahead(progress=bar)
        assistant.close()
    except RagError as exc:
        raise fail_cleanly(exc) from None
    finally:
        bar.close()
    click.echo(
        f"Read {done.read:,} of {done.sentences:,} sentences ({done.sentences - done.read:,} were kept already) "
        f"in {time.perf_counter() - started:.1f} s; a first question now reads {READ_AT_LEAST} to {READ_KEPT} of its "
        f"passages' sentences. Kept in {printable(str(settings.data_dir / SENTENCE_STORE_FILE))}."
    )
