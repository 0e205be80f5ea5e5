"""`rag ingest`: the command-line face of `ingest_paths`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from ingest.pipeline import ingest_paths
from ingest.remove import remove_demo, remove_documents
from ingest.seeding import add_demo
from ingest.report import IngestReport
from rag.cli import EXIT_PARTIAL, ProgressBar, data_dir_option, fail_cleanly, load_settings
from rag.errors import RagError
from rag.text.unicode import printable


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Also remove indexed documents whose files are gone.")
@click.option(
    "--replace", is_flag=True,
    help="A new file (or JSON line) whose document id is taken replaces that document, instead of getting a longer id.",
)
@click.option("--follow-links", is_flag=True, help="Follow links that lead out of the folders named.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@data_dir_option
def ingest_command(
    paths: tuple[Path, ...], prune: bool, replace: bool, follow_links: bool, as_json: bool, quiet: bool,
    data_dir: Path | None,
) -> None:
    """Index news articles from files and folders (searched recursively).

    Reads .txt and .md (scraped text; debris lines such as lone city names are
    dropped), .html/.htm (visible article text only) and .jsonl (one article per
    line: "text" required; "id", "title", "url", "published", "authors", "source"
    optional). Re-running is cheap: unchanged articles are skipped, changed ones
    updated, and the same text under two paths is indexed once.

    A document is its file (or its JSON line's id within that file): only
    re-ingesting the same file updates it. Another file whose name is already taken
    is indexed under a longer id (b/report.txt), never over it, unless --replace.
    Links out of a folder are not followed unless --follow-links.

    Exit code 0 when everything was ingested, 1 when some files failed (the rest
    is still indexed), 3 when nothing could be done.

    \b
    The demo articles, if the index got them because it was empty, leave in the
    run that brings your first article (`rag demo` keeps them).

    \b
    Example:
      rag ingest my-articles/ feed.jsonl --prune
    """
    settings = load_settings(data_dir)
    bar = ProgressBar(enabled=not quiet and not as_json, desc="Indexing", unit="char", unit_scale=True)
    try:
        report = ingest_paths(
            list(paths), settings, prune=prune, replace=replace, follow_links=follow_links, text_progress=bar)
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
    # Names come from files and JSON lines: escaped, so none can start a line of its own.
    for problem in report.problems:
        click.echo(f"skipped {printable(str(problem))}", err=True)
    for duplicate in report.duplicates:
        click.echo(f"skipped {printable(duplicate.doc_id)}: same text as {printable(duplicate.same_as)}", err=True)
    for renamed in report.renamed:
        click.echo(
            f"note: {printable(renamed.wanted)} already names the document from {printable(renamed.held_by)}; "
            f"indexed as {printable(renamed.doc_id)} (--replace would replace that document instead)", err=True)
    for replaced in report.replaced:
        click.echo(f"replaced {printable(replaced.doc_id)}, which came from {printable(replaced.previous_source)}", err=True)
    for note in report.notes:
        click.echo(f"note: {printable(note)}", err=True)
    for doc_id in report.moved:
        click.echo(f"moved {printable(doc_id)}: same text, found at its new place", err=True)
    if report.demo_removed:
        click.echo(f"removed the {len(report.demo_removed)} demo articles, indexed while the index was empty: "
                   "it holds your own now (`rag demo` brings them back to stay)", err=True)
    click.echo(report.summary())


@click.command("remove")
@click.argument("doc_ids", nargs=-1, required=True)
@data_dir_option
def remove_command(doc_ids: tuple[str, ...], data_dir: Path | None) -> None:
    """Remove documents from the index by their ids (as `rag ask --json` or the chat
    UI's sources show them). Nothing else ever removes a document, except
    `rag ingest --prune` for files that are gone.

    Exit code 0 when every id was removed, 1 when some were not found.

    \b
    Example:
      rag remove uploads/report.txt "feed.jsonl#42"
    """
    settings = load_settings(data_dir)
    try:
        report = remove_documents(list(doc_ids), settings)
    except RagError as exc:
        raise fail_cleanly(exc) from None
    for doc_id in report.not_found:
        click.echo(f"not found: {printable(doc_id)}", err=True)
    click.echo(report.summary())
    if not report.ok:
        sys.exit(EXIT_PARTIAL)


@click.command("demo")
@click.option("--remove", "remove", is_flag=True, help="Remove the demo articles from the index instead.")
@data_dir_option
def demo_command(remove: bool, data_dir: Path | None) -> None:
    """Add the two demo articles (North Korean troops in Kursk) to the index, to stay.

    An empty index gets them by itself on the first `rag ask` (or in the chat UI), and
    then they leave as soon as you ingest your own articles. Added with this command,
    they stay beside yours until `rag demo --remove`.

    \b
    Example:
      rag demo && rag ask "How old were the captured soldiers?"
      rag demo --remove
    """
    settings = load_settings(data_dir)
    try:
        if remove:
            removed = remove_demo(settings).removed
            click.echo(f"Removed {len(removed)} demo articles: {', '.join(map(printable, removed))}" if removed
                       else "No demo articles are indexed.")
            return
        report = add_demo(settings)
    except RagError as exc:
        raise fail_cleanly(exc) from None
    _print_report(report, as_json=False)
    if not report.ok:
        sys.exit(EXIT_PARTIAL)

