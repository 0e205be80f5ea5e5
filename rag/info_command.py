"""`rag info`: where the index is, what it holds and how big it is.

It only reads: no model is loaded, the demo articles are never indexed, and an index that
does not exist yet is not created (it says where one would be).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import click

from rag.cli import data_dir_option, fail_cleanly, legacy_index_note, load_settings
from rag.config import Settings, default_data_dir
from rag.errors import RagError
from rag.index.chroma import chroma_errors, make_chroma_client, server_address
from rag.index.embeddings import embedder_name
from rag.index.sentence_store import SENTENCE_STORE_FILE
from rag.index.store import EMBED_MODEL_KEY, CollectionNames, demo_ids_from
from rag.text.unicode import printable


def disk_bytes(folder: Path) -> int:
    """The bytes of every file under `folder` (0 when it does not exist); links are not followed."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # removed while walking
                continue
    return total


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _data_dir_origin(settings: Settings, option: Path | None) -> str:
    if option is not None:
        return "--data-dir"
    if settings.data_dir == default_data_dir():
        return "default"
    return "RAG_DATA_DIR"


@dataclass(frozen=True)
class IndexInfo:
    """What `rag info` reports; `rag info --json` prints its fields."""

    data_dir: str
    data_dir_from: str  # "default", "--data-dir" or "RAG_DATA_DIR"
    mode: str  # "embedded" or "server"
    server: str | None
    collection: str
    exists: bool
    documents: int
    chunks: int
    demo_documents: int
    embed_model: str | None  # the model the index was built with (None: no index yet)
    configured_embed_model: str
    size_bytes: int | None  # embedded: the whole data dir; server mode: None (the server keeps it)
    local_bytes: int | None  # server mode: the BM25 cache and the lock file in the local data dir
    server_version: str | None
    notes: tuple[str, ...]
    # The offline answerer's kept sentence vectors (`rag read-ahead`), part of the sizes above;
    # None: no such file.
    sentence_vectors_bytes: int | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)  # the notes tuple prints as a JSON list


def index_info(settings: Settings, *, origin: str = "RAG_DATA_DIR") -> IndexInfo:
    """What `rag info` reports. Reads Chroma directly (its collections' counts and the model
    they were built with); creates nothing."""
    data_dir = settings.data_dir.resolve()
    info = IndexInfo(
        data_dir=str(data_dir),
        data_dir_from=origin,
        mode="server" if settings.server_mode else "embedded",
        server=server_address(settings) if settings.server_mode else None,
        collection=settings.collection,
        exists=False,
        documents=0,
        chunks=0,
        demo_documents=0,
        embed_model=None,
        configured_embed_model=embedder_name(settings),
        size_bytes=None if settings.server_mode else disk_bytes(data_dir),
        local_bytes=disk_bytes(data_dir) if settings.server_mode else None,
        server_version=None,
        notes=(),
        sentence_vectors_bytes=_file_bytes(data_dir / SENTENCE_STORE_FILE),
    )
    if not settings.server_mode and not (data_dir / "chroma" / "chroma.sqlite3").is_file():
        return _with_notes(info, settings)
    client = make_chroma_client(settings)
    with chroma_errors(settings, "read the index"):
        if settings.server_mode:
            info = replace(info, server_version=str(client.get_version()))
        names = {getattr(c, "name", c) for c in client.list_collections()}
        wanted = CollectionNames.of(settings.collection)
        if wanted.chunks in names and wanted.documents in names:
            chunks = client.get_collection(wanted.chunks, embedding_function=None)
            docs = client.get_collection(wanted.documents, embedding_function=None)
            listed = sorted(demo_ids_from(docs.metadata))
            demo = len(docs.get(ids=listed, include=[])["ids"]) if listed else 0
            built_with = (chunks.metadata or {}).get(EMBED_MODEL_KEY)
            info = replace(info, exists=True, documents=int(docs.count()), chunks=int(chunks.count()),
                           demo_documents=demo, embed_model=None if built_with is None else str(built_with))
    return _with_notes(info, settings)


def _file_bytes(path: Path) -> int | None:
    """The file's size with its SQLite write-ahead log, or None when there is no file."""
    try:
        size = path.stat().st_size
    except OSError:
        return None
    wal = path.with_name(path.name + "-wal")
    return size + (wal.stat().st_size if wal.is_file() else 0)


def _with_notes(info: IndexInfo, settings: Settings) -> IndexInfo:
    notes: list[str] = []
    if info.embed_model is not None and info.embed_model != info.configured_embed_model:
        notes.append(f"Built with {info.embed_model!r}, but RAG_EMBED_MODEL is {info.configured_embed_model!r}: "
                     "searching it fails until they match.")
    if info.demo_documents:
        notes.append(f"{info.demo_documents} of the documents are the demo articles, indexed because the index was "
                     "empty: they leave when you `rag ingest` your own (`rag demo --remove` removes them now, "
                     "`rag demo` keeps them).")
    if info.exists and info.documents == 0:
        notes.append("The index is empty: `rag ask` indexes the demo articles first; `rag ingest PATH` adds yours.")
    legacy = legacy_index_note(settings)
    if legacy is not None:
        notes.append(legacy)
    return replace(info, notes=tuple(notes))


def render_info(info: IndexInfo) -> str:
    """`rag info` for a terminal."""
    origin = {"default": "the per-user default; RAG_DATA_DIR or --data-dir changes it",
              "--data-dir": "from --data-dir", "RAG_DATA_DIR": "from RAG_DATA_DIR"}[info.data_dir_from]
    where = f"{info.data_dir} ({origin})"
    store = (f"Chroma server at {info.server}, collection {info.collection!r}" if info.mode == "server"
             else f"embedded Chroma, collection {info.collection!r}")
    if not info.exists:
        if info.mode == "server":
            lines = [f"No index yet on the {store}; its data dir would be {where}."]
        else:
            lines = [f"No index yet. It will be created in {where}",
                     "by `rag ingest PATH` (your articles) or the first `rag ask` (the demo articles)."]
    else:
        size = (f"{human_size(info.size_bytes)} on disk" if info.size_bytes is not None
                else f"kept by the server (not reported); {human_size(info.local_bytes or 0)} in the local data dir")
        lines = [
            f"Index:      {where}",
            f"Store:      {store}" + (f" (Chroma {info.server_version})" if info.server_version else ""),
            f"Documents:  {info.documents:,}",
            f"Chunks:     {info.chunks:,}",
            f"Model:      {info.embed_model}",
            f"Size:       {size}",
        ]
        if info.sentence_vectors_bytes is not None:
            lines.append(f"Sentences:  {human_size(info.sentence_vectors_bytes)} of it sentence vectors kept for fast "
                         f"first answers ({SENTENCE_STORE_FILE}: `rag read-ahead` fills it; safe to delete)")
    lines += [f"Note: {note}" for note in info.notes]
    return "\n".join(printable(line) for line in lines)


@click.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
@data_dir_option
def info_command(as_json: bool, data_dir: Path | None) -> None:
    """Where the index is, what it holds (documents, chunks, embedding model), whether it is
    embedded or on a Chroma server, and how big it is.

    Only reads: loads no model and indexes nothing. Exit code 0 (also when there is no index
    yet: it says where one would be created), 3 when the index cannot be read.
    """
    settings = load_settings(data_dir)
    try:
        info = index_info(settings, origin=_data_dir_origin(settings, data_dir))
    except RagError as exc:
        raise fail_cleanly(exc) from None
    click.echo(json.dumps(info.as_json(), indent=2, ensure_ascii=False) if as_json else render_info(info))
