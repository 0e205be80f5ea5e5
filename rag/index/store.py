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

The same metadata holds the writer state, so that a writer repairs (a scan of every chunk id
and record) only when one is needed: a writer calls `start_writing()` first, which repairs
only if the state is not "clean"; the store marks the index "writing" durably before its
first Chroma write, and `finish_writing()` marks it "clean" after the last one. A writer
killed in between leaves "writing", so the next writer repairs; an index written before the
marker existed has none, and is repaired once. A clean state with an unchanged generation
also tells readers that the committed chunks are the ones last published (`rag.index.bm25`).

A writer that started from a clean index also records which documents it changed, and the
generation it started from (`CHANGES_KEY`), when they are few: a reader that loaded that
generation then reads only those documents again (`IndexState.changes_since`), for its
keyword index and its article listing, instead of everything.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
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
# Texts read by id, this many per call: Chroma's memory for one `get` grows with the ids it is
# given and is not handed back. Reading the texts of 17,916 chunks took 262 MB peak in pages
# of 5,000 and 162 MB in pages of 500, in the same time (measured twice each).
_TEXT_PAGE = 500
# Article texts kept from searches' record reads (`IndexStore.committed_versions`): a search
# reads those of ~5-10 articles; the answerer asks for some of them right after.
_RECENT_TEXTS = 64
GENERATION_KEY = "generation"
# The documents collection's metadata key listing the demo articles that were indexed only
# because the index was empty (a JSON list of doc ids); see `ingest.demo`.
DEMO_KEY = "demo_documents"
# The documents collection's metadata key of the writer state: WRITING from before a writer's
# first Chroma write until after its last, then CLEAN. Absent: an index older than the key.
WRITER_STATE_KEY = "writer_state"
WRITING = "writing"
CLEAN = "clean"
# The documents collection's metadata key of the last writer's changes: a JSON object
# {"after": the generation it started from, "documents": the doc ids it wrote or deleted},
# or "" when they are not known (the writer repaired first, or changed too many).
CHANGES_KEY = "last_changes"
MAX_RECORDED_CHANGES = 500


@dataclass(frozen=True)
class IndexState:
    """The shared markers of an index, read in one call: the generation the last writer
    published, and the writer state (CLEAN, WRITING, or "" for an index older than it)."""

    generation: str
    writer_state: str
    # The last writer's changes (`CHANGES_KEY`): the generation it started from, and the
    # documents it wrote or deleted (None when it did not record them).
    changed_after: str = ""
    changed_documents: frozenset[str] | None = None

    @property
    def clean(self) -> bool:
        """True when the last writer finished: every chunk is committed, and nothing changed
        since `generation` was published."""
        return self.writer_state == CLEAN

    def changes_since(self, seen: str | None) -> frozenset[str] | None:
        """The documents that changed since generation `seen` (which a reader loaded), or None
        when that is not known and the reader must read everything again.

        Known when the index is clean and either still at `seen` (nothing changed), or the
        last writer started from a clean index at `seen` and recorded what it changed: every
        write goes through one writer at a time, so nothing else changed in between.
        """
        if not seen or not self.clean or not self.generation:
            return None
        if seen == self.generation:
            return frozenset()
        if self.changed_after == seen:
            return self.changed_documents
        return None

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> IndexState:
        metadata = metadata or {}
        after, documents = _parse_changes(metadata.get(CHANGES_KEY))
        return cls(str(metadata.get(GENERATION_KEY, "")), str(metadata.get(WRITER_STATE_KEY, "")), after, documents)


def _parse_changes(raw: Any) -> tuple[str, frozenset[str] | None]:
    """(after, documents) from a `CHANGES_KEY` value; ("", None) when absent or unreadable."""
    if not raw:
        return "", None
    try:
        changes = json.loads(str(raw))
        after, documents = changes["after"], changes["documents"]
    except (ValueError, TypeError, KeyError):
        return "", None
    if not isinstance(after, str) or not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
        return "", None
    return after, frozenset(documents)


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


def version_of(chunk_id: str) -> str:
    """The version of its document that a chunk belongs to ("" for an id not of `chunk_id_for`'s form)."""
    parts = chunk_id.rsplit(ID_SEPARATOR, 2)
    return parts[1] if len(parts) == 3 else ""


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
class NearestChunk:
    """A chunk found by `nearest_chunks`: its id and its cosine similarity to the query."""

    chunk_id: str
    similarity: float


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


@dataclass(frozen=True)
class _Record:
    """A document record as read: its metadata, and its text when asked for (else "")."""

    metadata: Mapping[str, MetadataValue]
    text: str


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
        self.touched_doc_ids: set[str] = set()  # documents whose chunks or record this store wrote or deleted
        self.relocated_doc_ids: set[str] = set()  # documents whose metadata only it changed
        self._started: IndexState | None = None  # set by `start_writing()`
        self._marked_writing = False
        # The texts of the articles whose records searches read last (`committed_versions(...,
        # with_texts=True)`), by (doc_id, version): a version's text never changes, and the
        # answerer asks for these next (`document_texts`).
        self._recent_texts: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._recent_lock = threading.Lock()

    def _guard(self, action: str):
        return chroma_errors(self._settings, action)

    # -- sharing one index between app instances --------------------------------

    def index_state(self) -> IndexState:
        """The generation and writer state, as stored now (one metadata read)."""
        with self._guard("read the index generation"):
            return IndexState.from_metadata(self._read_metadata())

    def generation(self) -> str:
        """The marker the last writer published (changes whenever the index changed)."""
        return self.index_state().generation

    def publish_changes(self, generation: str | None = None) -> str:
        """Tell every reader of this index that it changed: store a new generation marker
        (`generation`, or a random one). The writer state is left as it is."""
        generation = generation or new_generation()
        with self._guard("publish the index generation"):
            self._update_metadata({GENERATION_KEY: generation, CHANGES_KEY: ""})
        self.changed = False
        return generation

    def _read_metadata(self) -> Mapping[str, Any]:
        # Read from the server, not `self._docs.metadata`: that is a copy from when it was opened.
        return self._client.get_collection(self._docs.name, embedding_function=None).metadata or {}

    def _update_metadata(self, changes: Mapping[str, Any]) -> None:
        """Set some keys of the documents collection's metadata, keeping the others.

        `collection.modify(metadata=...)` replaces the whole dict (chromadb 1.x), so the
        current one is read and written back with `changes`: `embed_model` and `schema` (the
        model check), the generation, the writer state and the demo list all live there.
        Only a writer calls this, under the writer lock, so nothing changes in between.
        """
        self._docs.modify(metadata={**self._read_metadata(), **changes})

    # -- the writer state ---------------------------------------------------------

    def start_writing(self) -> IndexState:
        """A writer's first step (under the writer lock): repair the index if the last writer
        did not finish. Returns the state it found, which `rag.index.bm25.bm25_after_writing`
        needs to know whether the BM25 cache may be brought up to date from this run alone.

        Repairing reads every chunk id and every record (most of a second at 45,000 chunks),
        so it is done only when the state says a writer was killed mid-write (WRITING), or
        when there is no state yet (an index from an older version: repaired once).
        """
        state = self.index_state()
        if not state.clean:
            why = "did not finish" if state.writer_state == WRITING else "predates the writer state marker"
            logger.info("The last write to this index %s: checking it for half-written documents", why)
            self.repair()
        self._started = state
        return state

    def finish_writing(self, generation: str | None = None) -> None:
        """A writer's last step, after its last Chroma write: mark the index clean and, with
        `generation`, publish it (one metadata write, so no reader ever sees the new generation
        with a stale state or the reverse). Writes nothing if there is nothing to record."""
        if self._started is None:
            raise RuntimeError("finish_writing() without start_writing(): the index was never checked")
        if self._marked_writing and not generation:
            # Clean at an unchanged generation tells readers nothing changed (rag.index.bm25).
            raise RuntimeError("finish_writing() after writes needs a new generation to publish")
        changes: dict[str, Any] = {}
        if self._marked_writing or not self._started.clean:
            changes[WRITER_STATE_KEY] = CLEAN
        if generation:
            changes[GENERATION_KEY] = generation
            changes[CHANGES_KEY] = self._recorded_changes()
        if changes:
            with self._guard("record that the write finished"):
                self._update_metadata(changes)
        if generation:
            self.changed = False
        self._marked_writing = False
        self._started = IndexState(generation or self._started.generation, CLEAN)

    def _recorded_changes(self) -> str:
        """What `finish_writing` records of this run's changes: the documents it touched and
        the generation it started from, if it started from a clean index (so nothing else
        changed since that generation) and touched few enough; else "" (readers re-read all)."""
        started = self._started
        if started is None or not started.clean or not started.generation:
            return ""
        changed = self.touched_doc_ids | self.relocated_doc_ids
        if len(changed) > MAX_RECORDED_CHANGES:
            return ""
        if self.generation() != started.generation:  # published by someone else since: never expected
            return ""
        return json.dumps({"after": started.generation, "documents": sorted(changed)})

    @property
    def writing(self) -> bool:
        """Whether this store marked the index WRITING and has not finished since."""
        return self._marked_writing

    def _before_write(self, doc_ids: Iterable[str]) -> None:
        """Called by every write, before it touches Chroma: note the documents it changes and,
        before the first write of this store, mark the index WRITING. The mark is written (and
        acknowledged) before any chunk or record is, so a writer killed at any later point
        leaves WRITING behind, and the next writer repairs."""
        self.changed = True
        self.touched_doc_ids.update(doc_ids)
        if not self._marked_writing:
            with self._guard("mark the index as being written"):
                self._update_metadata({WRITER_STATE_KEY: WRITING})
            self._marked_writing = True

    # -- the demo articles ------------------------------------------------------

    def demo_documents(self) -> frozenset[str]:
        """The documents indexed as the demo, into an empty index that nobody asked them into
        (they may since have been removed: intersect with what is stored)."""
        with self._guard("read the list of demo articles"):
            return demo_ids_from(self._read_metadata())

    def set_demo_documents(self, doc_ids: Iterable[str]) -> None:
        """Record which documents are the demo (the whole list; written back with the other keys)."""
        with self._guard("record the list of demo articles"):
            self._update_metadata({DEMO_KEY: json.dumps(sorted(set(doc_ids)))})
        self.changed = True

    # -- reading -----------------------------------------------------------------

    def stored_documents(self) -> dict[str, StoredDocument]:
        """Every committed document, by doc_id."""
        found: dict[str, StoredDocument] = {}
        for _, metadata in self._iter_metadata(self._docs):
            document = _stored_document(metadata)
            found[document.doc_id] = document
        return found

    def stored_documents_matching(
        self, doc_ids: Iterable[str] = (), source_keys: Iterable[str] = (), content_hashes: Iterable[str] = ()
    ) -> dict[str, StoredDocument]:
        """The committed documents with one of these doc ids, source keys or content hashes,
        by doc_id: what an ingest of a few articles needs to plan, at the cost of those few
        (`stored_documents()` reads every record)."""
        found: dict[str, StoredDocument] = {}
        with self._guard("read the document records"):
            for part in _batches(list(dict.fromkeys(doc_ids)), _READ_PAGE):
                page = self._docs.get(ids=part, include=["metadatas"])
                found.update((d.doc_id, d) for d in map(_stored_document, page["metadatas"]))
            for key, values in (("source_key", source_keys), ("content_hash", content_hashes)):
                for part in _batches(sorted(set(values)), self._max_batch):
                    page = self._docs.get(where={key: {"$in": part}}, include=["metadatas"])
                    found.update((d.doc_id, d) for d in map(_stored_document, page["metadatas"]))
        return found

    def get_document(self, doc_id: str) -> Document | None:
        """The stored document with its full text, or None when there is no such doc_id."""
        return self.get_documents([doc_id]).get(doc_id)

    def get_documents(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        """doc_id -> the stored document with its full text, for those of `doc_ids` that are
        stored: one read for a few (through a Chroma server, one round trip instead of one per
        document), in pages for many."""
        return {
            doc_id: Document(
                doc_id=doc_id,
                title=str(record.metadata.get("title", doc_id)),
                source=str(record.metadata.get("source", "")),
                text=record.text,
                metadata=dict(record.metadata),
            )
            for doc_id, record in self._records_of(doc_ids, "read a document", with_texts=True).items()
        }

    def nearest_chunks(
        self, embedding: np.ndarray, k: int, where: Mapping[str, object] | None = None
    ) -> list[NearestChunk]:
        """The `k` chunks closest to `embedding`, best first: ids and similarities only, as
        the retriever reads the vectors of only the BM25 candidates not among these
        (`chunk_vectors`) and the texts of only those it keeps (`read_chunks`). Asking the search
        for the 40 texts too took 4 ms more embedded and 10 ms more through a Chroma server at
        45,506 chunks."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        with self._guard("search the chunks"):
            result = self._chunks.query(
                query_embeddings=[np.asarray(embedding, dtype=np.float32).tolist()],
                n_results=k,
                where=dict(where) if where else None,
                include=["distances"],
            )
        return [NearestChunk(chunk_id, 1.0 - float(distance))
                for chunk_id, distance in zip(result["ids"][0], result["distances"][0])]

    def chunk_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored embedding of each existing chunk among `chunk_ids`, by chunk id."""
        if not chunk_ids:
            return {}
        with self._guard("read chunk vectors"):
            result = self._chunks.get(ids=list(chunk_ids), include=["embeddings"])
        return {chunk_id: np.asarray(embedding, dtype=np.float32)
                for chunk_id, embedding in zip(result["ids"], result["embeddings"])}

    def read_chunks(self, chunk_ids: Sequence[str]) -> dict[str, StoredChunk]:
        """Each existing chunk among `chunk_ids`, with its text and metadata, by chunk id."""
        if not chunk_ids:
            return {}
        with self._guard("read chunks"):
            result = self._chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        return {chunk_id: StoredChunk(chunk_id, text, metadata)
                for chunk_id, text, metadata in zip(result["ids"], result["documents"], result["metadatas"])}

    def documents(self) -> list[DocumentInfo]:
        """Every stored document's metadata, without its text (for filters and listings);
        the demo articles say so (`DocumentInfo.demo`)."""
        demo = self.demo_documents()
        return [DocumentInfo.from_metadata(metadata, demo=str(metadata["doc_id"]) in demo)
                for _, metadata in self._iter_metadata(self._docs)]

    def documents_of(self, doc_ids: Iterable[str]) -> list[DocumentInfo]:
        """`documents()` for these doc ids only (those that are stored), read in pages."""
        records = self._records_of(doc_ids, "read the document records")
        if not records:
            return []
        demo = self.demo_documents()
        return [DocumentInfo.from_metadata(record.metadata, demo=doc_id in demo) for doc_id, record in records.items()]

    def chunk_ids(self) -> list[str]:
        return [chunk_id for page in self._pages(self._chunks, include=[]) for chunk_id in page["ids"]]

    def committed_versions(self, doc_ids: Iterable[str], *, with_texts: bool = False) -> dict[str, str]:
        """doc_id -> the version its record commits, for those of `doc_ids` that have a record.

        One read of the records' metadata (no vectors), cheap enough for every search. A search
        reads the articles' texts with them (`with_texts`), kept for `document_texts`: the
        answerer's read of the same articles a moment later, which took a request of its own
        (2.5-3.4 ms through a Chroma server, 1-1.5 ms embedded, at 45,508 chunks) against 0.3-1 ms
        more for reading the ~5-10 texts with the records. Not when every one of these documents
        has a text kept already (a next question about the same articles): the records alone then,
        and a version kept under another one (re-ingested since) is read by `document_texts`.
        """
        wanted = list(dict.fromkeys(doc_ids))
        if with_texts:
            with self._recent_lock:
                kept = {doc_id for doc_id, _ in self._recent_texts}
            with_texts = not kept.issuperset(wanted)
        records = self._records_of(wanted, "read the document versions", with_texts=with_texts)
        versions = {doc_id: str(record.metadata["version"]) for doc_id, record in records.items()}
        with self._recent_lock:
            for doc_id, record in records.items():
                key = (doc_id, versions[doc_id])
                if with_texts:
                    self._recent_texts[key] = record.text
                if key in self._recent_texts:
                    self._recent_texts.move_to_end(key)
            while len(self._recent_texts) > _RECENT_TEXTS:
                self._recent_texts.popitem(last=False)
        return versions

    def document_texts(self, versions: Mapping[str, str]) -> dict[str, str]:
        """doc_id -> text, for those of `versions` (doc_id -> version) that are stored: the
        text of that version when a search read it just now (`committed_versions`), the stored
        text otherwise, whatever its version, read in one call."""
        found: dict[str, str] = {}
        with self._recent_lock:
            for doc_id, version in versions.items():
                text = self._recent_texts.get((doc_id, version))
                if text is not None:
                    found[doc_id] = text
        missing = [doc_id for doc_id in versions if doc_id not in found]
        if missing:
            found.update((doc_id, record.text)
                         for doc_id, record in self._records_of(missing, "read a document", with_texts=True).items())
        return found

    def _records_of(
        self, doc_ids: Iterable[str], action: str, *, with_texts: bool = False
    ) -> dict[str, _Record]:
        """doc_id -> record (its metadata, and its text if asked), for those of `doc_ids` that
        have a record (read by id, in pages)."""
        wanted = list(dict.fromkeys(doc_ids))
        found: dict[str, _Record] = {}
        include = ["documents", "metadatas"] if with_texts else ["metadatas"]
        page = _TEXT_PAGE if with_texts else _READ_PAGE
        with self._guard(action):
            for lo in range(0, len(wanted), page):
                result = self._docs.get(ids=wanted[lo : lo + page], include=include)
                texts = result["documents"] if with_texts else [""] * len(result["ids"])
                found.update((doc_id, _Record(metadata, text))
                             for doc_id, metadata, text in zip(result["ids"], result["metadatas"], texts))
        return found

    def committed_chunk_ids(self) -> list[str]:
        """The chunks readers may see: those of the version their document's record commits.

        The same as `chunk_ids()` except after a killed write, until the next writer's
        `repair()`: chunks written before their record, or of a version being replaced or
        deleted, are left out. Read-only, so readers can call it.
        """
        chunk_ids = self.chunk_ids()
        versions = {str(m["doc_id"]): str(m["version"]) for _, m in self._iter_metadata(self._docs)}
        return [chunk_id for chunk_id in chunk_ids if is_committed(chunk_id, versions)]

    def committed_chunk_ids_of(self, doc_ids: Iterable[str]) -> list[str]:
        """`committed_chunk_ids()` restricted to these documents: reads only their chunk ids
        and records, so its cost follows the documents asked about, not the index."""
        wanted = list(dict.fromkeys(doc_ids))
        found: list[str] = []
        for lo in range(0, len(wanted), self._max_batch):
            part = wanted[lo : lo + self._max_batch]
            versions = self.committed_versions(part)
            if not versions:
                continue
            with self._guard("read the chunk ids"):
                held = self._chunks.get(where={"doc_id": {"$in": sorted(versions)}}, include=[])["ids"]
            found.extend(chunk_id for chunk_id in held if is_committed(chunk_id, versions))
        return found

    def chunk_texts(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """chunk_id -> text, for those of `chunk_ids` that are stored (read in pages)."""
        found: dict[str, str] = {}
        wanted = list(dict.fromkeys(chunk_ids))
        with self._guard("read chunk texts"):
            for lo in range(0, len(wanted), _TEXT_PAGE):
                page = self._chunks.get(ids=wanted[lo : lo + _TEXT_PAGE], include=["documents"])
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
        self._before_write(versions)
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
        that moved): chunks first, then the record, so a re-run after a kill redoes it.
        Its chunk ids and texts stay as they are, so it is not a touched document (its
        record changed, though: it is among the changes recorded for readers' listings)."""
        self._before_write(())
        self.relocated_doc_ids.add(doc_id)
        with self._guard(f"update the document {doc_id!r}"):
            ids = self._chunks.get(where={"doc_id": doc_id}, include=[])["ids"]
            for lo in range(0, len(ids), self._max_batch):
                batch = ids[lo : lo + self._max_batch]
                self._chunks.update(ids=batch, metadatas=[dict(updates)] * len(batch))
            self._docs.update(ids=[doc_id], metadatas=[dict(updates)])

    def delete_document(self, doc_id: str) -> None:
        """Remove a document: its record first, so a crash leaves only sweepable orphans."""
        self._before_write([doc_id])
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
            self._before_write({_split_chunk_id(chunk_id)[0] for chunk_id in orphans})
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


def _stored_document(metadata: Mapping[str, MetadataValue]) -> StoredDocument:
    return StoredDocument(
        doc_id=str(metadata["doc_id"]),
        content_hash=str(metadata["content_hash"]),
        version=str(metadata["version"]),
        chunk_count=int(metadata["chunk_count"]),
        source_file=str(metadata.get("source_file", "")),
        source_key=str(metadata.get("source_key", "")),
    )


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]


def new_generation() -> str:
    """A fresh generation marker: random, so two writers never publish the same one."""
    return uuid.uuid4().hex


def _mean_direction(embeddings: np.ndarray) -> list[float]:
    # The document record needs a vector; the normalised mean of its chunks is a real one.
    if len(embeddings) == 0:
        raise ValueError("a document needs at least one chunk")
    mean = np.asarray(embeddings, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm > 0 else mean).tolist()
