"""Deciding what an ingest run must do with each article: index, skip, move or prune.

An article is matched to a stored document by its source (`ingest.identity`), never by
its name alone, so a run can only ever change the documents of the sources it read.
Deduplication skips a *new* copy of a text already indexed; it never removes anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from ingest.identity import Identified, Renamed, last_resort_name
from ingest.loaders import FileProblem
from ingest.report import Duplicate, Replaced
from rag.index.store import StoredDocument
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


@dataclass(frozen=True)
class Relocation:
    """A stored document whose source is now found elsewhere (or that gains its source
    key): only its metadata changes, nothing is re-embedded."""

    doc_id: str
    source_file: str
    source_key: str
    moved: bool  # False: an index written before source keys, stamped with its key


@dataclass(frozen=True)
class PlanOptions:
    """`add_only`: never update or replace a stored document (uploads). `replace`: a new
    source whose preferred doc id is held by another source takes that document over
    (the explicit `rag ingest --replace`)."""

    add_only: bool = False
    replace: bool = False


@dataclass
class Plan:
    to_index: list[PlannedArticle] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    replaced: list[Replaced] = field(default_factory=list)
    relocations: list[Relocation] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def moved(self) -> list[str]:
        return [r.doc_id for r in self.relocations if r.moved]

    @property
    def doc_ids(self) -> set[str]:
        """Every stored or planned document a source read in this run stands for."""
        return {*self.new, *self.updated, *self.unchanged, *self.moved}


def plan_changes(
    identified: list[Identified],
    stored: dict[str, StoredDocument],
    chunker: str,
    options: PlanOptions = PlanOptions(),
) -> Plan:
    """Sort articles into new, updated, unchanged, moved and duplicate, in input order."""
    plan = Plan()
    matches = _match_stored(identified, stored)
    claimed = {doc.doc_id for doc in matches.values()}
    owners = _live_owners(stored, claimed)
    seen: set[str] = set()
    for item in identified:
        article = item.article
        if article.source_key in seen:
            plan.problems.append(FileProblem(
                article.source_file, f"doc id {article.doc_id!r} appears twice; kept the first"))
            continue
        seen.add(article.source_key)
        text_hash = content_hash(article.text)
        match = matches.get(article.source_key)
        if match is not None:
            _plan_known(plan, item, match, text_hash, chunker, options)
            owners.setdefault(text_hash, match.doc_id)
            continue
        owner = owners.get(text_hash)
        if owner is not None:
            plan.duplicates.append(Duplicate(article.doc_id, owner))
            continue
        doc_id = _plan_new(plan, item, stored, claimed, text_hash, chunker, options)
        claimed.add(doc_id)
        owners.setdefault(text_hash, doc_id)
    return plan


def _plan_known(plan: Plan, item: Identified, match: StoredDocument, text_hash: str, chunker: str,
                options: PlanOptions) -> None:
    """A source indexed before: unchanged, or updated (never under add_only)."""
    article = _named(item, match.doc_id)
    version = version_of(article, text_hash, chunker)
    if match.version == version:
        plan.unchanged.append(match.doc_id)
        if match.source_key != article.source_key:  # an older index: stamp the key, once
            plan.relocations.append(Relocation(match.doc_id, article.source_file, article.source_key, False))
    elif options.add_only:
        plan.problems.append(FileProblem(
            article.source_file,
            f"is already indexed as {match.doc_id!r} with other text; adding articles here never "
            "replaces one (update it with `rag ingest`)"))
    else:
        plan.updated.append(match.doc_id)
        plan.to_index.append(PlannedArticle(article, text_hash, version))


def _plan_new(plan: Plan, item: Identified, stored: Mapping[str, StoredDocument], claimed: set[str],
              text_hash: str, chunker: str, options: PlanOptions) -> str:
    """A source not indexed before: its name, a move of a document whose file is gone,
    or (with `replace`) a takeover; the doc id it got."""
    wanted = item.names[0]
    holder = stored.get(wanted)
    if holder is not None and wanted not in claimed:
        if not Path(holder.source_file).exists() and holder.content_hash == text_hash:
            return _plan_move(plan, item, holder, text_hash, chunker)
        if options.replace and not options.add_only:
            article = _named(item, wanted)
            plan.replaced.append(Replaced(wanted, holder.source_file))
            plan.updated.append(wanted)
            plan.to_index.append(PlannedArticle(article, text_hash, version_of(article, text_hash, chunker)))
            return wanted
    doc_id = next((n for n in item.names if n not in stored and n not in claimed), None)
    if doc_id is None:
        doc_id = last_resort_name(wanted, item.article.source_key, {*stored, *claimed})
    if doc_id != wanted:
        held_by = holder.source_file if holder is not None else "another file in this run"
        plan.renamed.append(Renamed(doc_id, wanted, held_by))
    article = _named(item, doc_id)
    plan.new.append(doc_id)
    plan.to_index.append(PlannedArticle(article, text_hash, version_of(article, text_hash, chunker)))
    return doc_id


def _plan_move(plan: Plan, item: Identified, holder: StoredDocument, text_hash: str, chunker: str) -> str:
    """The same text under the same name, and the stored one's file is gone: it moved."""
    article = _named(item, holder.doc_id)
    version = version_of(article, text_hash, chunker)
    if version == holder.version:
        plan.relocations.append(Relocation(holder.doc_id, article.source_file, article.source_key, True))
    else:
        plan.updated.append(holder.doc_id)
        plan.to_index.append(PlannedArticle(article, text_hash, version))
    return holder.doc_id


def _named(item: Identified, doc_id: str) -> Article:
    """The article under its settled doc id (a file shown by its name is shown by the new one)."""
    article = item.article
    if doc_id == article.doc_id:
        return article
    source = doc_id if article.source == article.doc_id else article.source
    return replace(article, doc_id=doc_id, source=source)


def _match_stored(identified: list[Identified], stored: dict[str, StoredDocument]) -> dict[str, StoredDocument]:
    """source key -> the stored document of that source. A record without a key (an
    index from before keys) is the source it was named after, read from the same file."""
    by_key = {doc.source_key: doc for doc in stored.values() if doc.source_key}
    matches: dict[str, StoredDocument] = {}
    matched: set[str] = set()
    for item in identified:
        article = item.article
        match = by_key.get(article.source_key)
        if match is None:
            legacy = stored.get(item.names[0])
            if legacy is not None and not legacy.source_key and legacy.source_file == article.source_file:
                match = legacy
        if match is not None and match.doc_id not in matched and article.source_key not in matches:
            matches[article.source_key] = match
            matched.add(match.doc_id)
    return matches


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
