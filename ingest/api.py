"""The `rag.ingest` plugin: `Assistant.add(paths)` (and `rag.add`) index through here, with
the assistant's own embedding model, so adding articles never loads a second one."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import Sequence, Union

from ingest.loaders import discover
from ingest.pipeline import ProgressCallback, ingest_paths
from rag.config import Settings
from rag.errors import InvalidInputError
from rag.index.embeddings import Embedder
from rag.types import IngestReport

logger = logging.getLogger(__name__)

PathsLike = Union[str, PathLike[str], Sequence[Union[str, PathLike[str]]]]


def add_paths(
    settings: Settings,
    embedder: Embedder,
    paths: PathsLike,
    *,
    replace: bool = False,
    follow_links: bool = False,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Index the articles under `paths` (one path or a list) with `embedder`, as `rag ingest`
    does (same write lock, never removing anything).

    Every path named must exist, and a file named must be of a kind that can be read: if
    not, `InvalidInputError` names each bad one before the index is touched. What cannot be
    read inside a folder, or inside a file, is in the report's `problems` (and logged).
    """
    roots = _named_paths(paths)
    bad = [problem for root in roots if not root.is_dir() for problem in discover([root])[1]]
    if bad:
        listed = "; ".join(str(problem) for problem in bad)
        raise InvalidInputError(
            f"Nothing was added: {listed}. Name existing .txt, .md, .html/.htm or .jsonl files, "
            "or folders that hold them."
        )
    report = ingest_paths(roots, settings, replace=replace, follow_links=follow_links, embedder=embedder,
                          progress=progress)
    for problem in report.problems:
        logger.warning("Not added: %s", problem)
    return report


def _named_paths(paths: object) -> list[Path]:
    if isinstance(paths, (str, PathLike)):
        paths = [paths]
    if isinstance(paths, (bytes, Mapping)) or not isinstance(paths, Iterable):
        raise InvalidInputError(f"Give a file or folder to add, or a list of them, not {type(paths).__name__}.")
    roots = []
    for path in paths:
        name = os.fspath(path) if isinstance(path, (str, PathLike)) else None
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(f"Each path to add must be a file or folder name, not {path!r}.")
        roots.append(Path(name).expanduser())
    if not roots:
        raise InvalidInputError("Give a file or folder to add, or a list of them: the list is empty.")
    return roots
