"""Tests for eval.bench: the ingest benchmark on a tiny corpus, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import ingest
from eval import bench

ARTICLES = [
    {
        "id": "floods",
        "title": "Rivers rise after record storm",
        "text": "Heavy rain fell across the valley on Tuesday. The river rose two metres overnight. "
        "Officials opened three shelters for families who left their homes.",
    },
    {
        "id": "budget",
        "title": "City council passes budget",
        "text": "The council approved the budget by seven votes to two. Spending on buses grows "
        "by a tenth.\n\nThe mayor said the plan keeps taxes flat for a second year.",
    },
    {
        "id": "match",
        "title": "Home side wins the final",
        "text": "The home side won the final 2-1 after extra time. Their captain scored the winner "
        "in the 112th minute, and fans filled the square until midnight.",
    },
]

NUMBERS = [
    "documents", "chunks", "wall_seconds", "cpu_seconds", "chunks_per_second", "peak_rss_mb",
    "bare_encode_seconds", "bare_encode_chunks_per_second", "ratio_to_bare_encode",
    "reingest_seconds", "overall_peak_rss_mb", "embedding_seconds_inside_ingest",
]


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "tiny.jsonl"
    corpus.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    return corpus


def test_ingest_benchmark_on_a_tiny_corpus(tiny_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "result" / "bench.json"
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(
        bench.cli,
        ["ingest", "--corpus", str(tiny_corpus), "--data-dir", str(data_dir), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)  # stdout holds the JSON object and nothing else
    assert json.loads(out.read_text(encoding="utf-8")) == payload

    assert payload["benchmark"] == "ingest"
    assert payload["corpus"] == str(tiny_corpus.resolve())
    for name in NUMBERS:
        assert isinstance(payload[name], (int, float)) and payload[name] > 0, name
    assert payload["documents"] == 3
    assert payload["chunks"] >= 3  # at least one chunk per article
    assert payload["target_ratio"] == 0.8
    assert payload["meets_target"] == (payload["ratio_to_bare_encode"] >= 0.8)
    assert payload["overall_peak_rss_mb"] >= payload["peak_rss_mb"]
    assert payload["machine"]["cpus"] >= 1 and payload["machine"]["torch_threads"] >= 1
    assert payload["embedding_seconds_inside_ingest"] <= payload["wall_seconds"]
    assert payload["summary"].startswith("3 new, 0 updated, 0 unchanged, 0 failed")
    assert payload["reingest_summary"].startswith("0 new, 0 updated, 3 unchanged, 0 failed; 0 chunks")
    assert (data_dir / "chroma").is_dir()  # a --data-dir given is kept


def test_recorded_passages_are_exactly_what_the_model_embedded(tiny_corpus: Path, tmp_path: Path) -> None:
    import rag
    from eval.bench_ingest import RecordingEmbedder
    from tests.fakes import FakeEmbedder

    recorder = RecordingEmbedder(FakeEmbedder())
    report = ingest.ingest_paths([tiny_corpus], rag.Settings(data_dir=tmp_path / "d"), embedder=recorder)
    assert len(recorder.passages) == report.chunks_written == len(recorder._inner.embedded)
    assert recorder.passages[0].startswith("Rivers rise after record storm\nHeavy rain fell")


def test_a_non_empty_data_dir_is_refused(tiny_corpus: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "used"
    data_dir.mkdir()
    (data_dir / "something").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(bench.cli, ["ingest", "--corpus", str(tiny_corpus), "--data-dir", str(data_dir)])
    assert result.exit_code != 0
    assert "not an empty folder" in result.output


def test_a_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(bench.cli, ["ingest", "--corpus", str(tmp_path / "nope.jsonl")])
    assert result.exit_code != 0
    assert "does not exist" in result.output


def test_default_corpus_is_found_or_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # nothing at ../shared from here: falls back to the repository
    try:
        found = bench.default_corpus()
    except bench.BenchmarkError as exc:
        assert "--corpus" in str(exc)
    else:
        assert found.name == "corpus.jsonl" and found.is_file()


def test_temp_data_dir_is_deleted(tmp_path: Path) -> None:
    with bench.fresh_data_dir(None) as directory:
        assert directory.is_dir() and not any(directory.iterdir())
        (directory / "file").write_text("x", encoding="utf-8")
    assert not directory.exists()


def test_ask_benchmark_on_the_seed_questions(tmp_path: Path, monkeypatch) -> None:
    import rag.answer.assistant
    from eval.evalset import load_eval_set

    monkeypatch.setattr(rag.answer.assistant, "build_embedder", _shared_model())
    result = CliRunner().invoke(bench.cli, ["ask", "--no-cold", "--seeds-dir", str(tmp_path / "seeds")])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    seeds = payload["seeds"]
    assert seeds["questions"] == len(load_eval_set())
    assert 0 <= seeds["unanswerable_refused"] <= 1 and seeds["answerable_answered"] >= 0.5
    assert seeds["warm_latency_ms"]["p50"] > 0
    # Asked again without the answerer's sentence cache: every question reads its passages.
    assert seeds["new_content_latency_ms"]["questions"] == len(load_eval_set())
    assert seeds["new_content_latency_ms"]["p50"] > seeds["warm_latency_ms"]["p50"]
    thresholds = [row["threshold"] for row in payload["calibration"]]
    answered = [row["seeds"]["answerable_answered"] for row in payload["calibration"]]
    assert thresholds == sorted(thresholds) and answered == sorted(answered, reverse=True)


def _shared_model():
    import rag

    model = rag.build_embedder(rag.Settings())
    return lambda settings: model


def test_retrieval_benchmark__llama_index_baseline_searches_our_chunks(tiny_corpus: Path, tmp_path: Path) -> None:
    pytest.importorskip("llama_index.retrievers.bm25")  # the `bench` extra (the test extras include it)
    from eval.bench_retrieval import run_retrieval_benchmark

    asked = [("floods", "How far did the river rise overnight?", "two metres"),
             ("budget", "By how many votes was the budget approved?", "seven votes to two"),
             ("match", "Who scored the winner of the final?", "Their captain")]
    texts = {a["id"]: a["text"] for a in ARTICLES}
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps({
        "id": f"q{i}", "question": q, "doc_id": doc, "answerable": True,
        "answers": [{"text": gold, "start": texts[doc].index(gold), "end": texts[doc].index(gold) + len(gold)}],
    }) + "\n" for i, (doc, q, gold) in enumerate(asked)), encoding="utf-8")

    payload = run_retrieval_benchmark(tiny_corpus, questions, tmp_path / "index")
    results = payload["results"]
    assert set(payload["baselines"]) == {"dense", "bm25", "rrf", "llamaindex_vector", "llamaindex_fusion"}
    assert payload["llamaindex"]["same_chunks_as_ours"] and payload["llamaindex"]["chunks"] == payload["chunks"]
    for name, scores in results.items():
        assert scores["questions"] == 3 and scores["latency_ms_p50"] > 0, name
        # Fewer than 10 chunks: a baseline that placed its passages wrongly would miss here.
        assert scores["hit@10"] == 1.0, name
    # The same chunks embedded the same way: llama-index's vector search ranks as our dense one.
    assert results["llamaindex_vector"]["mrr@10"] == results["dense"]["mrr@10"]


def test_squad_cross_validated__each_question_asked_with_its_folds_model(tiny_corpus: Path, tmp_path: Path) -> None:
    import rag
    from eval.bench_answers import squad_cross_validated
    from rag.answer.answer_model import MODEL_FILE

    embedder = rag.build_embedder(rag.Settings())
    index = tmp_path / "index"
    report = ingest.ingest_paths([tiny_corpus], rag.Settings(data_dir=index), embedder=embedder)
    assert not report.problems
    questions = tmp_path / "questions.jsonl"
    rows = [
        ("floods", "How far did the river rise overnight?", "two metres"),
        ("budget", "By how many votes did the council approve the budget?", "seven votes to two"),
        ("match", "When did the captain score the winner?", "112th minute"),
    ]
    questions.write_text("".join(
        json.dumps({"doc_id": doc, "question": q, "answerable": True, "answers": [{"text": a}]}) + "\n" for doc, q, a in rows
    ), encoding="utf-8")
    folds = tmp_path / "folds"
    folds.mkdir()
    bundled = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    # fold 0 answers whatever the evidence; fold 1's threshold refuses every question it is asked
    for number, (articles, threshold) in enumerate([(["floods", "budget"], 0.0), (["match"], 1.0)]):
        model = bundled | {"fold": number, "scored_on": articles, "min_evidence": threshold}
        (folds / f"fold{number}.json").write_text(json.dumps(model), encoding="utf-8")

    result = squad_cross_validated(index, questions, folds, embedder, limit=None)

    assert result["questions"] == 3 and result["folds"] == 2
    assert result["answerable_answered"] == pytest.approx(2 / 3, abs=0.001)  # the match question: refused by fold 1
    assert result["correct_of_answered"] == 1.0
    assert 1.0 <= result["sentences_per_answer"] <= 3.0
    assert [row["threshold"] for row in result["curve"]] == sorted(row["threshold"] for row in result["curve"])
    assert result["curve"][0]["answerable_answered"] == 1.0  # pooled, at a low common threshold: all three answered


def test_squad_cross_validated__no_fold_models_is_a_clear_error(tmp_path: Path) -> None:
    from eval.bench_answers import squad_cross_validated

    with pytest.raises(FileNotFoundError, match="--fold-models"):
        squad_cross_validated(tmp_path, tmp_path / "q.jsonl", tmp_path, None, limit=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("decided_by", "answered_at_0_9"), [("judge", False), ("description", True)])
def test_an_answer_a_rule_decided_is_answered_at_every_threshold(decided_by: str, answered_at_0_9: bool) -> None:
    from eval.outcomes import outcome_of
    from rag import Answer
    from rag.types import Evidence

    evidence = Evidence(0.4, 0.5, 0.5, 0.5, 1.0, decided_by=decided_by)
    answer = Answer("Who is X?", "Who is X?", "X, a general, spoke [1].", False, (), (), "extractive", evidence=evidence)
    outcome = outcome_of(True, answer, True, 0.01)
    assert not outcome.refused_at(0.3)
    assert outcome.refused_at(0.9) is not answered_at_0_9


def test_scale_latency__a_first_answer_is_timed_with_its_question_embedded(tiny_corpus: Path, tmp_path: Path) -> None:
    import rag
    from eval.bench_scale import ArticleQuestions, _warm_latency

    settings = rag.Settings(data_dir=tmp_path / "d")
    ingest.ingest_paths([tiny_corpus], settings)
    asked = [ArticleQuestions(f"What happened: {a['title']}?", f"What else is known about {a['title']}?")
             for a in ARTICLES]
    result = _warm_latency(settings, asked)
    assert result["questions"] == len(ARTICLES)
    # Until 2026-12-04 the search was timed first, leaving the question embedded: the answer was
    # then timed without its question's embedding (~14 ms of ~100 at 45,508 chunks).
    embedding = result["question_embedding"]["p50_ms"]
    assert embedding > 0
    assert result["retrieval"]["p50_ms"] > embedding and result["p50_ms"] > embedding
    assert result["next_question"]["p50_ms"] > 0


def test_scale_latency__quiz_questions_are_asked_about_texts_added_to_a_copy(tiny_corpus: Path, tmp_path: Path) -> None:
    import rag
    from eval.bench_scale import ARTICLE, QUESTION, _quiz_latency

    index = tmp_path / "d"
    ingest.ingest_paths([tiny_corpus], rag.Settings(data_dir=index))
    quiz = tmp_path / "quiz"
    quiz.mkdir()
    (quiz / "corpus.jsonl").write_text(json.dumps({"id": "harbour", "title": "Port Ellis", "text": ARTICLE}) + "\n",
                                       encoding="utf-8")
    questions = [("harbour", QUESTION), ("harbour", "How much will the repairs cost?"), ("other", "Who won?")]
    (quiz / "questions.jsonl").write_text(
        "".join(json.dumps({"doc_id": doc, "question": q}) + "\n" for doc, q in questions), encoding="utf-8")
    result = _quiz_latency(index, quiz)
    assert result["questions"] == 1  # a text with one question has no next question: left out
    assert result["p50_ms"] > 0 and result["next_question"]["p50_ms"] > 0
    # The index itself is left as it was: the quiz went into a copy.
    listed = rag.Assistant(rag.Settings(data_dir=index), auto_seed=False).list_documents()
    assert sorted(d.doc_id for d in listed) == sorted(a["id"] for a in ARTICLES)
