"""One date policy (ingest.dates.iso_date) for every way an article states its date."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.dates import iso_date
from ingest.loaders import discover, load_articles

BODY = "Firefighters contained the blaze on the east side of the city after two days."


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("January 13, 2025", "2025-01-13"),
        ("Mon, 28 Apr 2025 10:00:00 GMT", "2025-04-28"),
        ("2025-01-31T23:00:00-05:00", "2025-01-31"),  # as written: no time zone shift
        ("2025-04-28 (updated)", "2025-04-28"),
        ("May 2025", "2025-05-01"),  # month precision: the 1st
        ("2025-05", "2025-05-01"),
        ("2025", None),  # a year alone would be up to a year off
        ("April 28", None),  # no year: any year
        ("Tuesday", None),
        ("2025-13-01", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_date__policy(value: str | None, iso: str | None) -> None:
    assert iso_date(value) == iso


def _files(folder: Path, value: str) -> None:
    folder.mkdir()
    (folder / "line.txt").write_text(f"Fire on the east side\n\nPublished: {value}\n\n{BODY}\n", encoding="utf-8")
    (folder / "meta.html").write_text(
        f'<html><head><meta name="date" content="{value}"><title>Fire</title></head>'
        f"<body><p>{BODY}</p></body></html>",
        encoding="utf-8",
    )
    (folder / "body_line.html").write_text(
        f"<html><body><h1>Fire on the east side</h1><p>Published: {value}</p><p>{BODY}</p></body></html>",
        encoding="utf-8",
    )
    (folder / "records.jsonl").write_text(
        json.dumps({"id": "published", "title": "Fire", "text": BODY, "published": value}) + "\n"
        + json.dumps({"id": "date", "title": "Fire", "text": BODY, "date": value}) + "\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("value", "iso"),
    [("January 13, 2025", "2025-01-13"), ("May 2025", "2025-05-01"), ("2025-01-31T23:00:00-05:00", "2025-01-31"),
     ("April 28", None)],
)
def test_every_loader_gives_one_date_the_same_published(tmp_path: Path, value: str, iso: str | None) -> None:
    _files(tmp_path / "articles", value)
    sources, problems, _ = discover([tmp_path / "articles"])
    assert not problems
    published = {}
    for source in sources:
        loaded, problems = load_articles(source, 1_000_000)
        assert not problems
        for identified in loaded:
            published[identified.article.doc_id] = identified.article.published
    assert len(published) == 5
    assert set(published.values()) == {iso}, published
