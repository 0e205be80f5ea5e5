"""Run an eval set through the assistant and measure every answer.

    import eval
    report = eval.run("seeds", out="eval-report")     # or a path to an eval-set file, or "squad2"
    report.passed, report.aggregates["correctness"]    # {"mean": 0.82, "n": 28}

Eval sets in the `eval.evalset` schema are asked item by item (with their `history`),
each answer checked by a verifier (`offline`: `rag.answer.verify.OfflineVerifier`;
`openai`: `eval.judge.LLMJudge`). `squad2` runs the SQuAD benchmark code instead.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

import rag
from eval.evalset import INJECTION_SET, PLANTED_DIR, SEEDS_SET, EvalItem, load_eval_set
from eval.injection import obeyed_instructions
from eval.metrics import (
    CitedSpan,
    EvalReport,
    GoldLocator,
    GoldQuote,
    JudgedClaim,
    QuestionResult,
    RetrievedSpan,
    aggregate,
    check_thresholds,
    clean_number,
    correctness,
    first_hit_rank,
    refusal_correct,
)

logger = logging.getLogger(__name__)

THRESHOLDS_FILE = Path(__file__).resolve().parent / "thresholds.json"
# Built-in eval sets: the file, and the articles indexed beside the demo ones.
BUILTIN_SETS: dict[str, tuple[Path, tuple[Path, ...]]] = {
    "seeds": (SEEDS_SET, ()),
    "injection": (INJECTION_SET, (PLANTED_DIR,)),
}
JUDGES = ("offline", "openai", "local")


class Verifier(Protocol):
    def verify(self, answer: rag.Answer) -> Any: ...  # -> rag.answer.verify.Faithfulness


def set_key(eval_set: str | Path) -> str:
    """The name thresholds are filed under: a built-in set's name, `squad2`, or an eval-set
    file's stem."""
    if str(eval_set) in (*BUILTIN_SETS, "squad2"):
        return str(eval_set)
    return Path(eval_set).stem


def load_thresholds(eval_set: str | Path, source: Path | Mapping[str, Any] | None = None) -> dict[str, float]:
    """Thresholds for `eval_set`: from a mapping, a JSON file, or eval/thresholds.json.

    A file (or mapping) is either flat ({"correctness": 0.7, ...}) or keyed by eval set
    ({"seeds": {...}, "squad2": {...}}); a set it does not name gets no thresholds."""
    if source is None:
        source = THRESHOLDS_FILE
    if isinstance(source, (str, Path)):
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read thresholds from {source}: {exc}") from exc
    else:
        data = dict(source)
    if not isinstance(data, dict):
        raise ValueError("thresholds must be a JSON object")
    if data and all(isinstance(v, (int, float)) for v in data.values()):
        chosen = data
    else:
        chosen = data.get(set_key(eval_set), {})
    if not isinstance(chosen, dict) or not all(isinstance(v, (int, float)) for v in chosen.values()):
        raise ValueError(f"thresholds for {set_key(eval_set)!r} must map metric names to numbers")
    return {str(k): float(v) for k, v in chosen.items()}


def build_verifier(judge: str, assistant: rag.Assistant, settings: rag.Settings) -> Verifier:
    """The offline verifier (the assistant's embedder), or the LLM judge: `openai` (needs
    OPENAI_API_KEY) or `local` (RAG_LOCAL_MODEL through llama.cpp)."""
    if judge == "offline":
        from rag.answer.verify import OfflineVerifier

        return OfflineVerifier(assistant.embedder)
    if judge in ("openai", "local"):
        from eval.judge import LLMJudge

        if judge == "local" and assistant.answerer_name.startswith("local:"):
            return LLMJudge(assistant.chat_model)  # the answering model's own server
        # ConfigurationError without OPENAI_API_KEY; "local" starts RAG_LOCAL_MODEL's server
        return LLMJudge(rag.build_chat_model(settings.model_copy(update={"answerer": judge})))
    raise ValueError(f"unknown judge {judge!r}; use one of {', '.join(JUDGES)}")


def run(
    eval_set: str | Path = "seeds",
    *,
    judge: str = "offline",
    out: str | Path | None = None,
    data_dir: str | Path | None = None,
    limit: int | None = None,
    thresholds: Path | Mapping[str, Any] | None = None,
    settings: rag.Settings | None = None,
    assistant: rag.Assistant | None = None,
    verifier: Verifier | None = None,
    progress: bool = False,
) -> EvalReport:
    """Ask every item of `eval_set`, measure, check thresholds, and write reports to `out`.

    `assistant` and `verifier` default to `rag.Assistant(settings)` on `data_dir` (a
    temporary index of the demo articles when None) and the verifier `judge` names.
    Raises rag.RagError (index, model, LLM problems) and ValueError (bad eval set or
    thresholds)."""
    if judge not in JUDGES:
        raise ValueError(f"unknown judge {judge!r}; use one of {', '.join(JUDGES)}")
    limits = load_thresholds(eval_set, thresholds)
    if str(eval_set) == "squad2":
        from eval.squad_eval import run_squad_eval

        report = run_squad_eval(judge, data_dir, limit, limits, settings, progress)
    else:
        path, extra = BUILTIN_SETS.get(str(eval_set), (Path(eval_set), ()))
        if not path.is_file():
            raise ValueError(f"no eval set {eval_set!r}: use {', '.join(BUILTIN_SETS)}, squad2 or an eval-set file")
        items = load_eval_set(path)[:limit] if limit is not None else load_eval_set(path)
        report = _run_items(
            set_key(eval_set), items, judge, data_dir, limits, settings, assistant, verifier, progress, extra
        )
    if out is not None:
        from eval.report import write_reports

        report.files = {kind: str(p) for kind, p in write_reports(report, Path(out)).items()}
    return report


def _run_items(
    name: str,
    items: Sequence[EvalItem],
    judge: str,
    data_dir: str | Path | None,
    limits: dict[str, float],
    settings: rag.Settings | None,
    assistant: rag.Assistant | None,
    verifier: Verifier | None,
    progress: bool,
    extra_articles: Sequence[Path] = (),
) -> EvalReport:
    started = time.perf_counter()
    temporary = None
    if assistant is None:
        settings = settings or rag.Settings()
        if data_dir is None:
            temporary = Path(tempfile.mkdtemp(prefix="rag-eval-"))
        settings = settings.with_data_dir(Path(data_dir) if data_dir is not None else temporary)
        assistant = rag.Assistant(settings)
    try:
        if extra_articles:
            _index_extra_articles(assistant, extra_articles, into_temporary=temporary is not None)
        if verifier is None:
            verifier = build_verifier(judge, assistant, assistant.settings)
        results = ask_items(assistant, items, verifier, progress)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    aggregates = aggregate(results)
    return EvalReport(
        eval_set=name,
        judge=judge,
        answerer=assistant.answerer_name,
        questions=results,
        aggregates=aggregates,
        thresholds=limits,
        checks=check_thresholds(aggregates, limits),
        seconds=time.perf_counter() - started,
    )


def _index_extra_articles(assistant: rag.Assistant, folders: Sequence[Path], into_temporary: bool) -> None:
    """Index the set's own articles beside the demo ones, in a temporary index only: a
    user's index must not gain the planted article. A given index must already hold them."""
    indexed = {d.doc_id.rsplit("/", 1)[-1] for d in assistant.list_documents()}  # seeds it if empty
    needed = {p.name for folder in folders for p in folder.glob("*.txt")}
    if needed <= indexed:
        return
    if not into_temporary:
        raise ValueError(
            f"this eval set needs {', '.join(sorted(needed - indexed))} in the index: run it without "
            f"--data-dir (a temporary index), or `rag ingest {' '.join(map(str, folders))}` into it first"
        )
    from ingest import ingest_paths

    # The demo articles are named too: they are part of the set's corpus, not a demo that
    # leaves when the set's own articles arrive (ingest.demo).
    report = ingest_paths([rag.seeds_dir(), *folders], assistant.settings, embedder=assistant.embedder)
    if not report.ok:
        raise ValueError(f"could not index the eval set's articles: {report.problems}")
    assistant.refresh()


def ask_items(
    assistant: rag.Assistant, items: Sequence[EvalItem], verifier: Verifier, progress: bool = False
) -> list[QuestionResult]:
    """Ask and measure each item, in order."""
    from tqdm import tqdm

    locator = GoldLocator(lambda doc_id: assistant.get_document(doc_id).text)
    results = []
    for item in tqdm(items, desc="Evaluating", unit="q", file=sys.stderr, disable=not progress, leave=False):
        results.append(measure(assistant, item, verifier, locator))
    return results


def measure(assistant: rag.Assistant, item: EvalItem, verifier: Verifier, locator: GoldLocator) -> QuestionResult:
    """Ask one item and measure its answer."""
    history = [(turn.question, turn.answer) for turn in item.history]
    started = time.perf_counter()
    try:
        answer = assistant.ask(item.question, history=history)
    except rag.LLMError as exc:  # one answer failing spoils one question, not the run
        logger.warning("%s: the answerer failed: %s", item.id, exc)
        return _failed(item, str(exc), time.perf_counter() - started)
    seconds = time.perf_counter() - started
    applicable = item.answerable and bool(item.gold)
    rank = first_hit_rank(answer.passages, item.gold, locator) if applicable else None
    result = QuestionResult(
        id=item.id,
        question=item.question,
        category=item.category,
        answerable=item.answerable,
        history=[rag.Turn(t.question, t.answer) for t in item.history],
        answer=answer.text,
        refused=answer.refused,
        refusal_reason=answer.refusal_reason,
        standalone_question=answer.standalone_question,
        citations=[CitedSpan(c.n, c.doc_id, c.title, c.text, c.start, c.end) for c in answer.citations],
        retrieved=[
            RetrievedSpan(r, p.doc_id, p.start, p.end, round(p.score, 4))
            for r, p in enumerate(answer.passages, start=1)
        ],
        gold=[GoldQuote(g.doc, g.quote) for g in item.gold],
        retrieval_rank=rank,
        retrieval_applicable=applicable,
        correct=correctness(item, answer),
        refusal_correct=refusal_correct(item, answer),
        seconds=round(seconds, 3),
    )
    if item.forbidden:
        result.obeyed = obeyed_instructions(answer, item.forbidden)
        result.injection_resisted = not result.obeyed
    if not answer.refused:
        _verify(verifier, answer, result)
    if answer.verdicts:
        result.flagged = sum(not v.supported for v in answer.verdicts) / len(answer.verdicts)
    logger.info("%s: refused=%s rank=%s correct=%s faithfulness=%s",
                item.id, answer.refused, rank, result.correct, result.faithfulness)
    return result


def _failed(item: EvalItem, error: str, seconds: float) -> QuestionResult:
    """The result of an item whose answer failed: wrong on every metric that applies to it
    (a gate cannot pass on failures), with the error kept for the report."""
    return QuestionResult(
        id=item.id,
        question=item.question,
        category=item.category,
        answerable=item.answerable,
        history=[rag.Turn(t.question, t.answer) for t in item.history],
        answer="",
        refused=False,
        refusal_reason="",
        standalone_question="",
        citations=[],
        retrieved=[],
        gold=[GoldQuote(g.doc, g.quote) for g in item.gold],
        retrieval_rank=None,
        retrieval_applicable=item.answerable and bool(item.gold),
        correct=False if item.answerable else None,
        refusal_correct=False,
        seconds=round(seconds, 3),
        injection_resisted=False if item.forbidden else None,
        answer_error=error,
    )


def _verify(verifier: Verifier, answer: rag.Answer, result: QuestionResult) -> None:
    try:
        faithfulness = verifier.verify(answer)
    except rag.LLMError as exc:  # one judge call failing spoils one question, not the run
        result.verifier_error = str(exc)
        logger.warning("%s: the judge failed: %s", result.id, exc)
        return
    result.verifier_error = getattr(faithfulness, "error", None)
    result.verdicts = [
        JudgedClaim(
            claim=v.claim,
            cited=tuple(v.cited),
            supported=bool(v.supported),
            reason=v.reason,
            supporting=tuple(getattr(v, "supporting", ()) or ()),
        )
        for v in faithfulness.verdicts
    ]
    if result.verdicts:  # no claims: faithfulness does not apply
        result.faithfulness = clean_number(faithfulness.score)
        result.citation_precision = clean_number(faithfulness.citation_precision)
        result.citation_recall = clean_number(faithfulness.citation_recall)
