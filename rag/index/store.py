"""The index on Chroma: one collection of chunks, one of whole documents.

A document record is the commit marker of its chunks. Writes go chunks first, then
the record, then the removal of the previous version's chunks, so a process killed at
any point leaves either the old or the new version visible; `repair()` sweeps the rest.
Until it does (only a writer repairs), readers see a chunk only if the record of its
document holds the chunk's version (`committed_chunk_ids()`, `committed_versions()`).
Chunk ids are `{doc_id}::{version}::{index:05d}`, where `version` hashes the text and
the chunker settings, so the chunks of two versions of one document never collide.

Several app instances may share one index (a Chroma server). A writer that changed
anything calls `publish_changes()`, which stores a new random "generation" in the
documents collection's metadata; readers compare `generation()` (one cheap call) with the
one they loaded and refresh when it differs. In server mode every Chroma call is wrapped
by `rag.index.chroma.chroma_errors`, so an unreachable server is a `StoreError`, never a raw
HTTP traceback.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.index.chroma import chroma_errors
from rag.config import Settings
from rag.errors import IndexMismatchError, StoreError
from rag.types import Chunk, Document, DocumentInfo, MetadataValue

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
ID_SEPARATOR = "::"
_READ_PAGE = 5000
GENERATION_KEY = "generation"
# The documents collection's metadata key listing the demo articles that were indexed only
# because the index was empty (a JSON list of doc ids); see `ingest.demo`.
DEMO_KEY = "demo_documents"


def demo_ids_from(metadata: Mapping[str, Any] | None) -> frozenset[str]:
    """The demo doc ids a documents collection's metadata lists (none when unreadable)."""
    raw = (metadata or {}).get(DEMO_KEY)
    if not raw:
        return frozenset()
    try:
        ids = json.loads(str(raw))
    except ValueError:
        logger.warning("Ignoring an unreadable list of demo articles in the index: %r", raw)
        return frozenset()
    return frozenset(i for i in ids if isinstance(i, str)) if isinstance(ids, list) else frozenset()


def chunk_id_for(doc_id: str, version: str, index: int) -> str:
    """The stable Chroma id of chunk `index` of one version of a document."""
    return f"{doc_id}{ID_SEPARATOR}{version}{ID_SEPARATOR}{index:05d}"


def _split_chunk_id(chunk_id: str) -> tuple[str, str]:
    doc_id, version, _ = chunk_id.rsplit(ID_SEPARATOR, 2)
    return doc_id, version


def is_committed(chunk_id: str, versions: Mapping[str, str]) -> bool:
    """Whether a record commits this chunk: `versions` (doc_id -> the version its record
    holds) has the chunk's document at the chunk's version."""
    doc_id, version = _split_chunk_id(chunk_id)
    return versions.get(doc_id) == version


@dataclass(frozen=True)
class StoredDocument:
    """What the index knows about one document without reading its text."""

    doc_id: str
    content_hash: str
    version: str
    chunk_count: int
    source_file: str
    source_key: str = ""  # empty for records written before source keys existed


@dataclass(frozen=True)
class StoredChunk:
    """One stored chunk: its text and the metadata written with it (the document's, plus
    `chunk_index`, `start` and `end`)."""

    chunk_id: str
    text: str
    metadata: Mapping[str, MetadataValue]


@dataclass(frozen=True)
class ChunkMatch(StoredChunk):
    """A chunk found by `nearest_chunks`, with its cosine similarity to the query."""

    similarity: float


@dataclass(frozen=True)
class ChunkVector(StoredChunk):
    """A chunk read by `get_chunks`, with its embedding."""

    embedding: np.ndarray = field(compare=False, repr=False)  # an array is not one bool


@dataclass(frozen=True)
class DocumentWrite:
    """One version of a document to store: its text, record metadata, chunks and their vectors."""

    text: str
    metadata: Mapping[str, MetadataValue]
    chunks: Sequence[Chunk]
    embeddings: np.ndarray


@dataclass(frozen=True)
class RepairReport:
    orphan_chunks_removed: int
    incomplete_documents_removed: tuple[str, ...]


@dataclass(frozen=True)
class CollectionNames:
    """The two Chroma collections of the index named `collection` (RAG_COLLECTION)."""

    chunks: str
    documents: str

    @classmethod
    def of(cls, collection: str) -> CollectionNames:
        return cls(f"{collection}_chunks", f"{collection}_documents")


# The collections' metadata key naming the embedding model they were built with.
EMBED_MODEL_KEY = "embed_model"


class IndexStore:
    """Chunks and documents of one index, checked against the embedding model it was built with."""

    def __init__(self, client, settings: Settings, embed_model: str) -> None:
        self._client = client
        self._settings = settings
        self._embed_model = embed_model
        self.changed = False  # set by every write; `publish_changes()` announces them
        marker = {EMBED_MODEL_KEY: embed_model, "schema": SCHEMA_VERSION}
        names = CollectionNames.of(settings.collection)
        try:
            self._chunks = client.get_or_create_collection(
                names.chunks,
                configuration={"hnsw": {"space": "cosine"}},
                metadata=marker,
                embedding_function=None,
            )
            self._docs = client.get_or_create_collection(
                names.documents,
                configuration={"hnsw": {"space": "cosine"}},
                metadata=marker,
                embedding_function=None,
            )
        except Exception as exc:  # chromadb's errors share no useful base class
            if settings.server_mode:
                with chroma_errors(settings, "open the collections"):
                    raise
            raise StoreError(f"Cannot open the Chroma collections: {exc}") from exc
        built_with = (self._chunks.metadata or {}).get(EMBED_MODEL_KEY)
        if built_with != embed_model:
            where = (
                f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
                f"(collection {settings.collection!r})" if settings.server_mode else settings.data_dir
            )
            raise IndexMismatchError(
                f"The index in {where} was built with the embedding model "
                f"{built_with!r}, but {embed_model!r} is configured. Set RAG_EMBED_MODEL back, "
                "or use another RAG_DATA_DIR (or RAG_COLLECTION) for the new model."
            )
        with self._guard("read its batch size"):
            self._max_batch = int(client.get_max_batch_size())

    def _guard(self, action: str):
        return chroma_errors(self._settings, action)

    # -- sharing one index between app instances --------------------------------

    def generation(self) -> str:
        """The marker the last writer published (changes whenever the index changed)."""
        with self._guard("read the index generation"):
            metadata = self._client.get_collection(self._docs.name, embedding_function=None).metadata
        return str((metadata or {}).get(GENERATION_KEY, ""))

    def publish_changes(self) -> str:
        """Tell every reader of this index that it changed: store a new generation marker.

        `collection.modify(metadata=...)` replaces the whole metadata dict, so the
        existing keys (`embed_model`, `schema`) are written back with the new marker.
        """
        generation = uuid.uuid4().hex
        with self._guard("publish the index generation"):
            current = self._client.get_collection(self._docs.name, embedding_function=None).metadata
            self._docs.modify(metadata={**(current or {}), GENERATION_KEY: generation})
        self.changed = False
        return generation

    # -- the demo articles ------------------------------------------------------

    def demo_documents(self) -> frozenset[str]:
        """The documents indexed as the demo, into an empty index that nobody asked them into
        (they may since have been removed: intersect with what is stored)."""
        with self._guard("read the list of demo articles"):
            return demo_ids_from(self._client.get_collection(self._docs.name, embedding_function=None).metadata)

    def set_demo_documents(self, doc_ids: Iterable[str]) -> None:
        """Record which documents are the demo (the whole list; written back with the other keys)."""
        with self._guard("record the list of demo articles"):
            current = self._client.get_collection(self._docs.name, embedding_function=None).metadata
            self._docs.modify(metadata={**(current or {}), DEMO_KEY: json.dumps(sorted(set(doc_ids)))})
        self.changed = True

    # -- reading -----------------------------------------------------------------

    def stored_documents(self) -> dict[str, StoredDocument]:
        """Every committed document, by doc_id."""
        found: dict[str, StoredDocument] = {}
        for _, metadata in self._iter_metadata(self._docs):
            found[str(metadata["doc_id"])] = StoredDocument(
                doc_id=str(metadata["doc_id"]),
                content_hash=str(metadata["content_hash"]),
                version=str(metadata["version"]),
                chunk_count=int(metadata["chunk_count"]),
                source_file=str(metadata.get("source_file", "")),
                source_key=str(metadata.get("source_key", "")),
            )
        return found

    def get_document(self, doc_id: str) -> Document | None:
        """The stored document with its full text, or None when there is no such doc_id."""
        with self._guard("read a document"):
            result = self._docs.get(ids=[doc_id], include=["documents", "metadatas"])
        if not result["ids"]:
            return None
        metadata = dict(result["metadatas"][0])
        return Document(
            doc_id=doc_id,
            title=str(metadata.get("title", doc_id)),
            source=str(metadata.get("source", "")),
            text=result["documents"][0],
            metadata=metadata,
        )

    def nearest_chunks(
        self, embedding: np.ndarray, k: int, where: Mapping[str, object] | None = None
    ) -> list[ChunkMatch]:
        """The `k` chunks closest to `embedding`, best first."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        with self._guard("search the chunks"):
            result = self._chunks.query(
                query_embeddings=[np.asarray(embedding, dtype=np.float32).tolist()],
                n_results=k,
                where=dict(where) if where else None,
                include=["documents", "metadatas", "distances"],
            )
        rows = zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0])
        return [ChunkMatch(chunk_id, text, metadata, 1.0 - float(distance)) for chunk_id, text, metadata, distance in rows]

    def get_chunks(self, chunk_ids: Sequence[str]) -> dict[str, ChunkVector]:
        """Each existing chunk among `chunk_ids`, with its embedding, by chunk id."""
        if not chunk_ids:
            return {}
        with self._guard("read chunks"):
            result = self._chunks.get(ids=list(chunk_ids), include=["documents", "metadatas", "embeddings"])
        return {
            chunk_id: ChunkVector(chunk_id, text, metadata, np.asarray(embedding, dtype=np.float32))
            for chunk_id, text, metadata, embedding in zip(
                result["ids"], result["documents"], result["metadatas"], result["embeddings"]
            )
        }

    def documents(self) -> list[DocumentInfo]:
        """Every stored document's metadata, without its text (for filters and listings);
        the demo articles say so (`DocumentInfo.demo`)."""
        demo = self.demo_documents()
        return [DocumentInfo.from_metadata(metadata, demo=str(metadata["doc_id"]) in demo)
                for _, metadata in self._iter_metadata(self._docs)]

    def chunk_ids(self) -> list[str]:
        return [chunk_id for page in self._pages(self._chunks, include=[]) for chunk_id in page["ids"]]

    def committed_versions(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """doc_id -> the version its record commits, for those of `doc_ids` that have a record.

        One read of the records' metadata (no text, no vectors), cheap enough for every search.
        """
        wanted = list(dict.fromkeys(doc_ids))
        if not wanted:
            return {}
        with self._guard("read the document versions"):
            result = self._docs.get(ids=wanted, include=["metadatas"])
        return {doc_id: str(metadata["version"]) for doc_id, metadata in zip(result["ids"], result["metadatas"])}

    def committed_chunk_ids(self) -> list[str]:
        """The chunks readers may see: those of the version their document's record commits.

        The same as `chunk_ids()` except after a killed write, until the next writer's
        `repair()`: chunks written before their record, or of a version being replaced or
        deleted, are left out. Read-only, so readers can call it.
        """
        chunk_ids = self.chunk_ids()
        versions = {str(m["doc_id"]): str(m["version"]) for _, m in self._iter_metadata(self._docs)}
        return [chunk_id for chunk_id in chunk_ids if is_committed(chunk_id, versions)]

    def chunk_texts(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """chunk_id -> text, for those of `chunk_ids` that are stored (read in pages)."""
        found: dict[str, str] = {}
        wanted = list(dict.fromkeys(chunk_ids))
        with self._guard("read chunk texts"):
            for lo in range(0, len(wanted), _READ_PAGE):
                page = self._chunks.get(ids=wanted[lo : lo + _READ_PAGE], include=["documents"])
                found.update(zip(page["ids"], page["documents"]))
        return found

    def iter_chunks(self) -> Iterator[StoredChunk]:
        """Every stored chunk, read in pages."""
        for page in self._pages(self._chunks, include=["documents", "metadatas"]):
            yield from map(StoredChunk, page["ids"], page["documents"], page["metadatas"])

    def count_chunks(self) -> int:
        with self._guard("count the chunks"):
            return int(self._chunks.count())

    def count_documents(self) -> int:
        with self._guard("count the documents"):
            return int(self._docs.count())

    def _iter_metadata(self, collection: Any) -> Iterator[tuple[str, Mapping[str, MetadataValue]]]:
        """(id, metadata) of every record of `collection`, in pages."""
        for page in self._pages(collection, include=["metadatas"]):
            yield from zip(page["ids"], page["metadatas"])

    def _pages(self, collection: Any, include: list[str]) -> Iterator[Any]:
        """Chroma's `get` results (ids, and the `include`d lists), a page at a time."""
        offset = 0
        while True:
            with self._guard("read the index"):
                page = collection.get(include=include, limit=_READ_PAGE, offset=offset)
            yield page
            if len(page["ids"]) < _READ_PAGE:
                return
            offset += len(page["ids"])

    # -- writing -----------------------------------------------------------------

    def write_document(
        self,
        text: str,
        metadata: Mapping[str, MetadataValue],
        chunks: Sequence[Chunk],
        embeddings: np.ndarray,
    ) -> None:
        """Store one version of one document (see `write_documents`)."""
        self.write_documents([DocumentWrite(text, metadata, chunks, embeddings)])

    def write_documents(self, writes: Sequence[DocumentWrite]) -> None:
        """Store one version of each document: all their chunks, then all their records, then
        drop their older versions' chunks.

        The order is the one-document order, batched: a record (the commit marker) is written
        only after every chunk it names, and an old version's chunks go only after the record
        that replaces it. Batched because each Chroma write costs ~20 ms however small: one by
        one, 10,000 one-chunk records spent twice as long in Chroma as in the model.
        """
        for write in writes:
            if len(write.chunks) != len(write.embeddings):
                raise ValueError(f"{len(write.chunks)} chunks but {len(write.embeddings)} embeddings")
        if not writes:
            return
        versions = {str(w.metadata["doc_id"]): str(w.metadata["version"]) for w in writes}
        chunk_ids = [c.chunk_id for w in writes for c in w.chunks]
        chunk_texts = [c.text for w in writes for c in w.chunks]
        chunk_metadata = [{**w.metadata, "chunk_index": c.index, "start": c.start, "end": c.end}
                          for w in writes for c in w.chunks]
        vectors = np.concatenate([np.asarray(w.embeddings, dtype=np.float32).reshape(len(w.chunks), -1)
                                  for w in writes])
        what = f"write the document {next(iter(versions))!r}" if len(writes) == 1 else f"write {len(writes)} documents"
        self.changed = True
        with self._guard(what):
            for lo in range(0, len(chunk_ids), self._max_batch):
                hi = lo + self._max_batch
                self._chunks.upsert(ids=chunk_ids[lo:hi], embeddings=vectors[lo:hi],
                                    documents=chunk_texts[lo:hi], metadatas=chunk_metadata[lo:hi])
            for lo in range(0, len(writes), self._max_batch):
                part = writes[lo : lo + self._max_batch]
                self._docs.upsert(
                    ids=[str(w.metadata["doc_id"]) for w in part],
                    embeddings=[_mean_direction(np.asarray(w.embeddings)) for w in part],
                    documents=[w.text for w in part],
                    metadatas=[{**w.metadata, "chunk_count": len(w.chunks)} for w in part],
                )
            doc_ids = list(versions)
            for lo in range(0, len(doc_ids), self._max_batch):
                held = self._chunks.get(where={"doc_id": {"$in": doc_ids[lo : lo + self._max_batch]}}, include=[])
                stale = [chunk_id for chunk_id in held["ids"] if not is_committed(chunk_id, versions)]
                for start in range(0, len(stale), self._max_batch):
                    self._chunks.delete(ids=stale[start : start + self._max_batch])

    def relocate_document(self, doc_id: str, updates: Mapping[str, MetadataValue]) -> None:
        """Change metadata of a document and all its chunks without re-embedding (a file
        that moved): chunks first, then the record, so a re-run after a kill redoes it."""
        self.changed = True
        with self._guard(f"update the document {doc_id!r}"):
            ids = self._chunks.get(where={"doc_id": doc_id}, include=[])["ids"]
            for lo in range(0, len(ids), self._max_batch):
                batch = ids[lo : lo + self._max_batch]
                self._chunks.update(ids=batch, metadatas=[dict(updates)] * len(batch))
            self._docs.update(ids=[doc_id], metadatas=[dict(updates)])

    def delete_document(self, doc_id: str) -> None:
        """Remove a document: its record first, so a crash leaves only sweepable orphans."""
        self.changed = True
        with self._guard(f"delete the document {doc_id!r}"):
            self._docs.delete(ids=[doc_id])
            self._chunks.delete(where={"doc_id": doc_id})

    def repair(self) -> RepairReport:
        """Remove chunks no committed record claims, and records whose chunks are missing."""
        documents = self.stored_documents()
        counts: dict[str, int] = {}
        orphans: list[str] = []
        for chunk_id in self.chunk_ids():
            doc_id, version = _split_chunk_id(chunk_id)
            stored = documents.get(doc_id)
            if stored is None or stored.version != version:
                orphans.append(chunk_id)
            else:
                counts[doc_id] = counts.get(doc_id, 0) + 1
        if orphans:
            self.changed = True
        with self._guard("remove orphan chunks"):
            for lo in range(0, len(orphans), self._max_batch):
                self._chunks.delete(ids=orphans[lo : lo + self._max_batch])
        incomplete = tuple(
            doc_id for doc_id, stored in documents.items() if counts.get(doc_id, 0) != stored.chunk_count
        )
        for doc_id in incomplete:
            self.delete_document(doc_id)
        if orphans or incomplete:
            logger.warning(
                "Repaired the index: removed %d orphan chunks and %d incomplete documents",
                len(orphans),
                len(incomplete),
            )
        return RepairReport(len(orphans), incomplete)


def _mean_direction(embeddings: np.ndarray) -> list[float]:
    # The document record needs a vector; the normalised mean of its chunks is a real one.
    if len(embeddings) == 0:
        raise ValueError("a document needs at least one chunk")
    mean = np.asarray(embeddings, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm > 0 else mean).tolist()
