"""`rag read-ahead`: reads every indexed sentence ahead of questions, so first answers are fast.

The offline answerer compares each sentence of the retrieved passages with the question by
MiniLM's pooled vector. Kept on disk (`rag.index.sentence_store`), those vectors let a first
question about an article read only the few sentences its answer is chosen among.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from rag.answer.assistant import Assistant
from rag.answer.extractive import READ_AT_LEAST, READ_KEPT
from rag.cli import data_dir_option, fail_cleanly, load_settings, tell_seeding
from rag.errors import RagError
from rag.index.sentence_store import SENTENCE_STORE_FILE
from rag.text.unicode import printable


class _ChunkBar:
    """A progress bar over chunks on stderr (tqdm, imported when first needed; none when quiet)."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="chunk", desc="Reading ahead", file=sys.stderr, leave=False, disable=None)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@click.command("read-ahead")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@data_dir_option
def read_ahead_command(quiet: bool, data_dir: Path | None) -> None:
    """Read every indexed sentence now, so that a first question about any article is fast.

    The offline answerer keeps the vector of each sentence it reads (in the data
    dir, sentence-vectors.sqlite3); with a question's sentences kept, it reads
    only the 8 it chooses the answer among, not all ~30: a first question about
    an article about twice as fast. Run it after `rag ingest`; sentences kept
    already are skipped, and an interrupted run keeps what it read. It takes
    about half as long as the ingest did; answers are the same with or without it.
    """
    settings = load_settings(data_dir)
    bar = _ChunkBar(enabled=not quiet)
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
