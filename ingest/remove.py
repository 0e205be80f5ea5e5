"""Removing documents on request: besides `rag ingest --prune`, the only way anything
leaves the index. Same write lock and server lease as an ingest."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Sequence

from ingest.demo import demo_doc_ids

from rag.index.bm25 import bm25_after_writing
from rag.config import Settings
from rag.index.embeddings import embedder_name
from rag.errors import InvalidInputError
from rag.index.lease import exclusive_writer
from rag.index.store import IndexStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RemoveReport:
    removed: tuple[str, ...]
    not_found: tuple[str, ...]
    documents_total: int

    @property
    def ok(self) -> bool:
        return not self.not_found

    def summary(self) -> str:
        return (f"{len(self.removed)} removed, {len(self.not_found)} not found; "
                f"index holds {self.documents_total} documents")


def remove_documents(doc_ids: Sequence[str], settings: Settings, *, model_name: str | None = None) -> RemoveReport:
    """Remove the documents with these ids (record first, then chunks: crash-safe)."""
    if isinstance(doc_ids, str) or not doc_ids or not all(isinstance(d, str) and d for d in doc_ids):
        raise InvalidInputError("Give a list of one or more document ids to remove.")
    wanted = list(dict.fromkeys(doc_ids))
    return _remove(settings, model_name, lambda store: wanted)


def remove_demo(settings: Settings, *, model_name: str | None = None) -> RemoveReport:
    """`rag demo --remove`: remove every demo article (`ingest.demo.demo_doc_ids`), chosen
    under the same lock that removes them."""
    return _remove(settings, model_name, demo_doc_ids)


def _remove(settings: Settings, model_name: str | None, choose: Callable[[IndexStore], list[str]]) -> RemoveReport:
    with exclusive_writer(settings) as access:
        store = IndexStore(access.client, settings, model_name or embedder_name(settings))
        started = store.start_writing()
        wanted = choose(store)
        stored = store.committed_versions(wanted)  # the records of these only, not a listing
        found = [d for d in wanted if d in stored]
        access.ensure_held()
        for doc_id in found:
            store.delete_document(doc_id)
            logger.info("Removed %s", doc_id)
        access.ensure_held()  # a writer that lost its lease must not mark the index clean
        bm25_after_writing(store, settings.data_dir / "bm25", started)
        return RemoveReport(
            removed=tuple(found),
            not_found=tuple(d for d in wanted if d not in stored),
            documents_total=store.count_documents(),
        )
