"""`ingest_paths`: files and folders in, an up-to-date index out.

Steps: lock the data dir, repair what a killed run left (only after one:
`IndexStore.start_writing`), read the files, plan (new / updated / unchanged / duplicate),
chunk and embed in large batches, write each document (chunks, then its record), prune,
bring the BM25 index in line and mark the index clean (`rag.index.bm25.bm25_after_writing`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from ingest.chunking import CHUNKER_VERSION, chunk_text
from ingest.dates import epoch_day
from ingest.decoding import ENCODING_NAMES
from ingest.demo import settle_demo
from ingest.identity import Identified, last_resort_names
from ingest.loaders import FileProblem, discover, load_articles
from ingest.plan import Plan, PlannedArticle, PlanOptions, content_hash, plan_changes, prunable
from ingest.report import IngestReport
from rag.index.bm25 import bm25_after_writing
from rag.config import Settings
from rag.index.embeddings import Embedder, build_embedder, embedder_name
from rag.errors import InputTooLargeError, InvalidInputError
from rag.index.lease import exclusive_writer
from rag.index.memory import release_free_memory
from rag.index.store import DocumentWrite, IndexStore, StoredDocument
from rag.types import Chunk, MetadataValue

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]  # (documents done, documents in total)
# (characters of new article text embedded, characters to embed): moves inside one long
# article too, which the document count does not (an 850 KB upload is one document).
TextProgressCallback = Callable[[int, int], None]

# Chunks per batch (embedded, then written and committed together): large enough that
# sorting them by length leaves little padding in each model call, small enough that a
# killed run loses little work (under a minute on 2 cores).
EMBED_BATCH_CHUNKS = 1024
# A batch is embedded in slices of this many passages, text progress reported after each
# (one long article is one batch: its progress moves inside it).
EMBED_SLICE = 256
TITLE_WORDS_IN_PASSAGE = 24
# Up to this many articles, a run reads only the stored records it can match (see
# `_stored_for_plan`); more, and it lists them all.
TARGETED_PLAN_MAX_ARTICLES = 200


def passage_for_embedding(title: str, chunk_text: str) -> str:
    """What the model sees for a chunk: its article's title gives it context."""
    short_title = " ".join(title.split()[:TITLE_WORDS_IN_PASSAGE])
    return f"{short_title}\n{chunk_text}"


@dataclass(frozen=True)
class _Prepared:
    planned: PlannedArticle
    chunks: list[Chunk]
    passages: list[str]


def ingest_paths(
    paths: Sequence[str | Path],
    settings: Settings,
    *,
    prune: bool = False,
    replace: bool = False,
    follow_links: bool = False,
    add_only: bool = False,
    namespace: str | None = None,
    max_new_chars: int | None = None,
    embedder: Embedder | None = None,
    progress: ProgressCallback | None = None,
    text_progress: TextProgressCallback | None = None,
    as_demo: bool = False,
) -> IngestReport:
    """Index the articles under `paths`; only new or changed ones are embedded.

    A document is its source (file, and line or id in a JSON Lines file): re-ingesting
    a source updates its document, and nothing else is ever changed or removed except
    by `prune` (documents of files under `paths` that are gone) or `replace` (a new
    source takes over the document holding its preferred doc id). `follow_links` follows
    links that lead out of a named folder. `add_only` (uploads) never updates, replaces
    or removes a stored document; `namespace` names files `<namespace>/<file name>`;
    `max_new_chars` refuses, before anything is written, a run that would index more
    new or changed text than that. `progress` is told the documents done (each counted once
    committed), `text_progress` the characters of new text embedded (it moves within one
    long article too).

    The demo articles, indexed into an empty index only (`as_demo`, by the assistant's
    first-use hook), leave in the run that brings the user's own (`ingest.demo`), unless the
    run names them: `IngestReport.demo_removed`.
    """
    if isinstance(paths, (str, Path)) or not paths:
        raise InvalidInputError("Give a list of one or more files or folders to ingest.")
    if add_only and (prune or replace):
        raise InvalidInputError("add_only cannot be combined with prune or replace: it never removes or replaces anything.")
    started = time.perf_counter()
    roots = [Path(p).expanduser() for p in paths]
    with exclusive_writer(settings) as access:
        model_name = embedder.name if embedder is not None else embedder_name(settings)
        store = IndexStore(access.client, settings, model_name)
        index_state = store.start_writing()
        files, problems, ignored = discover(roots, follow_links=follow_links, namespace=namespace)
        notes: list[str] = []
        identified, loaded, failed = _load_all(files, settings, problems, notes)
        stored = _stored_for_plan(store, identified, prune)
        plan = plan_changes(identified, stored, _chunker_fingerprint(settings), PlanOptions(add_only, replace))
        problems.extend(plan.problems)
        new_chars = sum(len(item.article.text) for item in plan.to_index)
        _check_size(new_chars, max_new_chars)
        reporter = _Progress(progress, text_progress, len(identified), plan, new_chars)
        written = _index_planned(plan, store, embedder, settings, reporter, access.ensure_held)
        access.ensure_held()
        for relocation in plan.relocations:
            store.relocate_document(relocation.doc_id, {
                "source_file": relocation.source_file, "source_key": relocation.source_key})
        pruned = prunable(stored, roots, plan.doc_ids, loaded, failed) if prune else []
        for doc_id in pruned:
            store.delete_document(doc_id)
        demo_removed = settle_demo(store, plan, as_demo=as_demo)
        access.ensure_held()  # a writer that lost its lease must not mark the index clean
        bm25_after_writing(store, settings.data_dir / "bm25", index_state)
        return IngestReport(
            new=tuple(plan.new),
            updated=tuple(plan.updated),
            unchanged=tuple(plan.unchanged),
            duplicates=tuple(plan.duplicates),
            pruned=tuple(pruned),
            problems=tuple(problems),
            ignored_files=ignored,
            chunks_written=written,
            documents_total=store.count_documents(),
            chunks_total=store.count_chunks(),
            seconds=time.perf_counter() - started,
            moved=tuple(plan.moved),
            renamed=tuple(plan.renamed),
            replaced=tuple(plan.replaced),
            notes=tuple(notes),
            demo_removed=demo_removed,
        )


def _stored_for_plan(store: IndexStore, identified: list[Identified], prune: bool) -> dict[str, StoredDocument]:
    """The stored documents the plan may need: every one with `prune` (it looks for records
    whose file is gone), or for a run of a few articles only those it can look up, by a doc
    id they may take, their source keys or their texts (`plan_changes` asks nothing else; with
    the whole listing it takes half a second at 3,700 documents). A big run lists them all:
    one read beats thousands of look-ups."""
    if prune or len(identified) > TARGETED_PLAN_MAX_ARTICLES:
        return store.stored_documents()
    names = [name for item in identified
             for name in (*item.names, *last_resort_names(item.names[0], item.article.source_key))]
    return store.stored_documents_matching(
        doc_ids=names,
        source_keys=[item.article.source_key for item in identified],
        content_hashes=[content_hash(item.article.text) for item in identified],
    )


def _check_size(size: int, max_new_chars: int | None) -> None:
    """Refuse, before anything is embedded, a run of `size` characters of new article text
    over its size limit (UI uploads)."""
    if max_new_chars is not None and size > max_new_chars:
        raise InputTooLargeError(
            f"This would index {size:,} characters of new article text; the limit is "
            f"{max_new_chars:,}. Split it into smaller parts, or index it with `rag ingest`."
        )


class _Progress:
    """Both progress reports of one run: documents committed, and characters embedded."""

    def __init__(
        self, documents: ProgressCallback | None, text: TextProgressCallback | None, total: int, plan: Plan,
        new_chars: int,
    ) -> None:
        self._documents, self._text = documents, text
        self._total = total
        self._done = total - len(plan.to_index)  # unchanged, duplicate or failed: done already
        self._text_total = new_chars
        self._text_done = 0.0

    def start(self) -> None:
        self._report_documents()
        if self._text is not None:
            self._text(0, self._text_total)

    def embedded(self, characters: float) -> None:
        """`characters` more of the new text are embedded (a share of an article: a float)."""
        if characters <= 0:
            return  # nothing moved: no report
        self._text_done += characters
        if self._text is not None:
            self._text(min(self._text_total, round(self._text_done)), self._text_total)

    def committed(self, documents: int) -> None:
        self._done += documents
        self._report_documents()

    def _report_documents(self) -> None:
        if self._documents is not None:
            self._documents(self._done, self._total)


def _index_planned(
    plan: Plan,
    store: IndexStore,
    embedder: Embedder | None,
    settings: Settings,
    progress: _Progress,
    ensure_held: Callable[[], None],
) -> int:
    """Chunk, embed and write the planned articles; the number of chunks written.
    `ensure_held` raises when this writer lost its lease: it is checked before each batch."""
    progress.start()
    if not plan.to_index:
        return 0  # nothing to embed: the model is never even loaded
    embedder = embedder or build_embedder(settings)
    written = 0
    for prepared in _prepared_batches(plan.to_index, embedder, settings):
        ensure_held()
        written += _write_batch(store, embedder, prepared, progress)
        release_free_memory()  # else a long ingest's resident size only grows (rag.index.memory)
        progress.committed(len(prepared))
    return written


def _chunker_fingerprint(settings: Settings) -> str:
    return f"{CHUNKER_VERSION}:{settings.chunk_tokens}:{settings.chunk_overlap_tokens}"


def _load_all(files, settings: Settings, problems: list[FileProblem], notes: list[str]):
    max_bytes = int(settings.max_file_mb * 1_000_000)
    articles: list[Identified] = []
    loaded: set[str] = set()
    failed: set[str] = set()
    for source in files:
        found, file_problems = load_articles(source, max_bytes)
        articles.extend(found)
        problems.extend(file_problems)
        for problem in file_problems:
            logger.info("Skipped %s", problem)
        resolved = str(source.path.resolve())
        (failed if file_problems else loaded).add(resolved)
        assumed = {ENCODING_NAMES.get(item.article.encoding or "") for item in found} - {None}
        notes.extend(f"{source.path}: not UTF-8, decoded as {name}" for name in sorted(assumed, key=str))
    return articles, loaded, failed


def _prepared_batches(
    planned: Iterable[PlannedArticle], embedder: Embedder, settings: Settings
) -> Iterable[list[_Prepared]]:
    batch: list[_Prepared] = []
    batch_chunks = 0
    for item in planned:
        prepared = _prepare(item, embedder, settings)
        batch.append(prepared)
        batch_chunks += len(prepared.chunks)
        if batch_chunks >= EMBED_BATCH_CHUNKS:
            yield batch
            batch, batch_chunks = [], 0
    if batch:
        yield batch


def _prepare(item: PlannedArticle, embedder: Embedder, settings: Settings) -> _Prepared:
    article = item.article
    title_prefix = passage_for_embedding(article.title, "")
    # Special tokens ([CLS], [SEP]) and the title prefix share the model's window.
    room = embedder.max_tokens - 2 - embedder.count_tokens([title_prefix])[0] - 1
    max_tokens = max(16, min(settings.chunk_tokens, room))
    chunks = chunk_text(
        article.text,
        article.doc_id,
        item.version,
        embedder.count_tokens,
        max_tokens,
        min(settings.chunk_overlap_tokens, max_tokens // 2),
    )
    passages = [passage_for_embedding(article.title, c.text) for c in chunks]
    return _Prepared(item, chunks, passages)


def _write_batch(store: IndexStore, embedder: Embedder, batch: list[_Prepared], progress: _Progress) -> int:
    passages = [p for item in batch for p in item.passages]
    # Each passage stands for an equal share of its article's text (an article without
    # passages is all whitespace: its text counts as embedded at once).
    shares = [len(item.planned.article.text) / len(item.passages) for item in batch for _ in item.passages]
    progress.embedded(sum(len(item.planned.article.text) for item in batch if not item.passages))
    # Longest first, so each model call's passages are of about one length: a call pads its
    # passages to its longest. In document order, 256 one-paragraph records a call, 10% of
    # what the model read was padding; sorted across a batch of 1,024, 3% (bare `encode` sorts
    # whatever it is given, which in the ingest benchmark is 5,000 passages: 0.6%).
    order = sorted(range(len(passages)), key=lambda i: len(passages[i]), reverse=True)
    slices = []
    for lo in range(0, len(order), EMBED_SLICE):
        part = order[lo : lo + EMBED_SLICE]
        slices.append(embedder.embed_documents([passages[i] for i in part]))
        progress.embedded(sum(shares[i] for i in part))
    vectors = np.concatenate(slices) if slices else embedder.embed_documents([])
    vectors[order] = vectors.copy()  # back in the passages' order
    ingested_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    writes, offset = [], 0
    for item in batch:
        count = len(item.chunks)
        writes.append(DocumentWrite(item.planned.article.text, document_metadata(item.planned, ingested_at),
                                    item.chunks, np.asarray(vectors[offset : offset + count])))
        offset += count
    store.write_documents(writes)
    for item in batch:
        logger.info("Indexed %s (%d chunks)", item.planned.article.doc_id, len(item.chunks))
    return offset


def document_metadata(planned: PlannedArticle, ingested_at: str) -> dict[str, MetadataValue]:
    """Metadata stored with the document and each of its chunks (Chroma takes no None)."""
    article = planned.article
    metadata: dict[str, MetadataValue | None] = {
        "doc_id": article.doc_id,
        "title": article.title,
        "authors": "; ".join(article.authors) or None,
        "published": article.published,
        "published_day": epoch_day(article.published) if article.published else None,
        "source": article.source,
        "source_file": article.source_file,
        "source_key": article.source_key or None,
        "url": article.url,
        "subheadline": article.subheadline,
        "dateline": article.dateline,
        "encoding": article.encoding,
        "content_hash": planned.content_hash,
        "version": planned.version,
        "ingested_at": ingested_at,
    }
    return {key: value for key, value in metadata.items() if value is not None}
