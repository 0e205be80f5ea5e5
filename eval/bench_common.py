"""What every benchmark subcommand shares: its error, the default corpus, a fresh data dir
and writing the JSON it prints. Apart from `eval/bench.py` so the subcommands need not import
the command group that imports them."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import click

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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen, timeout_s: float) -> bool:
    """Whether `url` answers before `process` exits or `timeout_s` passes (polled every 0.5 s)."""
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return True
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.5)
