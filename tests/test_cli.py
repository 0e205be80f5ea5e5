"""`rag` and `rag ingest` through click's runner: help, output, exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rag.cli import main
from rag.index.lock import write_lock
from tests.helpers import copy_seeds


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_help__lists_ingest_and_explains_the_tool():
    result = run("--help")
    assert result.exit_code == 0
    assert "cite their sources" in result.output and "ingest" in result.output


def test_ingest_help__documents_formats_options_and_exit_codes():
    result = run("ingest", "--help")
    assert result.exit_code == 0
    for words in (".jsonl", ".html", "--prune", "--data-dir", "--json", "Exit code"):
        assert words in result.output


def test_ingest__prints_a_one_line_summary(tmp_path, monkeypatch, fake_embedder):
    _use_fake_embedder(monkeypatch, fake_embedder)
    copy_seeds(tmp_path / "articles")
    first = run("ingest", str(tmp_path / "articles"), "--data-dir", str(tmp_path / "idx"))
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("2 new, 0 updated, 0 unchanged, 0 failed;")
    again = run("ingest", str(tmp_path / "articles"), "--data-dir", str(tmp_path / "idx"))
    assert "0 new, 0 updated, 2 unchanged, 0 failed" in again.output


def test_ingest__failures_are_listed_and_exit_code_is_1(tmp_path, monkeypatch, fake_embedder):
    _use_fake_embedder(monkeypatch, fake_embedder)
    copy_seeds(tmp_path / "articles")
    (tmp_path / "articles" / "broken.jsonl").write_text('{"text": "fine"}\n{oops\n', encoding="utf-8")
    result = run("ingest", str(tmp_path / "articles"), "--data-dir", str(tmp_path / "idx"))
    assert result.exit_code == 1
    assert "broken.jsonl:2: invalid JSON" in result.output
    assert "3 new, 0 updated, 0 unchanged, 1 failed" in result.output


def test_ingest__json_report(tmp_path, monkeypatch, fake_embedder):
    _use_fake_embedder(monkeypatch, fake_embedder)
    copy_seeds(tmp_path / "articles")
    result = run("ingest", str(tmp_path / "articles"), "--json", env={"RAG_DATA_DIR": str(tmp_path / "idx")})
    report = json.loads(result.stdout)
    assert len(report["new"]) == 2 and report["failed"] == 0 and report["chunks_total"] > 0
    assert (tmp_path / "idx" / "chroma").is_dir()


def test_ingest__locked_index_is_a_clean_error_with_exit_code_3(tmp_path, monkeypatch, fake_embedder):
    _use_fake_embedder(monkeypatch, fake_embedder)
    copy_seeds(tmp_path / "articles")
    with write_lock(tmp_path / "idx"):
        result = run("ingest", str(tmp_path / "articles"), "--data-dir", str(tmp_path / "idx"))
    assert result.exit_code == 3
    assert "is being written by pid" in result.output and "Traceback" not in result.output


def test_ingest__invalid_configuration_is_a_clean_error(tmp_path):
    result = run("ingest", str(tmp_path), env={"RAG_CHUNK_TOKENS": "lots"})
    assert result.exit_code == 3
    assert "Invalid configuration: chunk_tokens" in result.output


def test_ingest__needs_a_path():
    result = CliRunner().invoke(main, ["ingest"])
    assert result.exit_code == 2 and "Missing argument 'PATHS...'" in result.output


def _use_fake_embedder(monkeypatch, fake_embedder) -> None:
    # The CLI builds its embedder from settings; swap in the fake where the pipeline looks.
    import ingest.pipeline

    monkeypatch.setattr(ingest.pipeline, "build_embedder", lambda settings: fake_embedder)
    monkeypatch.setattr(ingest.pipeline, "embedder_name", lambda settings: fake_embedder.name)
