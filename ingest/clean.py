"""Drop scraping debris from article text and recognise its metadata.

Cleaning only keeps or drops whole lines: `CleanArticle.text` is always the
concatenation of a subsequence of `raw.splitlines(keepends=True)`, because
every offset in the index refers to the stored text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.dates import iso_date


@dataclass(frozen=True)
class CleanArticle:
    """Kept text plus whatever metadata the lines revealed."""

    text: str
    title: str | None
    subheadline: str | None
    authors: tuple[str, ...]
    dateline: str | None
    published: str | None
    dropped: tuple[str, ...]


_SHORT_LINE_MAX_WORDS = 3
_REPEAT_MIN_WORDS = 4
_FALLBACK_TITLE_MAX_WORDS = 25
_SUBHEADLINE_MAX_WORDS = 40
_BYLINE_MAX_WORDS = 12

BOILERPLATE_RE = re.compile(
    r"(?:related(?:\s+(?:articles?|stories|posts|content|news|coverage|topics))?"
    r"|advertisements?|sponsored(?:\s+content)?|ad|share(?:\s+this(?:\s+(?:article|story|post))?)?"
    r"|share\s+on\s+\w+|read\s+more|read\s+also|also\s+read|see\s+also|continue\s+reading"
    r"|subscribe(?:\s+now)?|sign\s+up|sign\s+in|log\s+in|follow\s+us(?:\s+on\s+\w+)?"
    r"|click\s+here|\d*\s*comments?|listen(?:\s+to\s+this\s+article)?"
    r"|skip\s+to\s+(?:main\s+)?content|most\s+(?:read|popular|viewed)|trending(?:\s+now)?"
    r"|recommended(?:\s+for\s+you)?|you\s+may\s+also\s+like|back\s+to\s+top"
    r"|print|email|copy\s+link|loading\.*|story\s+continues\s+below(?:\s+advertisement)?)"
    r"\s*[:.»›>]*",
    re.IGNORECASE,
)
# Sentence-final punctuation, possibly followed by closing quotes or brackets.
SENTENCE_END_RE = re.compile(r"[.!?…:;][\"'”’)\]]*$")
PERIOD_END_RE = re.compile(r"\.[\"'”’)\]]*$")
DIGIT_RE = re.compile(r"\d")
CAPTION_RE = re.compile(
    r"Photo by|Photo:|Photograph:|/AP\b|Getty Images|Reuters/|\(AP Photo|AFP via|/AFP\b",
    re.IGNORECASE,
)
BYLINE_RE = re.compile(r"^(?:written\s+)?by\s+(?P<names>.+)$", re.IGNORECASE)
BYLINE_TAIL_RE = re.compile(r"\s*(?:\||\s[-–—]\s|\sfor\s).*$")
NAME_SPLIT_RE = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*", re.IGNORECASE)
NAME_WORD_RE = re.compile(r"^(?:[A-Z][\w.'’-]*|de|da|di|del|der|van|von|la|le|al|bin|ibn)$")
ROLE_RE = re.compile(
    r"\b(?:correspondent|reporter|editor|writer|staff|contributor|columnist|analyst"
    r"|bureau|chief|news|press|reuters|agency|AP|AFP|Bloomberg|CNN|BBC)\b",
    re.IGNORECASE,
)
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WEEKDAY = (
    r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
)
_TIMEZONE = r"et|est|edt|ct|cst|cdt|pt|pst|pdt|gmt|utc|bst|cet|cest|ist|jst|kst|aest"
DATE_PREFIX_RE = re.compile(
    r"^(?:(?:first |last )?(?:published|updated|posted)(?: on)?:?\s*)?", re.I
)
# Every token of a date line must be one of these, so body sentences never match.
DATE_TOKEN_RE = re.compile(
    rf"(?:{_MONTH}|{_WEEKDAY})\.?|\d{{1,2}}(?:st|nd|rd|th)?|\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|\d{1,2}:\d{2}(?::\d{2})?"
    rf"|[ap]\.?m\.?|{_TIMEZONE}|at|on|[|,/–—-]",
    re.IGNORECASE,
)
DATE_SPLIT_RE = re.compile(r"[\s,|]+")
MONTH_RE = re.compile(rf"\b(?:{_MONTH})\b", re.IGNORECASE)
YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
ISO_DATE_RE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")
PARSE_NOISE_RE = re.compile(rf"\b(?:{_TIMEZONE}|at|on)\b|[|]", re.IGNORECASE)
DATELINE_RE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’ -]*[A-Z.](?:,\s*[A-Z][\w.'’ -]*?)*)\s*"
    r"(?:\([\w .&/-]+\)\s*)?(?:—|–|--|-)\s*\S"
)


def _word_count(line: str) -> int:
    return len(line.split())


def _is_short_debris(line: str) -> bool:
    """A lone place name or handle: few words, no digits, no sentence ending."""
    return (
        _word_count(line) <= _SHORT_LINE_MAX_WORDS
        and not DIGIT_RE.search(line)
        and not SENTENCE_END_RE.search(line)
    )


def parse_byline(line: str) -> tuple[str, ...]:
    """Authors named by a byline such as "By Jane Doe and John Roe | Reuters"; () if not one."""
    match = BYLINE_RE.match(line.strip())
    if not match or _word_count(line) > _BYLINE_MAX_WORDS or PERIOD_END_RE.search(line):
        return ()
    names_part = BYLINE_TAIL_RE.sub("", match["names"])
    authors: list[str] = []
    for part in NAME_SPLIT_RE.split(names_part):
        part = part.strip()
        if not part or ROLE_RE.search(part):
            # A role or agency after a comma ("Jane Doe, Staff Writer") is not a name.
            continue
        words = part.split()
        if len(words) > 4 or not all(NAME_WORD_RE.match(word) for word in words):
            return ()
        authors.append(part.title() if part.isupper() else part)  # "JANE DOE" -> "Jane Doe"
    return tuple(authors)


def parse_date_line(line: str) -> str | None:
    """ISO date of a line that is only a (Published/Updated) date, else None; the date as
    `ingest.dates.iso_date` reads it ("May 2025" is 2025-05-01, "April 28" is None)."""
    body = DATE_PREFIX_RE.sub("", line.strip(), count=1)
    if not YEAR_RE.search(body) or not (MONTH_RE.search(body) or ISO_DATE_RE.search(body)):
        return None
    tokens = [token for token in DATE_SPLIT_RE.split(body) if token]
    if not tokens or not all(DATE_TOKEN_RE.fullmatch(token) for token in tokens):
        return None
    return iso_date(PARSE_NOISE_RE.sub(" ", body))


def parse_dateline(line: str) -> str | None:
    """Place of a dateline such as "KYIV, Ukraine (AP) — ..."; None if the line has none."""
    match = DATELINE_RE.match(line.strip())
    return match["place"].strip() if match else None


def _is_meta(line: str) -> bool:
    """Byline or date line: recognised, kept, but never a headline."""
    return bool(parse_byline(line)) or parse_date_line(line) is not None


def _find_title(lines: list[str], dropped: set[int]) -> int | None:
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i in dropped or not stripped or _is_meta(stripped):
            continue
        if _word_count(stripped) >= 3 and not PERIOD_END_RE.search(stripped):
            return i
    return None


def _mark_debris(lines: list[str]) -> tuple[set[int], int | None]:
    """Indices of debris lines, and of the headline (exempt from the short-line rule)."""
    dropped: set[int] = set()
    seen: set[str] = set()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped and BOILERPLATE_RE.fullmatch(stripped):
            dropped.add(i)
        elif stripped in seen:
            dropped.add(i)
        elif _word_count(stripped) >= _REPEAT_MIN_WORDS:
            seen.add(stripped)
    title = _find_title(lines, dropped)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i == title or i in dropped or not stripped or parse_byline(stripped):
            continue
        # Trade-off: a one-word section heading ("Background") looks exactly like
        # a lone city name, so it is dropped too; headings of 4+ words survive.
        if _is_short_debris(stripped):
            dropped.add(i)
    return dropped, title


def _drop_orphan_blanks(lines: list[str], debris: set[int]) -> set[int]:
    """Debris plus the blank lines it orphans, so paragraph spacing stays as it was."""
    dropped = set(debris)
    run: list[int] = []  # a stretch of blank and debris lines
    for i in range(len(lines) + 1):
        if i < len(lines) and (i in debris or not lines[i].strip()):
            run.append(i)
            continue
        if any(j in debris for j in run):
            # Blanks only before or after debris at the very edges are never wanted.
            keep = 0 if run[0] == 0 or i == len(lines) else _longest_blank_run(run, debris)
            dropped.update([j for j in run if j not in debris][keep:])
        run = []
    return dropped


def _longest_blank_run(run: list[int], debris: set[int]) -> int:
    longest = current = 0
    for j in run:
        current = 0 if j in debris else current + 1
        longest = max(longest, current)
    return longest


def _fallback_title(lines: list[str], kept: list[int]) -> int | None:
    """Without a headline-shaped line, the first short kept line stands in for one."""
    for i in kept:
        stripped = lines[i].strip()
        if stripped and not _is_meta(stripped):
            return i if _word_count(stripped) <= _FALLBACK_TITLE_MAX_WORDS else None
    return None


def _subheadline(lines: list[str], kept: list[int], title: int | None) -> str | None:
    after = [i for i in kept if title is not None and i > title and lines[i].strip()]
    if not after:
        return None
    line = lines[after[0]].strip()
    if _word_count(line) > _SUBHEADLINE_MAX_WORDS or _is_meta(line) or CAPTION_RE.search(line):
        return None
    return None if parse_dateline(line) else line


def _dateline(body: list[str], skip: set[str]) -> str | None:
    """The dateline place of the first body paragraph, skipping headline and metadata lines."""
    for line in body:
        place = parse_dateline(line)
        if place:
            return place
        if line in skip or _is_meta(line) or CAPTION_RE.search(line):
            continue
        return None
    return None


def clean_article(raw: str) -> CleanArticle:
    """Drop debris lines from `raw` and recognise headline, byline, dates and dateline."""
    lines = raw.splitlines(keepends=True)
    debris, title_index = _mark_debris(lines)
    dropped = _drop_orphan_blanks(lines, debris)
    kept = [i for i in range(len(lines)) if i not in dropped]
    nonblank = [lines[i].strip() for i in kept if lines[i].strip()]
    if title_index is None:
        title_index = _fallback_title(lines, kept)
    title = lines[title_index].strip() if title_index is not None else None
    subheadline = _subheadline(lines, kept, title_index)
    authors = next((a for a in map(parse_byline, nonblank) if a), ())
    published = next((d for d in map(parse_date_line, nonblank) if d), None)
    skip = {line for line in (title, subheadline) if line}
    return CleanArticle(
        text="".join(lines[i] for i in kept),
        title=title,
        subheadline=subheadline,
        authors=authors,
        dateline=_dateline(nonblank, skip),
        published=published,
        dropped=tuple(lines[i].strip() for i in sorted(debris)),
    )
