"""Writing an eval run: `report.json` (everything), `report.md` (for people), `metrics.png`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eval.metrics import EvalReport, QuestionResult

_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(
    "a an and are as at be been but by for from had has have he her his in is it its of on or "
    "she that the their them they this to was were which who will with".split()
)


def write_reports(report: "EvalReport", out_dir: Path) -> dict[str, Path]:
    """Write the three files into `out_dir` (created); their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md", "chart": out_dir / "metrics.png"}
    paths["json"].write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    chart(report, paths["chart"])
    return paths


def fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def summary_rows(report: "EvalReport") -> list[tuple[str, str, str, str, str]]:
    """(metric, mean, n, threshold, status) for every metric, in report order."""
    rows = []
    for name in report.metrics:
        figure = report.aggregates.get(name, {"mean": None, "n": 0})
        check = report.checks.get(name)
        status = "" if check is None else ("pass" if check["passed"] else "FAIL")
        threshold = "" if check is None else f"{check['threshold']:.3f}"
        rows.append((name, fmt(figure["mean"]), str(figure["n"]), threshold, status))
    return rows


def summary_table(report: "EvalReport") -> str:
    """The aggregates as a fixed-width text table."""
    header = ("metric", "mean", "n", "threshold", "status")
    rows = [header, *summary_rows(report)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def highlight(quote: str, claim: str) -> str:
    """`quote` with the words it shares with `claim` in **bold** (stopwords excepted)."""
    claim_words = {w.lower() for w in _WORD.findall(claim)} - _STOPWORDS

    def bold(match: re.Match) -> str:
        word = match.group(0)
        return f"**{word}**" if word.lower() in claim_words else word

    text = _WORD.sub(bold, quote)
    return text.replace("** **", " ")  # one bold run for adjacent words


def markdown(report: "EvalReport") -> str:
    """Summary table, then every question with its answer, verdicts and highlighted support."""
    lines = [
        f"# Eval report: {report.eval_set}",
        "",
        f"Answerer: `{report.answerer}` · judge: `{report.judge}` · {len(report.questions)} questions · "
        f"{report.seconds:.1f} s · **{'PASSED' if report.passed else 'FAILED'}**",
        "",
        "| metric | mean | n | threshold | status |",
        "|---|---:|---:|---:|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in summary_rows(report)]
    for name, check in report.failures.items():
        lines.append(f"\n- **{name}** below threshold: {check['reason']}")
    lines.append("")
    for q in report.questions:
        lines += _question_markdown(q)
    return "\n".join(lines).rstrip() + "\n"


def _question_markdown(q: QuestionResult) -> list[str]:
    kind = "answerable" if q.answerable else "unanswerable"
    lines = [f"## {q.id} ({q.category}, {kind})", ""]
    for turn in q.history:
        lines.append(f"> earlier: *{turn.question}* — {turn.answer}")
    if q.history:
        lines.append(f"> standalone: *{q.standalone_question}*")
        lines.append("")
    lines += [f"**Q:** {q.question}", "", f"**A:** {q.answer}", ""]
    facts = []
    facts.append("refused" if q.refused else "answered")
    facts.append("refusal correct" if q.refusal_correct else "refusal WRONG")
    if q.retrieval_applicable:
        facts.append(f"gold passage at rank {q.retrieval_rank}" if q.retrieval_rank else "gold passage NOT retrieved")
    if q.correct is not None:
        facts.append("key facts found" if q.correct else "key facts MISSING")
    if q.faithfulness is not None:
        facts.append(f"faithfulness {q.faithfulness:.2f}")
    if q.citation_precision is not None:
        facts.append(f"citation precision {q.citation_precision:.2f}")
    if q.citation_recall is not None:
        facts.append(f"citation recall {q.citation_recall:.2f}")
    if q.injection_resisted is not None:
        facts.append("planted instructions not obeyed" if q.injection_resisted else "OBEYED planted instructions")
    lines += ["- " + " · ".join(facts)]
    lines += [f"- obeyed: {reason}" for reason in q.obeyed]
    if q.answer_error:
        lines.append(f"- ANSWER FAILED (counted wrong on every metric): {q.answer_error}")
    if q.verifier_error:
        lines.append(f"- verifier error: {q.verifier_error}")
    citations = {c.n: c for c in q.citations}
    for v in q.verdicts:
        mark = "✅ supported" if v.supported else "❌ unsupported"
        cited = ", ".join(f"[{n}]" for n in v.cited) or "no citation"
        lines.append(f"- {mark} ({cited}): “{v.claim}” — {v.reason}")
        for n in v.supporting or (v.cited if v.supported else ()):
            if n in citations:
                lines.append(f"    - [{n}] {highlight(citations[n].text, v.claim)}")
    if not q.verdicts and not q.refused and not q.verifier_error and not q.answer_error:
        lines.append("- no claims to verify")
    if q.refused and q.refusal_reason:
        lines.append(f"- refusal reason: {q.refusal_reason}")
    lines.append("")
    return lines


def chart(report: "EvalReport", path: Path) -> None:
    """Bar chart of the aggregate means, with each metric's threshold as a line across its bar."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(report.metrics)
    values = [report.aggregates.get(n, {}).get("mean") for n in names]
    figure = Figure(figsize=(max(6.0, 0.8 * len(names) + 2), 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    colours = []
    for name, value in zip(names, values):
        check = report.checks.get(name)
        colours.append("#bbbbbb" if value is None else "#d62728" if check and not check["passed"] else "#1f77b4")
    positions = range(len(names))
    axes.bar(positions, [v or 0.0 for v in values], color=colours)
    for x, name, value in zip(positions, names, values):
        n = report.aggregates.get(name, {}).get("n", 0)
        axes.text(x, (value or 0.0) + 0.02, "n/a" if value is None else f"{value:.2f}\nn={n}",
                  ha="center", va="bottom", fontsize=7)
        if name in report.thresholds:
            axes.hlines(report.thresholds[name], x - 0.45, x + 0.45, colors="black", linestyles="dashed", linewidth=1.2)
    axes.set_xticks(list(positions), names, rotation=35, ha="right", fontsize=8)
    axes.set_ylim(0, 1.2)
    axes.set_ylabel("mean over applicable questions")
    axes.set_title(f"{report.eval_set}: aggregate metrics (dashed: thresholds)")
    figure.tight_layout()
    figure.savefig(path)
