"""The fitted answer model: the bundled one by default, another fitted file through
RAG_ANSWER_MODEL (how the end-to-end cross-validation asks with fold models, and how a
newsroom would use a model fitted on its own labels), and a clear error for a file that
cannot serve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag import Assistant, Settings
from rag.answer.answer_model import MODEL_FILE, load_answer_model
from rag.errors import ConfigurationError
from tests.fakes import FakeEmbedder
from tests.helpers import seeded_settings

QUESTION = "What did Kim Jong Un pledge?"


@pytest.fixture(scope="module")
def index_settings(tmp_path_factory) -> Settings:
    return seeded_settings(tmp_path_factory, "answer-model-index")


def model_file(folder: Path, **changes: object) -> Path:
    path = folder / "fitted.json"
    path.write_text(json.dumps(json.loads(MODEL_FILE.read_text(encoding="utf-8")) | changes), encoding="utf-8")
    return path


def test_a_fitted_model_file_replaces_the_bundled_one(index_settings: Settings, tmp_path: Path) -> None:
    bundled = Assistant(index_settings, embedder=FakeEmbedder()).ask(QUESTION)
    assert bundled.evidence is not None
    probability = bundled.evidence.probability

    def ask_with(threshold: float, folder: str):
        (tmp_path / folder).mkdir()
        path = model_file(tmp_path / folder, min_evidence=threshold)  # the same weights, another threshold
        settings = index_settings.model_copy(update={"answer_model": path})
        return Assistant(settings, embedder=FakeEmbedder()).ask(QUESTION)

    lenient, strict = ask_with(max(0.0, probability - 0.01), "lenient"), ask_with(min(1.0, probability + 0.01), "strict")
    assert not lenient.refused and strict.refused
    assert lenient.evidence is not None and lenient.evidence.probability == pytest.approx(probability)


def test_the_model_file_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = model_file(tmp_path, min_evidence=0.9)
    monkeypatch.setenv("RAG_ANSWER_MODEL", str(path))
    settings = Settings()
    assert settings.answer_model == path
    assert load_answer_model(settings.answer_model).min_evidence == 0.9
    assert load_answer_model(None).min_evidence == load_answer_model(MODEL_FILE).min_evidence != 0.9


@pytest.mark.parametrize(
    "content, words",
    [
        (None, "No such file"),
        ("{not json", "Expecting property name"),
        (json.dumps({"ranker": {"bias": 0, "weights": {}, "mean": {}, "scale": {}}}), "refit it"),
    ],
    ids=["missing", "not-json", "lacks-weights"],
)
def test_a_model_file_that_cannot_serve_is_a_configuration_error(
    index_settings: Settings, tmp_path: Path, content: str | None, words: str
) -> None:
    path = tmp_path / "model.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assistant = Assistant(index_settings.model_copy(update={"answer_model": path}), embedder=FakeEmbedder())
    with pytest.raises(ConfigurationError) as raised:
        assistant.ask(QUESTION)
    message = str(raised.value)
    assert str(path) in message and words in message and "RAG_ANSWER_MODEL" in message


def test_rag_ask_names_a_bad_model_file_without_a_traceback(
    real_embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rag.answer.assistant
    from rag.cli import main

    monkeypatch.setattr(rag.answer.assistant, "build_embedder", lambda settings: real_embedder)
    missing = tmp_path / "nowhere.json"
    monkeypatch.setenv("RAG_ANSWER_MODEL", str(missing))
    result = CliRunner().invoke(main, ["ask", QUESTION, "--data-dir", str(tmp_path / "index")])  # seeds the demo
    assert result.exit_code == 3
    assert str(missing) in result.output and "RAG_ANSWER_MODEL" in result.output and "Traceback" not in result.output
