"""Deciding what an ingest run must do with each article: index, skip, or prune."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ingest.loaders import FileProblem
from ingest.report import Duplicate
from rag.store import StoredDocument
from rag.types import Article


def content_hash(text: str) -> str:
    """sha256 of the stored text: the same article under two paths is indexed once."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def version_of(article: Article, text_hash: str, chunker: str) -> str:
    """Changes whenever anything that shapes the stored chunks or their metadata changes."""
    shaped_by = [text_hash, article.title, list(article.authors), article.published, article.url,
                 article.source, article.subheadline, article.dateline, chunker]
    return hashlib.sha256(json.dumps(shaped_by).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class PlannedArticle:
    article: Article
    content_hash: str
    version: str


@dataclass
class Plan:
    to_index: list[PlannedArticle] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)  # stored docs whose text now lives elsewhere
    problems: list[FileProblem] = field(default_factory=list)


def plan_changes(
    articles: list[Article], stored: dict[str, StoredDocument], chunker: str
) -> Plan:
    """Sort articles into new, updated, unchanged and duplicate, in input order."""
    plan = Plan()
    owners = _live_owners(stored, {a.doc_id for a in articles})
    seen: dict[str, str] = {}
    for article in articles:
        if article.doc_id in seen:
            plan.problems.append(FileProblem(
                article.source_file, f"doc id {article.doc_id!r} appears twice; kept the first"))
            continue
        seen[article.doc_id] = article.source_file
        text_hash = content_hash(article.text)
        owner = owners.setdefault(text_hash, article.doc_id)
        if owner != article.doc_id:
            plan.duplicates.append(Duplicate(article.doc_id, owner))
            if article.doc_id in stored:
                plan.superseded.append(article.doc_id)
            continue
        version = version_of(article, text_hash, chunker)
        previous = stored.get(article.doc_id)
        if previous is not None and previous.version == version:
            plan.unchanged.append(article.doc_id)
            continue
        (plan.updated if previous is not None else plan.new).append(article.doc_id)
        plan.to_index.append(PlannedArticle(article, text_hash, version))
    return plan


def _live_owners(stored: dict[str, StoredDocument], ingesting: set[str]) -> dict[str, str]:
    # A stored document owns its text unless it is being re-ingested now (its new text
    # decides) or its file is gone (a moved file must not be skipped as its own duplicate).
    owners: dict[str, str] = {}
    for doc in stored.values():
        if doc.doc_id in ingesting or not Path(doc.source_file).exists():
            continue
        owners.setdefault(doc.content_hash, doc.doc_id)
    return owners


def prunable(
    stored: dict[str, StoredDocument],
    roots: list[Path],
    seen_doc_ids: set[str],
    loaded_files: set[str],
    failed_files: set[str],
) -> list[str]:
    """Stored docs under `roots` whose file is gone, or whose JSON line is no longer in it.

    A file that failed to load this time keeps its documents: bad input never loses data.
    """
    resolved = [root.resolve() for root in roots]
    doomed = []
    for doc in stored.values():
        source = Path(doc.source_file)
        if doc.doc_id in seen_doc_ids or doc.source_file in failed_files:
            continue
        if not any(source == root or source.is_relative_to(root) for root in resolved):
            continue
        if not source.exists() or doc.source_file in loaded_files:
            doomed.append(doc.doc_id)
    return doomed
