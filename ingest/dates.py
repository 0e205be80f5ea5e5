"""Turning the many ways articles write dates into ISO `YYYY-MM-DD`."""

from __future__ import annotations

import datetime as dt


def iso_date(value: str | None) -> str | None:
    """`YYYY-MM-DD` for a date string in any common format, or None when it is not a date."""
    if value is None or not str(value).strip():
        return None
    from dateutil import parser

    try:
        parsed = parser.parse(str(value), fuzzy=False, default=dt.datetime(1900, 1, 1))
    except (ValueError, OverflowError):
        return None
    return parsed.date().isoformat()


def epoch_day(iso: str) -> int:
    """Days since 1970-01-01, for numeric date-range filters in Chroma."""
    return (dt.date.fromisoformat(iso) - dt.date(1970, 1, 1)).days
