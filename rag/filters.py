"""Checking retrieval filters up front, so a bad one is an error naming its field, never a
TypeError deep in retrieval nor a silent "no article matches".

`Filters` (rag/types.py) runs every check when it is built; `filter_arguments` turns the
plain mapping callers may pass instead into its keyword arguments.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from rag.errors import InvalidInputError
from rag.text.unicode import require_unicode

NAME_FIELDS = ("doc_ids", "sources", "titles")
DATE_FIELDS = ("published_from", "published_to")
FIELDS = NAME_FIELDS + DATE_FIELDS
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, unlike \d
_DATE_FORMAT = "use an ISO date, YYYY-MM-DD (for example 2025-01-31)"


def filter_arguments(filters: object) -> dict[str, object]:
    """The keyword arguments of `Filters` from a mapping of its fields."""
    if not isinstance(filters, Mapping):
        raise InvalidInputError(
            f"filters must be a Filters or a mapping such as {{'titles': 'Kursk'}}, not {type(filters).__name__}"
        )
    unknown = set(filters) - set(FIELDS)
    if unknown:
        raise InvalidInputError(f"Unknown filter(s) {sorted(map(str, unknown))}; use {sorted(FIELDS)}")
    return dict(filters)


def names(field: str, value: object) -> tuple[str, ...]:
    """`doc_ids`, `sources` or `titles` as a tuple of non-empty strings (one string is one name)."""
    if isinstance(value, str):
        value = (value,)
    elif isinstance(value, (set, frozenset)):
        value = tuple(sorted(value, key=str))
    elif not isinstance(value, (list, tuple)):
        raise InvalidInputError(
            f"filters: {field} must be a string or a list of strings, not {type(value).__name__}"
        )
    for item in value:
        if not isinstance(item, str):
            raise InvalidInputError(
                f"filters: {field} must hold strings only, not {type(item).__name__} ({item!r})"
            )
        require_unicode(item, f"filters: {field} entry {item!r}")
        if not item.strip():
            raise InvalidInputError(f"filters: {field} has an empty entry; remove it or give the text to match")
    return tuple(value)


def day(field: str, value: object) -> str | None:
    """`published_from` or `published_to` as `YYYY-MM-DD` (a `date` or `datetime` is converted), or None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # before `date`: a datetime is a date too
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise InvalidInputError(
            f"filters: {field} must be a date or a string, not {type(value).__name__}; {_DATE_FORMAT}"
        )
    text = require_unicode(value, f"filters: {field}").strip()
    if not _ISO_DAY.fullmatch(text):
        raise InvalidInputError(f"filters: {field} {value!r} is not a date in the expected format: {_DATE_FORMAT}")
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise InvalidInputError(f"filters: {field} {value!r} is not a real date ({exc}): {_DATE_FORMAT}") from None


def check_range(published_from: str | None, published_to: str | None) -> None:
    """A range that ends before it starts could match no article: say so instead."""
    if published_from and published_to and published_from > published_to:
        raise InvalidInputError(
            f"filters: published_from ({published_from}) is after published_to ({published_to}), so no "
            "article could match; swap them"
        )
