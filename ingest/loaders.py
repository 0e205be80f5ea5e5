"""Reading article files into `Article`s, with a clear message for every file that fails.

Supported: .txt and .md (scraped text, debris removed by `clean_article`), .html/.htm
(visible article text only), and .jsonl (one article per line, taken as given).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.clean import clean_article
from ingest.dates import iso_date
from ingest.html import extract_html
from rag.types import Article

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
_BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FileProblem:
    """Why one file, or one line of a JSON Lines file, was not ingested."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class LoadError(Exception):
    """Raised inside this module for a file that cannot be read; becomes a FileProblem."""


@dataclass(frozen=True)
class SourceFile:
    """A file found under an ingest root; `relative` names it stably for doc ids."""

    path: Path
    relative: str


def discover(paths: list[Path]) -> tuple[list[SourceFile], list[FileProblem], int]:
    """Files to read under `paths` (folders recursively), problems, and how many were ignored."""
    found: list[SourceFile] = []
    problems: list[FileProblem] = []
    ignored = 0
    for root in paths:
        if not root.exists():
            problems.append(FileProblem(str(root), "no such file or folder"))
        elif root.is_file():
            if root.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(SourceFile(root, root.name))
            else:
                problems.append(FileProblem(str(root), _unsupported(root)))
        else:
            for path in sorted(_walk(root)):
                if path.suffix.lower() in SUPPORTED_SUFFIXES:
                    relative = path.relative_to(root).as_posix()
                    found.append(SourceFile(path, f"{root.resolve().name}/{relative}"))
                else:
                    ignored += 1
    return found, problems, ignored


def _walk(root: Path) -> Iterator[Path]:
    # Hidden files and folders (.git, .DS_Store, .rag) are never articles.
    for path in root.rglob("*"):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts):
            yield path


def _unsupported(path: Path) -> str:
    kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
    return f"unsupported file type {path.suffix or '(none)'!r}: use one of {kinds}"


def read_text(path: Path, max_bytes: int) -> str:
    """The file's text, strictly UTF-8; LoadError says plainly why it cannot be used."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(
                f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit "
                "(RAG_MAX_FILE_MB)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    if b"\0" in data[:_BINARY_SNIFF_BYTES]:
        raise LoadError("binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"not valid UTF-8 (byte {exc.start}): re-save the file as UTF-8"
        ) from exc
    if not text.strip():
        raise LoadError("empty file")
    return text


def load_articles(source: SourceFile, max_bytes: int) -> tuple[list[Article], list[FileProblem]]:
    """The articles in one file, and problems (bad JSON lines do not stop the other lines)."""
    try:
        text = read_text(source.path, max_bytes)
        suffix = source.path.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            return _jsonl_articles(source, text)
        if suffix in HTML_SUFFIXES:
            return [_html_article(source, text)], []
        return [_text_article(source, text)], []
    except LoadError as exc:
        return [], [FileProblem(str(source.path), str(exc))]


def _text_article(source: SourceFile, raw: str) -> Article:
    cleaned = clean_article(raw)
    if not cleaned.text.strip():
        raise LoadError("nothing left after removing debris lines")
    return Article(
        doc_id=source.relative,
        text=cleaned.text,
        title=cleaned.title or source.path.stem,
        source=source.relative,
        source_file=str(source.path.resolve()),
        authors=cleaned.authors,
        published=cleaned.published,
        subheadline=cleaned.subheadline,
        dateline=cleaned.dateline,
    )


def _html_article(source: SourceFile, raw: str) -> Article:
    try:
        page = extract_html(raw)
    except ValueError as exc:
        raise LoadError(f"cannot parse HTML: {exc}") from exc
    cleaned = clean_article(page.text)
    if not cleaned.text.strip():
        raise LoadError("no visible article text in this page")
    return Article(
        doc_id=source.relative,
        text=cleaned.text,
        title=page.title or cleaned.title or source.path.stem,
        source=page.url or source.relative,
        source_file=str(source.path.resolve()),
        authors=page.authors or cleaned.authors,
        published=page.published or cleaned.published,
        url=page.url,
        subheadline=cleaned.subheadline,
        dateline=cleaned.dateline,
    )


class JsonArticle(BaseModel):
    """One line of a .jsonl file; only `text` is required."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    text: str
    id: str | int | None = None
    title: str | None = None
    url: str | None = None
    published: str | None = Field(default=None, alias="published")
    date: str | None = None
    author: str | list[str] | None = None
    authors: str | list[str] | None = None
    source: str | None = None

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("'text' is empty")
        return value


def _jsonl_articles(source: SourceFile, raw: str) -> tuple[list[Article], list[FileProblem]]:
    articles: list[Article] = []
    problems: list[FileProblem] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = JsonArticle.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(FileProblem(str(source.path), f"invalid JSON: {exc.msg}", number))
            continue
        except ValidationError as exc:
            problems.append(FileProblem(str(source.path), _describe(exc), number))
            continue
        articles.append(_json_article(source, record, number))
    if not articles and not problems:
        problems.append(FileProblem(str(source.path), "no articles in this JSON Lines file"))
    return articles, problems


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "line"
    if first["type"] == "missing":
        return f"missing required field {field!r}"
    if first["type"] == "model_type":
        return "each line must be a JSON object"
    return f"field {field!r}: {first['msg']}"


def _json_article(source: SourceFile, record: JsonArticle, number: int) -> Article:
    authors = record.authors if record.authors is not None else record.author
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.replace(" and ", ",").split(",")]
    doc_id = str(record.id) if record.id is not None else f"{source.relative}#{number}"
    # JSON Lines hold already-extracted articles: the text is stored exactly as given.
    return Article(
        doc_id=doc_id,
        text=record.text,
        title=record.title or _first_line_title(record.text) or doc_id,
        source=record.url or record.source or f"{source.relative}#L{number}",
        source_file=str(source.path.resolve()),
        authors=tuple(a for a in authors or () if a),
        published=iso_date(record.published or record.date),
        url=record.url,
    )


def _first_line_title(text: str) -> str | None:
    first = text.strip().split("\n", 1)[0].strip()
    return first if 0 < len(first.split()) <= 20 else None
