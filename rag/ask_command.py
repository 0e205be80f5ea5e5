"""`rag ask`: one question from the command line; the answer, then its numbered sources."""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import click

from rag.answer.assistant import Assistant
from rag.cli import EXIT_PARTIAL, data_dir_option, fail_cleanly, load_settings, tell_seeding
from rag.errors import InvalidInputError, RagError
from rag.filters import FIELDS, NAME_FIELDS, day, names
from rag.text.unicode import printable
from rag.types import Answer, Filters
from rag.answer.verify import unsupported_note

# One vocabulary: `--filter` takes the field names of `rag.Filters` (and of the `filters=`
# mapping in Python). The short names it took before still work, with a warning.
_DEPRECATED_KEYS = {"doc_id": "doc_ids", "source": "sources", "title": "titles", "from": "published_from",
                    "to": "published_to"}
_FILTER_HELP = (
    "Only search some articles: titles=TEXT (in the title), doc_ids=ID, sources=NAME, "
    "published_from=YYYY-MM-DD, published_to=YYYY-MM-DD; the names of rag.Filters. Repeatable."
)


def parse_filters(items: tuple[str, ...]) -> Filters | None:
    """`--filter titles=Kursk --filter published_from=2025-01-01` as Filters, the same names as
    `rag.Filters`; a bad one is a usage error naming it."""
    if not items:
        return None
    values: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        field = key if key in FIELDS else _DEPRECATED_KEYS.get(key)
        if not sep or field is None or not value.strip():
            raise click.BadParameter(f"{item!r}: use KEY=VALUE with KEY one of {', '.join(FIELDS)}", param_hint="--filter")
        if key != field:
            click.echo(f"Warning: --filter {key}= is deprecated; use {field}= (the name rag.Filters uses).", err=True)
        try:
            if field in NAME_FIELDS:
                values[field] = (*values.get(field, ()), *names(field, value.strip()))  # type: ignore[misc]
            else:
                values[field] = day(field, value)
        except InvalidInputError as exc:
            raise click.BadParameter(f"{item!r}: {exc}", param_hint="--filter") from None
    try:
        return Filters(**values)  # type: ignore[arg-type]
    except InvalidInputError as exc:  # published_from after published_to
        raise click.BadParameter(str(exc), param_hint="--filter") from None


def answer_json(answer: Answer) -> dict[str, object]:
    """The whole Answer as `--json` prints it; each citation flat (its passage is among
    `passages`)."""
    data = asdict(answer)
    data["citations"] = [citation.to_dict() for citation in answer.citations]
    return data


@click.command("ask")
@click.argument("question")
@click.option("-k", "k", type=click.IntRange(1, 50), default=None, help="Passages to retrieve [default: RAG_TOP_K or 5].")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE", help=_FILTER_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the whole Answer as JSON.")
@data_dir_option
def ask_command(question: str, k: int | None, filters: tuple[str, ...], as_json: bool, data_dir: Path | None) -> None:
    """Answer QUESTION from the indexed articles, citing the passages used.

    Offline by default (extractive: quotes the best sentences); with OPENAI_API_KEY
    set, an LLM writes the answer from the same retrieved passages. If the index is
    empty, the demo articles are indexed first (said in one line on stderr).

    Exit code 0 when answered, 1 when the articles don't say (refused), 2 on a usage
    error, 3 when no answer could be attempted (no index, LLM service down).

    \b
    Examples:
      rag ask "How old were the captured soldiers?"
      rag ask "What did Kim Jong Un pledge?" --filter titles=confirms --json
    """
    settings = load_settings(data_dir)
    try:
        answer = Assistant(settings, on_seed=tell_seeding(settings)).ask(question, k=k, filters=parse_filters(filters))
    except RagError as exc:
        raise fail_cleanly(exc) from None
    click.echo(json.dumps(answer_json(answer), indent=2, ensure_ascii=False) if as_json else render(answer))
    if answer.refused:
        sys.exit(EXIT_PARTIAL)


def render(answer: Answer) -> str:
    """The answer and its sources, for a terminal."""
    lines = [textwrap.fill(answer.text, width=100), ""]
    if answer.facts:  # the short answer first: the age, the number, the name (one per part)
        lines[:0] = ["Answer: " + "; ".join(f"{printable(f.text)} [{f.citation}]" for f in answer.facts), ""]
    if answer.refused and not answer.partial:
        lines.append("Searched:" if answer.passages else "Nothing was searched.")
        counts: dict[tuple[str, str], int] = {}
        for passage in answer.passages:
            counts[(passage.title, passage.source)] = counts.get((passage.title, passage.source), 0) + 1
        for (title, source), count in counts.items():
            lines.append(f"  - {printable(title)} ({printable(source)}): {count} passage{'s' if count > 1 else ''}")
        return "\n".join(lines).rstrip()
    unsupported = [v for v in answer.verdicts if not v.supported]
    if unsupported:
        lines.append("NOT SUPPORTED by the sources they cite (check before relying on them):")
        for verdict in unsupported:
            lines.append(textwrap.fill(f"- {printable(verdict.claim)} ({verdict.reason})", width=100, subsequent_indent="  "))
        lines.append("")
    # An LLM answer's citations narrow to the sentences that support its claims.
    narrowed: dict[int, list[str]] = {}
    for verdict in answer.verdicts:
        for support in verdict.support:
            if support.text not in narrowed.setdefault(support.n, []):
                narrowed[support.n].append(support.text)
    lines.append("Sources:")
    for citation in answer.citations:
        lines.append(f"[{citation.n}] {printable(citation.title)} — {printable(citation.source)}")
        quoted = " … ".join(narrowed.get(citation.n, [])) or citation.text
        quote = textwrap.fill(f"“{quoted}”", width=96, initial_indent="    ", subsequent_indent="    ")
        lines.append(quote)
    flagged = {unsupported_note(v) for v in unsupported}
    for warning in answer.warnings:
        if warning not in flagged:
            lines.append(f"note: {warning}")
    return "\n".join(lines)
