"""Ask questions about news articles; every answer cites the passage it came from."""

from rag.config import Settings
from rag.embeddings import Embedder, build_embedder
from rag.errors import (
    ConfigurationError,
    IndexLockedError,
    IndexMismatchError,
    InvalidInputError,
    ModelError,
    ModelIntegrityError,
    RagError,
    StoreError,
)
from rag.seeds import seeds_dir
from rag.types import Article, Chunk, Document

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Chunk",
    "ConfigurationError",
    "Document",
    "Embedder",
    "IndexLockedError",
    "IndexMismatchError",
    "InvalidInputError",
    "ModelError",
    "ModelIntegrityError",
    "RagError",
    "Settings",
    "StoreError",
    "__version__",
    "build_embedder",
    "seeds_dir",
]
