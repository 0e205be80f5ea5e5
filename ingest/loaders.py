"""Reading article files into `Article`s, with a clear message for every file that fails.

Supported: .txt and .md (scraped text, debris removed by `clean_article`; Markdown markup
is reduced to its words first: `clean_markdown`), .html/.htm (visible article text only),
and .jsonl (one article per line, taken as given).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.clean import clean_article, clean_markdown
from ingest.dates import iso_date
from ingest.decoding import Decoded, UndecodableError, decode_bytes
from ingest.html import extract_html
from ingest.identity import Identified, file_key, file_names, json_key, json_names
from rag.text.unicode import printable, surrogate_at
from rag.types import Article, FileProblem  # FileProblem: defined in rag.types, named here too

logger = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt"}) | MARKDOWN_SUFFIXES
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES


class LoadError(Exception):
    """Raised inside this module for a file that cannot be read; becomes a FileProblem."""


@dataclass(frozen=True)
class SourceFile:
    """A file found under an ingest root.

    `label` is its preferred document id (its path from the named folder, with that
    folder's name in front, or its bare name when the file itself was named); `logical`
    is the path it was reached by, whose longer tails name it when the label is taken.
    """

    path: Path
    label: str
    logical: Path
    namespaced: bool = False  # uploads: a JSON line's bare `id` is never its doc id

    @property
    def names(self) -> tuple[str, ...]:
        return file_names(self.label, self.logical)


def discover(
    paths: list[Path], *, follow_links: bool = False, namespace: str | None = None
) -> tuple[list[SourceFile], list[FileProblem], int]:
    """Files to read under `paths` (folders recursively), problems, and how many were ignored.

    A link inside a folder is followed only when it stays inside that folder, unless
    `follow_links`; a broken link is reported. A file reached twice is read once. With
    `namespace`, every file is labelled `<namespace>/<file name>` (uploads).
    """
    found: list[SourceFile] = []
    problems: list[FileProblem] = []
    ignored = 0
    for root in paths:
        if surrogate_at(str(root)) is not None:
            problems.append(FileProblem(printable(str(root)), _NOT_UTF8_NAME))
        elif root.is_symlink() and not root.exists():
            problems.append(FileProblem(str(root), f"broken link (to {os.readlink(root)})"))
        elif not root.exists():
            problems.append(FileProblem(str(root), "no such file or folder"))
        elif root.is_file():
            if root.suffix.lower() in SUPPORTED_SUFFIXES:
                logical = root.parent.resolve() / root.name
                label = f"{namespace}/{root.name}" if namespace else root.name
                found.append(SourceFile(root, label, logical, namespace is not None))
            else:
                problems.append(FileProblem(str(root), _unsupported(root)))
        else:
            tree = _walk(root, follow_links)
            problems.extend(tree.problems)
            ignored += tree.ignored
            base = root.resolve()
            for path in tree.files:
                relative = path.relative_to(root).as_posix()
                label = f"{namespace}/{path.name}" if namespace else f"{base.name}/{relative}"
                found.append(SourceFile(path, label, base / relative, namespace is not None))
    return _first_of_each_file(found), problems, ignored


_NOT_UTF8_NAME = "its name is not valid UTF-8, so it cannot be stored as a source: rename the file"


def _first_of_each_file(found: list[SourceFile]) -> list[SourceFile]:
    # The same file named twice (`rag ingest news/ news/a.txt`, or a link to it inside
    # the tree) is one source: read it once, under the first name it was reached by.
    seen: set[Path] = set()
    unique = []
    for source in found:
        resolved = source.path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(source)
    return unique


@dataclass(frozen=True)
class _Tree:
    files: list[Path]
    problems: list[FileProblem]
    ignored: int


def _walk(root: Path, follow_links: bool) -> _Tree:
    """Supported files under `root`, sorted. Hidden files and folders (.git, .DS_Store,
    .rag) are never articles. A link leading out of `root` is reported instead of
    followed unless `follow_links` (then each folder is entered once, so a link loop
    ends); a link that stays inside is skipped: its target is read under its own name."""
    inside = root.resolve()
    files: list[Path] = []
    problems: list[FileProblem] = []
    ignored = 0
    entered: set[Path] = set()
    pending = [root]
    while pending:
        folder = pending.pop()
        real = folder.resolve()
        if real in entered:
            continue
        entered.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(FileProblem(str(folder), f"cannot read folder: {exc.strerror or exc}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if surrogate_at(entry.name) is not None:
                problems.append(FileProblem(printable(str(path)), _NOT_UTF8_NAME))
                continue
            if entry.is_symlink():
                verdict = _link_verdict(path, inside, follow_links)
                if verdict is not None:
                    problems.append(FileProblem(str(path), verdict))
                    continue
                if path.resolve().is_relative_to(inside):
                    continue  # its target, inside the tree, is read under its own name
            if path.is_dir():
                pending.append(path)
            elif path.suffix.lower() in SUPPORTED_SUFFIXES and path.is_file():
                files.append(path)
            else:
                ignored += 1
    return _Tree(sorted(files), problems, ignored)


def _link_verdict(link: Path, inside: Path, follow_links: bool) -> str | None:
    """Why a link inside an ingested folder is not followed, or None to follow it."""
    target = os.readlink(link)
    if not link.exists():
        return f"broken link (to {target})"
    if not follow_links and not link.resolve().is_relative_to(inside):
        return f"link to {link.resolve()}, outside the folder: not followed (use --follow-links to include it)"
    return None


def _unsupported(path: Path) -> str:
    kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
    return f"unsupported file type {path.suffix or '(none)'!r}: use one of {kinds}"


def read_text(path: Path, max_bytes: int) -> str:
    """The file's text (strict UTF-8, UTF-16/32 with a byte-order mark, or Windows-1252
    that reads as text); LoadError says plainly why it cannot be used."""
    return read_decoded(path, max_bytes).text


def read_decoded(path: Path, max_bytes: int | None) -> Decoded:
    """`read_text`, with the encoding the text was decoded from (`max_bytes` None: no limit)."""
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise LoadError(
                f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit "
                "(RAG_MAX_FILE_MB)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    try:
        decoded = decode_bytes(data)
    except UndecodableError as exc:
        raise LoadError(str(exc)) from exc
    if not decoded.text.strip():
        raise LoadError("empty file")
    if decoded.assumed:
        logger.info("%s: not UTF-8, decoded as %s", printable(str(path)), decoded.assumed)
    return decoded


def load_articles(source: SourceFile, max_bytes: int) -> tuple[list[Identified], list[FileProblem]]:
    """The articles in one file with the names each may take, and problems (bad JSON
    lines do not stop the other lines).

    `max_bytes` (RAG_MAX_FILE_MB) bounds one article: a whole file of text, Markdown or HTML,
    but each line of a JSON Lines file, which is a feed of many (the news corpus is 35 MB)."""
    try:
        suffix = source.path.suffix.lower()
        decoded = read_decoded(source.path, None if suffix in JSONL_SUFFIXES else max_bytes)
        text = decoded.text
        if suffix in JSONL_SUFFIXES:
            found, problems = _jsonl_articles(source, text, max_bytes)
        elif suffix in HTML_SUFFIXES:
            found, problems = [Identified(_html_article(source, text), source.names)], []
        else:
            found, problems = [Identified(_text_article(source, text), source.names)], []
    except LoadError as exc:
        return [], [FileProblem(str(source.path), str(exc))]
    if decoded.encoding != "utf-8":  # said in the stored metadata: `encoding`
        found = [Identified(replace(item.article, encoding=decoded.encoding), item.names) for item in found]
    return found, problems


def _text_article(source: SourceFile, raw: str) -> Article:
    markdown = source.path.suffix.lower() in MARKDOWN_SUFFIXES
    cleaned = clean_markdown(raw) if markdown else clean_article(raw)
    if not cleaned.text.strip():
        raise LoadError("nothing left after removing debris lines")
    resolved = str(source.path.resolve())
    return Article(
        doc_id=source.label,
        text=cleaned.text,
        title=cleaned.title or source.path.stem,
        source=source.label,
        source_file=resolved,
        source_key=file_key(resolved),
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
    resolved = str(source.path.resolve())
    return Article(
        doc_id=source.label,
        text=cleaned.text,
        title=page.title or cleaned.title or source.path.stem,
        source=page.url or source.label,
        source_file=resolved,
        source_key=file_key(resolved),
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

    @field_validator("text", "id", "title", "url", "published", "date", "author", "authors", "source")
    @classmethod
    def _valid_unicode(cls, value: object) -> object:
        # JSON can escape a lone surrogate ("\udcff"); such text cannot be stored or embedded.
        for text in value if isinstance(value, list) else [value]:
            index = surrogate_at(text) if isinstance(text, str) else None
            if index is not None:
                raise ValueError(f"is not valid Unicode (a lone surrogate at character {index + 1})")
        return value


def _jsonl_articles(source: SourceFile, raw: str, max_bytes: int) -> tuple[list[Identified], list[FileProblem]]:
    articles: list[Identified] = []
    problems: list[FileProblem] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) * 4 > max_bytes and len(line.encode("utf-8")) > max_bytes:  # UTF-8: 4 bytes at most
            problems.append(FileProblem(str(source.path), f"line is {len(line.encode('utf-8')) / 1e6:.1f} MB, over the "
                                        f"{max_bytes / 1e6:.1f} MB limit (RAG_MAX_FILE_MB)", number))
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


def _json_article(source: SourceFile, record: JsonArticle, number: int) -> Identified:
    authors = record.authors if record.authors is not None else record.author
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.replace(" and ", ",").split(",")]
    record_id = str(record.id) if record.id is not None else None
    names = json_names(source.names, record_id, number, bare_id=not source.namespaced)
    resolved = str(source.path.resolve())
    # JSON Lines hold already-extracted articles: the text is stored exactly as given.
    article = Article(
        doc_id=names[0],
        text=record.text,
        title=record.title or _first_line_title(record.text) or names[0],
        source=record.url or record.source or f"{source.label}#L{number}",
        source_file=resolved,
        source_key=json_key(resolved, record_id, number),
        authors=tuple(a for a in authors or () if a),
        published=iso_date(record.published or record.date),
        url=record.url,
    )
    return Identified(article, names)


def _first_line_title(text: str) -> str | None:
    first = text.strip().split("\n", 1)[0].strip()
    return first if 0 < len(first.split()) <= 20 else None
