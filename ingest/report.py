"""What an ingest run did, for the CLI summary and for callers."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.identity import Renamed
from ingest.loaders import FileProblem


@dataclass(frozen=True)
class Duplicate:
    """A new article skipped because the same text is already indexed as `same_as`
    (that document is kept as it is)."""

    doc_id: str
    same_as: str


@dataclass(frozen=True)
class Replaced:
    """A document taken over by a new source (`rag ingest --replace`)."""

    doc_id: str
    previous_source: str


@dataclass(frozen=True)
class IngestReport:
    new: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    duplicates: tuple[Duplicate, ...]
    pruned: tuple[str, ...]
    problems: tuple[FileProblem, ...]
    ignored_files: int
    chunks_written: int
    documents_total: int
    chunks_total: int
    seconds: float
    moved: tuple[str, ...] = ()  # same text found under the same name elsewhere; not re-embedded
    renamed: tuple[Renamed, ...] = ()  # new articles whose preferred doc id was taken
    replaced: tuple[Replaced, ...] = ()

    @property
    def failed(self) -> int:
        """Files, or JSON lines, that could not be ingested."""
        return len(self.problems)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line: documents new/updated/unchanged/failed, chunks, time."""
        parts = [
            f"{len(self.new)} new",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
            f"{self.failed} failed",
        ]
        if self.moved:
            parts.append(f"{len(self.moved)} moved")
        if self.replaced:
            parts.append(f"{len(self.replaced)} replaced")
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicate")
        if self.pruned:
            parts.append(f"{len(self.pruned)} pruned")
        return (
            f"{', '.join(parts)}; {self.chunks_written} chunks embedded; index holds "
            f"{self.documents_total} documents, {self.chunks_total} chunks ({self.seconds:.1f}s)"
        )
