"""One settings object from RAG_* variables and .env; bad values fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rag.config import BUNDLED_EMBED_MODEL, Settings, default_data_dir


def test_settings__defaults_are_offline(tmp_path):
    settings = Settings()
    # the per-user data dir (platformdirs), wherever `rag` runs; conftest points XDG_DATA_HOME into tmp_path
    assert settings.data_dir == tmp_path / "user-data" / "newsrag" == default_data_dir()
    assert settings.embed_model == BUNDLED_EMBED_MODEL
    assert settings.openai_api_key is None and not settings.server_mode


def test_settings__read_from_prefixed_environment(monkeypatch):
    monkeypatch.setenv("RAG_DATA_DIR", "/srv/news-index")
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "120")
    monkeypatch.setenv("RAG_CHROMA_HOST", "chroma.internal")
    monkeypatch.setenv("RAG_CHROMA_PORT", "8123")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("RAG_LLM_MODEL", "llama3.2")
    settings = Settings()
    assert settings.data_dir == Path("/srv/news-index") and settings.chunk_tokens == 120
    assert settings.server_mode and settings.chroma_port == 8123
    assert settings.openai_api_key.get_secret_value() == "sk-test"
    assert "sk-test" not in repr(settings)
    assert settings.openai_base_url == "http://127.0.0.1:11434/v1" and settings.llm_model == "llama3.2"


def test_settings__read_from_dotenv_file_in_current_folder(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("RAG_DATA_DIR=from-dotenv\nRAG_CHROMA_HOST=\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.data_dir == Path("from-dotenv") and not settings.server_mode


def test_settings__environment_beats_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("RAG_DATA_DIR=from-dotenv\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_DATA_DIR", "from-env")
    assert Settings().data_dir == Path("from-env")


def test_settings__with_data_dir_overrides_only_that():
    settings = Settings(chunk_tokens=100).with_data_dir("elsewhere")
    assert settings.data_dir == Path("elsewhere") and settings.chunk_tokens == 100
    assert Settings().with_data_dir(None).data_dir == default_data_dir()


def test_settings__the_default_data_dir_is_the_same_from_every_folder(tmp_path, monkeypatch):
    here = Settings().data_dir
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert Settings().data_dir == here and here.is_absolute()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("chunk_tokens", 1000, "less than or equal to 254"),
        ("chroma_port", 0, "greater than or equal to 1"),
        ("collection", "bad name!", "pattern"),
        ("chunk_overlap_tokens", 100, "must be smaller than RAG_CHUNK_TOKENS"),
    ],
)
def test_settings__invalid_values_are_refused(field, value, message):
    with pytest.raises(ValidationError, match=message):
        Settings(**{field: value, "chunk_tokens": 90} if field == "chunk_overlap_tokens" else {field: value})
