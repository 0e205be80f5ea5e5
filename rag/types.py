"""Values that cross module lines: documents, chunks and ingest results.

All are frozen dataclasses so they can be shared between threads and compared
in tests without surprises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

MetadataValue = str | int | float | bool


@dataclass(frozen=True)
class Article:
    """One article as read from a source, before it is indexed.

    `text` is what gets stored and chunked; every offset in the index refers to it.
    """

    doc_id: str
    text: str
    title: str
    source: str
    source_file: str
    authors: tuple[str, ...] = ()
    published: str | None = None  # ISO date, YYYY-MM-DD
    url: str | None = None
    subheadline: str | None = None
    dateline: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A slice of a stored document: `document_text[start:end] == text`."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A stored document with its full text, as `rag.get_document` returns it."""

    doc_id: str
    title: str
    source: str
    text: str
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)
