"""Turning the many ways articles write dates into ISO `YYYY-MM-DD`.

`iso_date` is the one date policy of ingestion: a JSONL record's `published`/`date`, an
HTML page's meta tags and a text article's date line all go through it, so one date
string gives one `published` whatever file it came from.
"""

from __future__ import annotations

import datetime as dt
import re

_ISO_DAY = re.compile(r"\s*(\d{4}-\d{2}-\d{2})")
# Two defaults that differ in every field show which fields dateutil would have invented.
_DEFAULTS = (dt.datetime(2000, 1, 1), dt.datetime(2001, 2, 2))


def iso_date(value: str | None) -> str | None:
    """`YYYY-MM-DD` for a date string in any common format, or None when it is not a date.

    - The date is the one written: "2025-01-31T23:00:00-05:00" is 2025-01-31 (no time
      zone shift); a string that starts with an ISO day is that day.
    - Month precision: a date with a year and a month but no day is the 1st of that month
      ("May 2025" -> 2025-05-01), so a `published_from`/`published_to` filter over months
      or years still finds the article (an undated one matches no date filter); a filter
      with a day inside that month treats it as published on the 1st.
    - Without a year or a month ("May 5", "2025", "Tuesday") it is None: a year alone
      would be up to a year off, and a date without a year is any year.
    """
    if value is None or not str(value).strip():
        return None
    text = str(value)
    match = _ISO_DAY.match(text)
    from dateutil import parser

    try:
        if match:
            return dt.date.fromisoformat(match.group(1)).isoformat()
        first, second = (parser.parse(text, default=default) for default in _DEFAULTS)
    except (ValueError, OverflowError):
        return None
    if (first.year, first.month) != (second.year, second.month):
        return None
    return first.date().replace(day=1 if first.day != second.day else first.day).isoformat()


def epoch_day(iso: str) -> int:
    """Days since 1970-01-01, for numeric date-range filters in Chroma."""
    return (dt.date.fromisoformat(iso) - dt.date(1970, 1, 1)).days
