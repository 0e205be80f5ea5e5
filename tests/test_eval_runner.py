"""`eval.metrics`, `eval.runner` and `rag eval`: metric arithmetic, reports, thresholds, determinism."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

import rag
from eval.evalset import EvalItem, load_eval_set
from eval.metrics import (
    CitedSpan,
    GoldLocator,
    GoldQuote,
    JudgedClaim,
    QuestionResult,
    RetrievedSpan,
    aggregate,
    check_thresholds,
    correctness,
    first_hit_rank,
    mean_with_n,
    refusal_correct,
    retrieval_metrics,
)

DOC = "ukraine-captures-two-north-korean-soldiers-exposing-alliance-with-russia.txt"
QUOTE = "The soldiers, aged 20 and 26, were injured during their capture and are now receiving medical treatment in Kyiv."
SMALL_SET = [
    {"id": "ages", "question": "How old were the captured soldiers?", "answerable": True, "category": "number",
     "key_facts": [["20"], ["26"]], "gold": [{"doc": DOC, "quote": QUOTE}]},
    {"id": "ages_followup", "question": "How old were they?", "answerable": True, "category": "follow_up",
     "key_facts": [["20"], ["26"]], "gold": [{"doc": DOC, "quote": QUOTE}],
     "history": [{"question": "Which soldiers did Ukraine capture in Kursk?",
                  "answer": "Ukraine captured two North Korean soldiers [1]."}]},
    {"id": "treated_where", "question": "Where are the wounded prisoners receiving medical care?", "answerable": True,
     "category": "single_fact", "key_facts": [["Kyiv"]], "gold": [{"doc": DOC, "quote": QUOTE}]},
    {"id": "france", "question": "What is the capital of France?", "answerable": False, "category": "off_topic"},
]


# -- fakes and helpers ------------------------------------------------------------


@dataclass(frozen=True)
class FakeVerdict:
    claim: str
    cited: tuple[int, ...]
    supported: bool
    reason: str
    supporting: tuple[int, ...] = ()


@dataclass(frozen=True)
class FakeFaithfulness:
    verdicts: tuple[FakeVerdict, ...]
    error: str | None = None

    @property
    def score(self):
        return sum(v.supported for v in self.verdicts) / len(self.verdicts) if self.verdicts else None

    @property
    def citation_precision(self):
        pairs = [(v, n) for v in self.verdicts for n in v.cited]
        return sum(n in v.supporting for v, n in pairs) / len(pairs) if pairs else None

    @property
    def citation_recall(self):
        return sum(bool(v.supporting) for v in self.verdicts) / len(self.verdicts) if self.verdicts else None


@dataclass
class FakeVerifier:
    """One claim per citation, supported when the cited text is in the answer verbatim."""

    calls: list = field(default_factory=list)

    def verify(self, answer: rag.Answer) -> FakeFaithfulness:
        self.calls.append(answer.question)
        verdicts = []
        for c in answer.citations:
            ok = c.text.rstrip(".") in answer.text
            verdicts.append(FakeVerdict(c.text, (c.n,), ok, "quoted verbatim" if ok else "not quoted", (c.n,) if ok else ()))
        return FakeFaithfulness(tuple(verdicts))


def passage(doc_id: str, start: int, end: int) -> rag.Passage:
    return rag.Passage(chunk_id=f"{doc_id}:{start}", doc_id=doc_id, title="t", source=doc_id, text="x" * (end - start),
                       start=start, end=end, score=0.5)


def answer(text: str, refused: bool = False, passages=()) -> rag.Answer:
    return rag.Answer(question="q", standalone_question="q", text=text, refused=refused, citations=(),
                      passages=tuple(passages), answerer="extractive")


def item(**overrides) -> EvalItem:
    data = {"id": "i", "question": "How old?", "answerable": True, "category": "number",
            "key_facts": [["20"], ["26", "twenty-six"]], "gold": [{"doc": "a.txt", "quote": "aged 20 and 26"}]}
    return EvalItem.model_validate(data | overrides)


def result(**overrides) -> QuestionResult:
    data = dict(id="i", question="q", category="c", answerable=True, history=[], answer="a", refused=False,
                refusal_reason="", standalone_question="q", citations=[], retrieved=[], gold=[],
                retrieval_rank=None, retrieval_applicable=False, correct=None, refusal_correct=True)
    return QuestionResult(**(data | overrides))


def write_set(path: Path, rows=SMALL_SET) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# -- metric arithmetic ---------------------------------------------------------------


def test_metrics__rank_hit_at_k_and_mrr_from_passage_spans():
    text = "x" * 100 + "The men, aged 20 and 26, were hurt." + "y" * 100  # quote at 109..123
    reads = []
    locator = GoldLocator(lambda doc_id: reads.append(doc_id) or text)
    gold = item().gold
    miss_other_doc = passage("seeds/b.txt", 100, 150)
    miss_span = passage("seeds/a.txt", 0, 109)  # ends where the quote starts: no overlap
    miss_suffix = passage("seeds/xa.txt", 100, 150)  # a different file whose name ends in a.txt
    hit = passage("seeds/a.txt", 120, 200)
    assert first_hit_rank([miss_other_doc, miss_span, miss_suffix, hit], gold, locator) == 4
    assert first_hit_rank([hit], gold, locator) == 1
    assert first_hit_rank([miss_other_doc, miss_span], gold, locator) is None
    assert reads.count("seeds/a.txt") == 1  # document text cached
    assert retrieval_metrics(1) == {"retrieval_hit@1": 1.0, "retrieval_hit@3": 1.0, "retrieval_hit@5": 1.0,
                                    "retrieval_mrr": 1.0}
    assert retrieval_metrics(4) == {"retrieval_hit@1": 0.0, "retrieval_hit@3": 0.0, "retrieval_hit@5": 1.0,
                                    "retrieval_mrr": 0.25}
    assert retrieval_metrics(None)["retrieval_mrr"] == 0.0


def test_metrics__correctness_and_refusal():
    answerable, unanswerable = item(), item(answerable=False, key_facts=[], gold=[])
    assert correctness(answerable, answer("They were 20 and twenty-six [1].")) is True
    assert correctness(answerable, answer("One was 20 [1].")) is False
    assert correctness(answerable, answer("The articles don't say.", refused=True)) is None
    assert correctness(unanswerable, answer("Paris [1].")) is None
    assert refusal_correct(answerable, answer("20 and 26")) and not refusal_correct(answerable, answer("", True))
    assert refusal_correct(unanswerable, answer("", True)) and not refusal_correct(unanswerable, answer("Paris"))


def test_metrics__aggregates_are_means_over_applicable_questions_never_nan():
    results = [
        result(retrieval_applicable=True, retrieval_rank=1, correct=True, faithfulness=1.0, citation_precision=0.5),
        result(retrieval_applicable=True, retrieval_rank=2, correct=False, faithfulness=0.5),
        result(retrieval_applicable=True, retrieval_rank=None, refused=True, refusal_correct=False),
        result(answerable=False, refused=True, faithfulness=float("nan")),  # NaN counts as not applicable
        result(answerable=False, refused=False, refusal_correct=False),
    ]
    figures = aggregate(results)
    assert figures["retrieval_hit@1"] == {"mean": round(1 / 3, 4), "n": 3}
    assert figures["retrieval_hit@3"] == {"mean": round(2 / 3, 4), "n": 3}
    assert figures["retrieval_mrr"] == {"mean": 0.5, "n": 3}
    assert figures["correctness"] == {"mean": 0.5, "n": 2}
    assert figures["faithfulness"] == {"mean": 0.75, "n": 2}
    assert figures["citation_precision"] == {"mean": 0.5, "n": 1}
    assert figures["citation_recall"] == {"mean": None, "n": 0}
    assert figures["answerable_answered"] == {"mean": round(2 / 3, 4), "n": 3}
    assert figures["unanswerable_refused"] == {"mean": 0.5, "n": 2}
    assert figures["refusal_accuracy"] == {"mean": 0.6, "n": 5}
    assert all(f["mean"] is None or math.isfinite(f["mean"]) for f in figures.values())
    assert mean_with_n([]) == {"mean": None, "n": 0} == mean_with_n([None, float("nan")])


def test_metrics__thresholds_fail_below_and_when_not_measured():
    figures = {"a": {"mean": 0.9, "n": 3}, "b": {"mean": 0.5, "n": 3}, "c": {"mean": None, "n": 0}}
    checks = check_thresholds(figures, {"a": 0.9, "b": 0.6, "c": 0.1})
    assert [checks[k]["passed"] for k in "abc"] == [True, False, False]
    assert checks["c"]["reason"] == "not measured"


def test_runner__a_verifier_with_no_claims_leaves_faithfulness_not_applicable(tmp_path):
    from eval.runner import _verify

    class NoClaims:
        def verify(self, answer):
            return FakeFaithfulness(())

    measured = result()
    _verify(NoClaims(), answer("Something."), measured)
    assert measured.faithfulness is None and measured.citation_precision is None and measured.verdicts == []


# -- the runner, end to end, with the real model ---------------------------------------


@pytest.fixture(scope="module")
def seeded_assistant(real_embedder, tmp_path_factory):
    """An index of the demo articles, built once for this module."""
    directory = tmp_path_factory.mktemp("eval-index")
    assistant = rag.Assistant(rag.Settings(data_dir=directory), embedder=real_embedder)
    assistant.retrieve("warm up")  # indexes the demo articles
    return assistant


def test_runner__end_to_end_writes_reports_and_repeats_identically(seeded_assistant, tmp_path):
    import eval

    eval_file = write_set(tmp_path / "small.jsonl")
    verifier = FakeVerifier()
    report = eval.run(eval_file, out=tmp_path / "out", assistant=seeded_assistant, verifier=verifier,
                      thresholds={"refusal_accuracy": 0.5})
    assert [q.id for q in report.questions] == ["ages", "ages_followup", "treated_where", "france"]
    by_id = {q.id: q for q in report.questions}
    assert by_id["ages"].retrieval_rank == 1 and by_id["ages"].correct is True
    assert by_id["ages_followup"].standalone_question != "How old were they?"  # the history was used
    assert by_id["france"].refused and by_id["france"].retrieval_applicable is False
    assert by_id["france"].correct is None and by_id["france"].faithfulness is None
    ages = by_id["ages"]
    assert ages.gold == [GoldQuote(DOC, QUOTE)]
    assert by_id["ages_followup"].history == [rag.Turn("Which soldiers did Ukraine capture in Kursk?",
                                                        "Ukraine captured two North Korean soldiers [1].")]
    assert ages.citations and all(isinstance(c, CitedSpan) for c in ages.citations)
    assert "aged 20 and 26" in ages.citations[0].text and ages.citations[0].doc_id.endswith(DOC)
    assert [r.rank for r in ages.retrieved] == list(range(1, len(ages.retrieved) + 1))
    assert all(isinstance(r, RetrievedSpan) and r.start < r.end for r in ages.retrieved)
    assert ages.verdicts == [JudgedClaim(c.text, (c.n,), True, "quoted verbatim", (c.n,)) for c in ages.citations]
    assert "What is the capital of France?" not in verifier.calls  # refusals are not verified
    assert report.aggregates["retrieval_hit@5"]["n"] == 3
    assert report.aggregates["unanswerable_refused"] == {"mean": 1.0, "n": 1}
    assert report.passed

    saved = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert saved["passed"] is True and saved["thresholds"] == {"refusal_accuracy": 0.5}
    assert saved["aggregates"] == report.aggregates
    first = saved["questions"][0]
    for key in ("question", "answer", "refused", "citations", "retrieval_rank", "correct", "verdicts"):
        assert key in first
    assert first["verdicts"][0]["reason"]
    # The typed rows are written as the plain objects they replaced.
    assert list(first["citations"][0]) == ["n", "doc_id", "title", "text", "start", "end"]
    assert list(first["retrieved"][0]) == ["rank", "doc_id", "start", "end", "score"]
    assert first["gold"] == [{"doc": DOC, "quote": QUOTE}]
    assert first["verdicts"][0] == {"claim": ages.verdicts[0].claim, "cited": [1], "supported": True,
                                    "reason": "quoted verbatim", "supporting": [1]}
    assert saved["questions"][1]["history"] == [{"question": "Which soldiers did Ukraine capture in Kursk?",
                                                 "answer": "Ukraine captured two North Korean soldiers [1]."}]
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "## ages_followup" in markdown and "**Kyiv**" in markdown and "| correctness |" in markdown
    assert (tmp_path / "out" / "metrics.png").read_bytes().startswith(b"\x89PNG")

    again = eval.run(eval_file, assistant=seeded_assistant, verifier=FakeVerifier(), thresholds={})
    assert again.aggregates == report.aggregates
    assert [q.values() for q in again.questions] == [q.values() for q in report.questions]
    assert [q.answer for q in again.questions] == [q.answer for q in report.questions]


def test_runner__an_answer_that_fails_counts_wrong_and_the_run_goes_on(seeded_assistant, tmp_path):
    # A local model timing out on one question once aborted the whole eval (exit 3).
    import eval

    class FailsOnce:
        """The real assistant, whose LLM gives up on one question."""

        def __getattr__(self, name):
            return getattr(seeded_assistant, name)

        def ask(self, question, **options):
            if question.startswith("Where are the wounded"):
                raise rag.LLMError("The LLM service did not finish the answer within RAG_LLM_DEADLINE_S=120 s.")
            return seeded_assistant.ask(question, **options)

    report = eval.run(write_set(tmp_path / "small.jsonl"), out=tmp_path / "out", assistant=FailsOnce(),
                      verifier=FakeVerifier(), thresholds={"refusal_accuracy": 0.5})
    by_id = {q.id: q for q in report.questions}
    assert list(by_id) == ["ages", "ages_followup", "treated_where", "france"]
    failed = by_id["treated_where"]
    assert failed.answer_error.startswith("The LLM service did not finish")
    assert (failed.refused, failed.correct, failed.refusal_correct, failed.retrieval_rank) == (False, False, False, None)
    assert failed.values()["answerable_answered"] == 0.0 and failed.values()["retrieval_hit@5"] == 0.0
    assert by_id["ages"].answer_error is None and by_id["ages"].correct is True
    assert report.aggregates["refusal_accuracy"] == {"mean": 0.75, "n": 4}
    assert "ANSWER FAILED" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_runner__the_offline_verifier_is_deterministic_on_a_seed_subset(seeded_assistant):
    from eval.runner import build_verifier, run
    from eval.evalset import SEEDS_SET

    items = load_eval_set(SEEDS_SET)
    assert len(items) >= 6
    verifier = build_verifier("offline", seeded_assistant, seeded_assistant.settings)
    runs = [run("seeds", limit=6, assistant=seeded_assistant, verifier=verifier, thresholds={}) for _ in range(2)]
    assert runs[0].aggregates == runs[1].aggregates
    assert runs[0].aggregates["faithfulness"]["n"] > 0
    assert [q.verdicts for q in runs[0].questions] == [q.verdicts for q in runs[1].questions]


# -- `rag eval` ---------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, real_embedder):
    import eval.runner
    import rag.answer.assistant

    monkeypatch.setattr(rag.answer.assistant, "build_embedder", lambda settings: real_embedder)
    monkeypatch.setattr(eval.runner, "build_verifier", lambda judge, assistant, settings: FakeVerifier())


def test_cli__exit_codes_follow_the_thresholds(cli_env, tmp_path):
    from rag.cli import main

    eval_file = write_set(tmp_path / "small.jsonl", SMALL_SET[:1] + SMALL_SET[3:])
    easy = tmp_path / "easy.json"
    easy.write_text(json.dumps({"small": {"refusal_accuracy": 0.5, "retrieval_hit@5": 0.5}}))
    hard = tmp_path / "hard.json"
    hard.write_text(json.dumps({"correctness": 1.01}))
    common = ["eval", "--set", str(eval_file), "--data-dir", str(tmp_path / "index"), "-q"]

    passed = CliRunner().invoke(main, [*common, "--thresholds", str(easy), "--out", str(tmp_path / "a")])
    assert passed.exit_code == 0, passed.output
    assert "refusal_accuracy" in passed.output and "pass" in passed.output
    assert (tmp_path / "a" / "report.json").is_file()

    failed = CliRunner().invoke(main, [*common, "--thresholds", str(hard), "--out", str(tmp_path / "b")])
    assert failed.exit_code == 1, failed.output
    assert "below threshold: correctness" in failed.output
    assert json.loads((tmp_path / "b" / "report.json").read_text())["passed"] is False

    # eval/thresholds.json names no set "small": nothing is gated, and it says so plainly
    ungated = CliRunner().invoke(main, [*common, "--out", str(tmp_path / "c")])
    assert ungated.exit_code == 0, ungated.output
    assert "All metrics meet" not in ungated.output
    assert ungated.stderr.startswith("Nothing was gated: eval/thresholds.json has no thresholds for 'small', "
                                     "so the exit code is 0 whatever the scores. To gate, pass --thresholds FILE;")
    assert "thresholds_example.json" in ungated.stderr


def test_thresholds_example__is_a_flat_file_of_known_metrics():
    from eval.cli import EXAMPLE_THRESHOLDS
    from eval.metrics import METRICS
    from eval.runner import load_thresholds

    floors = load_thresholds("my-questions.jsonl", EXAMPLE_THRESHOLDS)
    assert floors and set(floors) <= set(METRICS) and all(0 < v <= 1 for v in floors.values())
    assert {"unanswerable_refused", "answerable_answered", "correctness", "faithfulness"} <= set(floors)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for name, floor in floors.items():  # the README's table explains each one
        assert f"| `{name}` | {floor:g} |" in readme


def test_cli__errors_exit_3(monkeypatch, real_embedder, tmp_path):
    import rag.answer.assistant
    from rag.cli import main

    monkeypatch.setattr(rag.answer.assistant, "build_embedder", lambda settings: real_embedder)
    eval_file = write_set(tmp_path / "small.jsonl", SMALL_SET[:1])
    no_key = CliRunner().invoke(main, ["eval", "--set", str(eval_file), "--judge", "openai",
                                       "--data-dir", str(tmp_path / "index"), "--out", str(tmp_path / "o")])
    assert no_key.exit_code == 3, no_key.output
    assert "Traceback" not in no_key.output and "OPENAI_API_KEY" in no_key.output

    missing = CliRunner().invoke(main, ["eval", "--set", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 3 and "no eval set" in missing.output
