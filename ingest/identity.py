"""Who an article is: its source key, and the document id it may take.

Identity is the **source**, not the name. An article's `source_key` is where it came
from — the resolved path of its file, plus its `id` (or, without one, its line number)
inside a JSON Lines file. Re-ingesting the same source updates the same document; a
different source can never update or replace it by accident, whatever it is called.

The document id is a readable *name*, unique in the index, given once, when the
source is first indexed, and kept from then on:

1. a file's preferred name is its path from the folder named on the command line,
   with that folder's name in front (`seeds/north-korea-confirms-….txt`), or its file
   name when the file itself was named (`report.txt`); a JSON line's is its `id`, or
   `<file's name>#<line>` when it has none;
2. when another source already holds that name, the name grows by the folders above
   it until it is free (`b/report.txt`, then `x/b/report.txt`, …); a JSON line's
   `id` becomes `<file's name>#<id>` first;
3. as a last resort a short hash of the source key is appended.

The collision is reported (`Renamed`), never silent. `rag ingest --replace` is the
explicit way to let a new source take over the document holding its preferred name.

Indexes written before source keys existed keep working without a migration: a stored
record without a `source_key` is the source whose preferred name is the record's doc id
and whose file is the record's `source_file` — exactly the identity rule it was written
under — and it gains its key the next time it is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from rag.types import Article, Renamed as Renamed  # Renamed: defined in rag.types, named here too

JSON_ID_MARK = "#id="
JSON_LINE_MARK = "#line="


def file_key(resolved: str) -> str:
    """The source key of a whole file (text, Markdown, HTML)."""
    return resolved


def json_key(resolved: str, record_id: str | None, line: int) -> str:
    """The source key of one JSON Lines record: its `id`, or its line when it has none."""
    return f"{resolved}{JSON_ID_MARK}{record_id}" if record_id is not None else f"{resolved}{JSON_LINE_MARK}{line}"


@dataclass(frozen=True)
class Identified:
    """An article as loaded, with the names it may take, best first (`names[0]` is its
    preferred doc id and `article.doc_id` until the planner settles it)."""

    article: Article
    names: tuple[str, ...]


def file_names(label: str, logical: PurePath) -> tuple[str, ...]:
    """`label`, then longer and longer tails of the file's path (`b/report.txt`, …)."""
    parts = [p for p in logical.parts if p not in (logical.anchor, "")]
    depth = len(label.split("/"))
    longer = ["/".join(parts[-n:]) for n in range(depth + 1, len(parts) + 1)]
    return tuple(dict.fromkeys([label, *longer]))


def json_names(file_labels: tuple[str, ...], record_id: str | None, line: int, bare_id: bool) -> tuple[str, ...]:
    """A JSON line's names: its bare `id` (unless `bare_id` is off), then `<file>#<id>`
    (or `<file>#<line>`) for each of the file's names."""
    suffix = record_id if record_id is not None else str(line)
    qualified = [f"{label}#{suffix}" for label in file_labels]
    return tuple(dict.fromkeys([record_id, *qualified] if record_id is not None and bare_id else qualified))


def last_resort_name(preferred: str, source_key: str, taken: set[str]) -> str:
    """`preferred~<hash>`, lengthened until free; the hash is of the source key, so the
    same source always gets the same name."""
    for candidate in last_resort_names(preferred, source_key):
        if candidate not in taken:
            return candidate
    raise RuntimeError(f"no free document id for {source_key!r}")  # 2**-256: cannot happen


def last_resort_names(preferred: str, source_key: str) -> list[str]:
    """Every name `last_resort_name` may give, in the order it tries them."""
    digest = hashlib.sha256(source_key.encode("utf-8", "surrogatepass")).hexdigest()
    return [f"{preferred}~{digest[:size]}" for size in range(8, len(digest) + 1, 4)]
