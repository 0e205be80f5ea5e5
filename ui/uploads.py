"""Uploaded files: saved under `data_dir/uploads` with safe names, then ingested.

A name from the browser is never trusted: directory parts, `..`, drive letters and odd
characters are dropped, and the file is created exclusively inside the uploads folder
(a different file under the same name gets `-1`, `-2`, ... appended).

An upload only ever *adds*: it is ingested add-only, its documents are named
`uploads/<file>` (a JSON line's id becomes `uploads/<file>#<id>`), so it can never
update, replace or remove a document indexed by anyone else. One upload may add at most
RAG_UI_UPLOAD_MAX_CHARS characters of text, so it never keeps other users' uploads
waiting for long (uploads take turns).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ingest import ingest_paths
from rag import Assistant, IndexLockedError, InputTooLargeError, RagError, Settings
from ui.render import chat_text, name_text

UPLOADS_NAMESPACE = "uploads"

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl")
MAX_STEM_CHARS = 100


class UploadProgress:
    """What an upload shows while it is indexed: the share of its new text embedded, which
    moves inside one long article too (ingest's `text_progress`), and how many of its
    articles are done (`progress`). `show(fraction, description)` draws it (gr.Progress)."""

    def __init__(self, show: Callable[[float, str], None]) -> None:
        self._show = show
        self._documents = (0, 0)
        self._text = (0, 0)

    def documents(self, done: int, total: int) -> None:
        self._documents = (done, total)
        self._draw()

    def text(self, done: int, total: int) -> None:
        self._text = (done, total)
        self._draw()

    def _draw(self) -> None:
        done, total = self._documents
        if not total:
            return
        text_done, text_total = self._text
        fraction = text_done / text_total if text_total else done / total
        self._show(fraction, f"Indexing: {done} of {total} articles done")


def uploads_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / UPLOADS_NAMESPACE


def safe_name(name: str) -> str:
    """A plain file name from an untrusted one: last path part only, no leading dots,
    letters (any script), digits, space, `-`, `_` and `.` only."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", str(name)))[-1]
    base = "".join(ch if ch.isalnum() or ch in "-_. " else "_" for ch in base)
    base = re.sub(r"\s+", " ", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem.strip(" .")[:MAX_STEM_CHARS] or "upload"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def is_supported(name: str) -> bool:
    return Path(safe_name(name)).suffix.lower() in SUPPORTED_SUFFIXES


def save_upload(source: str | Path, folder: Path, name: str | None = None) -> Path:
    """Copy `source` into `folder` under a safe version of `name` (default: its own name).
    An identical file already there is reused; a different one is never overwritten."""
    data = Path(source).read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    clean = safe_name(name if name is not None else Path(source).name)
    stem, suffix = os.path.splitext(clean)
    for attempt in range(10_000):
        candidate = root / (clean if attempt == 0 else f"{stem}-{attempt}{suffix}")
        if candidate.parent != root:  # cannot happen with a safe name; never write elsewhere
            raise ValueError(f"Refusing to write outside {root}: {candidate}")
        try:
            with open(candidate, "xb") as out:
                out.write(data)
            return candidate
        except FileExistsError:
            if candidate.is_file() and not candidate.is_symlink() and candidate.read_bytes() == data:
                return candidate
    raise RuntimeError(f"Too many files named like {clean!r} in {root}")


@dataclass
class UploadOutcome:
    """What adding uploaded files did: a markdown message and the doc ids indexed."""

    message: str
    ok: bool
    indexed: list[str] = field(default_factory=list)


def add_articles(
    files: Sequence[str | Path],
    assistant: Assistant,
    settings: Settings,
    progress: UploadProgress | None = None,
) -> UploadOutcome:
    """Save the uploaded files safely, ingest them, and make them searchable at once."""
    if not files:
        return UploadOutcome("No file was uploaded.", ok=False)
    folder = uploads_dir(settings)
    before = {folder.resolve() / p.name for p in folder.iterdir()} if folder.is_dir() else set()
    lines, saved = _save_all(files, folder)
    if not saved:
        return UploadOutcome("\n".join(lines), ok=False)
    # A file identical to an earlier upload reuses that copy: never delete it on failure.
    created = [p for p in saved if p not in before]
    try:
        report = ingest_paths(
            saved, settings, add_only=True, namespace=UPLOADS_NAMESPACE,
            max_new_chars=settings.ui_upload_max_chars, embedder=assistant.embedder,
            progress=progress.documents if progress else None, text_progress=progress.text if progress else None,
        )
    except IndexLockedError:
        _remove(created)
        lines.append("The index is busy (another ingest is running). Please try again in a moment.")
        return UploadOutcome("\n".join(lines), ok=False)
    except InputTooLargeError as exc:
        _remove(created)
        lines.append(
            f"Not added: {chat_text(str(exc))} One upload may add at most "
            f"{settings.ui_upload_max_chars:,} characters (RAG_UI_UPLOAD_MAX_CHARS), so that it never "
            "keeps other people's uploads waiting. Upload fewer or smaller files."
        )
        return UploadOutcome("\n".join(lines), ok=False)
    except RagError as exc:
        _remove(created)
        lines.append(f"Could not add the files: {chat_text(str(exc))}")
        return UploadOutcome("\n".join(lines), ok=False)
    assistant.refresh()
    return _describe(report, created, folder, lines)


def _save_all(files: Iterable[str | Path], folder: Path) -> tuple[list[str], list[Path]]:
    lines: list[str] = []
    saved: list[Path] = []
    for file in files:
        name = Path(str(file)).name
        if not is_supported(name):
            lines.append(f"- **{name_text(name)}** skipped: only {', '.join(SUPPORTED_SUFFIXES)} files can be added.")
            continue
        try:
            saved.append(save_upload(file, folder, name))
        except (OSError, ValueError, RuntimeError) as exc:
            lines.append(f"- **{name_text(name)}** could not be saved: {chat_text(str(exc))}")
    return lines, saved


def _describe(report, created: list[Path], folder: Path, lines: list[str]) -> UploadOutcome:
    """The message; copies of files that added nothing (unreadable, or duplicates) are removed."""
    failed_files = {Path(p.path).resolve() for p in report.problems if p.line is None}
    for problem in report.problems:
        lines.append(f"- skipped {name_text(_relative(str(problem), folder))}")
    for duplicate in report.duplicates:
        lines.append(f"- **{name_text(duplicate.doc_id)}** has the same text as **{name_text(duplicate.same_as)}**: not added again.")
    duplicated = {d.doc_id for d in report.duplicates}
    _remove([p for p in created if p.resolve() in failed_files or f"{UPLOADS_NAMESPACE}/{p.name}" in duplicated])
    added = [*report.new, *report.updated]
    if report.unchanged:
        lines.insert(0, f"Already indexed, unchanged: {_names(report.unchanged)}.")
    if added:
        plural = len(added) != 1
        lines.insert(0, f"Added {len(added)} article{'s' if plural else ''}: {_names(added)}. You can ask about {'them' if plural else 'it'} now.")
    if report.demo_removed:
        lines.append("The demo articles left the index: it holds your own articles now.")
    if not lines:
        lines.append("Nothing was added.")
    indexed = [*added, *report.unchanged]
    return UploadOutcome("\n".join(lines), ok=report.ok and bool(indexed), indexed=indexed)


def _names(doc_ids: Iterable[str]) -> str:
    return ", ".join(f"**{name_text(doc_id)}**" for doc_id in doc_ids)


def _relative(text: str, folder: Path) -> str:
    for prefix in {str(folder.resolve()), str(folder)}:
        text = text.replace(prefix + os.sep, "")
    return text


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        try:
            path.unlink()
        except OSError:
            pass
