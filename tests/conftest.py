"""Shared fixtures: an isolated data dir per test, and the paths of the demo data."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SQUAD_CORPUS = REPO.parent / "shared" / "benchmarks" / "squad2" / "corpus.jsonl"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The default index is the per-user data dir (platformdirs, under $XDG_DATA_HOME): never the
# real one, not even from a session-scoped fixture (each test gets its own below).
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="newsrag-tests-user-data-")
atexit.register(shutil.rmtree, os.environ["XDG_DATA_HOME"], ignore_errors=True)  # not left behind in /tmp


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's RAG_* variables, .env file or API keys, and none writes
    into the real per-user data dir (the default index): platformdirs puts it under
    $XDG_DATA_HOME, here inside tmp_path (subprocesses inherit it)."""
    for name in list(os.environ):
        if name.startswith("RAG_") or name.startswith("OPENAI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path: Path):
    from rag.config import Settings

    return Settings(data_dir=tmp_path / "index")


@pytest.fixture
def fake_embedder():
    from tests.fakes import FakeEmbedder

    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled MiniLM, loaded once per test session."""
    from rag.config import Settings
    from rag.index.embeddings import build_embedder

    return build_embedder(Settings())


@pytest.fixture
def squad_corpus() -> Path:
    if not SQUAD_CORPUS.is_file():
        pytest.skip(f"SQuAD corpus not found at {SQUAD_CORPUS}")
    return SQUAD_CORPUS
