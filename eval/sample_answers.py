"""Answers to label: `python -m eval.sample_answers --out FILE.jsonl [--limit N]`.

Asks every answerable seed question (and the questions in `--extra`, one per line) with
the configured answerer (e.g. RAG_ANSWERER=local for the bundled SmolLM2) over the demo
articles, and writes each answered one in the schema of `eval/data/verifier_labels.jsonl`
with `faithful` left null: a person reads each answer against its citations and fills it
in (and `kind`). `eval/data/local_model_labels.jsonl` was made this way.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

import rag
from eval.evalset import load_eval_set


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--extra", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="More questions about the demo articles, one per line.")
@click.option("--limit", type=int, default=None)
def main(out: Path, extra: Path | None, limit: int | None) -> None:
    questions = [item.question for item in load_eval_set() if item.answerable and not item.history]
    if extra is not None:
        questions += [q.strip() for q in extra.read_text(encoding="utf-8").splitlines() if q.strip()]
    with tempfile.TemporaryDirectory(prefix="rag-sample-") as directory:
        assistant = rag.Assistant(rag.Settings(data_dir=Path(directory)))
        rows = []
        try:
            for number, question in enumerate(questions[:limit]):
                try:
                    answer = assistant.ask(question)
                except rag.LLMError as exc:  # one slow or failed reply costs one question
                    click.echo(f"skipped {question!r}: {exc}", err=True)
                    continue
                if answer.refused:
                    continue
                rows.append({
                    "id": f"m{number:02d}", "question": question, "answer": answer.text,
                    "citations": [{"n": c.n, "doc": Path(c.doc_id).name, "quote": c.text} for c in answer.citations],
                    "faithful": None, "kind": None, "answerer": answer.answerer,
                    "verdicts": [v.verdict for v in answer.verdicts],
                })
        finally:
            assistant.close()
    out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    click.echo(f"{len(rows)} answers of {len(questions[:limit])} questions written to {out}")


if __name__ == "__main__":
    main()
