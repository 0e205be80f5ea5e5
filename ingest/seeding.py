"""Indexing the demo articles: the `rag.bootstrap` plugin (into an empty index, as the demo)
and `rag demo` (because the user asked, so they stay). When they leave: `ingest.demo`."""

from __future__ import annotations

from ingest.pipeline import ingest_paths
from rag.config import Settings
from rag.index.embeddings import Embedder
from rag.seeds import seeds_dir
from rag.types import IngestReport


def ingest_seeds(settings: Settings, embedder: Embedder) -> str:
    """Index the demo articles into an empty index, listed as the demo (they leave when the
    user's own articles arrive); a one-line summary, which the assistant logs (INFO)."""
    folder = seeds_dir()
    report = ingest_paths([folder], settings, embedder=embedder, as_demo=True)
    return f"Indexed {len(report.new)} demo articles from {folder} ({report.summary()})."


def add_demo(settings: Settings, embedder: Embedder | None = None) -> IngestReport:
    """`rag demo`: index the demo articles because the user asked, so they stay."""
    return ingest_paths([seeds_dir()], settings, embedder=embedder)
