"""`rag ingest`: the command-line face of `ingest_paths`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from ingest.pipeline import ingest_paths
from ingest.report import IngestReport
from rag.cli import EXIT_PARTIAL, data_dir_option, fail_cleanly, load_settings
from rag.errors import RagError


class _ProgressBar:
    """A tqdm bar on stderr, only on a terminal and only when there is something to index."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or (self._bar is None and done >= total):
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, unit="doc", desc="Indexing", file=sys.stderr, leave=False, disable=None
            )
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Also remove indexed documents whose files are gone.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@data_dir_option
def ingest_command(paths: tuple[Path, ...], prune: bool, as_json: bool, quiet: bool, data_dir: Path | None) -> None:
    """Index news articles from files and folders (searched recursively).

    Reads .txt and .md (scraped text; debris lines such as lone city names are
    dropped), .html/.htm (visible article text only) and .jsonl (one article per
    line: "text" required; "id", "title", "url", "published", "authors", "source"
    optional). Re-running is cheap: unchanged articles are skipped, changed ones
    replaced, and the same text under two paths is indexed once.

    Exit code 0 when everything was ingested, 1 when some files failed (the rest
    is still indexed), 3 when nothing could be done.

    \b
    Example:
      rag ingest seeds/ my-articles/ --prune
    """
    settings = load_settings(data_dir)
    bar = _ProgressBar(enabled=not quiet and not as_json)
    try:
        report = ingest_paths(list(paths), settings, prune=prune, progress=bar)
    except RagError as exc:
        raise fail_cleanly(exc) from None
    finally:
        bar.close()
    _print_report(report, as_json)
    if not report.ok:
        sys.exit(EXIT_PARTIAL)


def _print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        payload = asdict(report) | {"failed": report.failed, "summary": report.summary()}
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    for problem in report.problems:
        click.echo(f"skipped {problem}", err=True)
    for duplicate in report.duplicates:
        click.echo(f"skipped {duplicate.doc_id}: same text as {duplicate.same_as}", err=True)
    click.echo(report.summary())
