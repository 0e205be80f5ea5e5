"""The `rag.bootstrap` plugin: fills an empty index with the demo articles on first use."""

from __future__ import annotations

from ingest.pipeline import ingest_paths
from rag.config import Settings
from rag.index.embeddings import Embedder
from rag.seeds import seeds_dir


def ingest_seeds(settings: Settings, embedder: Embedder) -> str:
    """Index the two demo articles; a one-line summary, which the assistant logs (INFO)."""
    folder = seeds_dir()
    report = ingest_paths([folder], settings, embedder=embedder)
    return f"Indexed {len(report.new)} demo articles from {folder} ({report.summary()})."
