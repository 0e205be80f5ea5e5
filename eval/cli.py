"""`rag eval`: run an eval set, print the summary, write the reports, gate on thresholds."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import rag
from rag.cli import EXIT_PARTIAL, FatalError, data_dir_option, fail_cleanly, load_settings

# Floors for any eval set (a flat file): copy it, adjust, pass it with --thresholds (README).
EXAMPLE_THRESHOLDS = Path(__file__).resolve().parent / "thresholds_example.json"


@click.command("eval")
@click.option("--set", "eval_set", default="seeds", show_default=True, metavar="seeds|injection|squad2|FILE",
              help="The demo-article questions, the prompt-injection set (demo articles plus a planted "
                   "article), the SQuAD 2.0 benchmark, or an eval-set file (JSONL).")
@click.option("--judge", type=click.Choice(["offline", "openai", "local"]), default="offline", show_default=True,
              help="Who checks each claim against its citations: the offline verifier, an LLM (OPENAI_API_KEY) "
                   "or the local model (RAG_LOCAL_MODEL).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("eval-report"),
              show_default=True, help="Folder for report.json, report.md and metrics.png.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N questions.")
@click.option("--thresholds", "thresholds_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="Thresholds JSON [default: eval/thresholds.json, which gates only the built-in "
                                 "sets]; eval/thresholds_example.json holds floors to copy for your own set.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@data_dir_option
def eval_command(eval_set: str, judge: str, out: Path, limit: int | None, thresholds_file: Path | None,
                 quiet: bool, data_dir: Path | None) -> None:
    """Measure retrieval, correctness, faithfulness and refusals on an eval set.

    With --set seeds the index is --data-dir (default: a temporary one, filled with the
    demo articles). --set injection adds a planted article full of instructions to that
    temporary index and checks none is obeyed (injection_resisted). With --set squad2,
    --data-dir is the SQuAD index (built when missing).

    Exit code 0 when every metric meets its threshold, 1 when one is below (named on
    stderr), 3 when the eval could not run. A set without thresholds is not gated (exit
    code 0, said on stderr): pass --thresholds FILE, e.g. a copy of
    eval/thresholds_example.json.

    \b
    Examples:
      rag eval --set seeds --out eval-report
      rag eval --set injection --out eval-report-injection
      rag eval --set my-questions.jsonl --judge openai --limit 10
    """
    from eval.report import summary_table
    from eval.runner import run

    settings = load_settings(None)
    try:
        report = run(eval_set, judge=judge, out=out, data_dir=data_dir, limit=limit,
                     thresholds=thresholds_file, settings=settings, progress=not quiet)
    except rag.RagError as exc:
        raise fail_cleanly(exc) from None
    except (ValueError, OSError, ImportError) as exc:
        raise FatalError(str(exc)) from None
    counted = f"{len(report.questions)} questions, " if report.questions else ""
    click.echo(f"{report.eval_set}: {counted}answerer {report.answerer}, judge {report.judge}, {report.seconds:.1f} s")
    click.echo(summary_table(report))
    if report.files:
        click.echo(f"Reports: {', '.join(report.files.values())}")
    failed = [q.id for q in report.questions if q.answer_error]
    if failed:
        click.echo(f"{len(failed)} question(s) failed to get an answer (counted wrong): {', '.join(failed)}; "
                   "see the report for the errors.", err=True)
    if not report.passed:
        for name, check in report.failures.items():
            click.echo(f"below threshold: {name}: {check['reason']}", err=True)
        sys.exit(EXIT_PARTIAL)
    if report.checks:
        click.echo("All metrics meet their thresholds.")
        return
    from eval.runner import set_key

    where = thresholds_file or "eval/thresholds.json"
    click.echo(f"Nothing was gated: {where} has no thresholds for {set_key(eval_set)!r}, so the exit code is 0 "
               f"whatever the scores. To gate, pass --thresholds FILE; {EXAMPLE_THRESHOLDS} holds floors to copy.",
               err=True)
