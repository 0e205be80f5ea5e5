"""Drop scraping debris from article text and recognise its metadata.

Cleaning only keeps or drops whole lines: `CleanArticle.text` is always the
concatenation of a subsequence of `raw.splitlines(keepends=True)`, because
every offset in the index refers to the stored text. Markdown is first reduced to
its words line by line (`markdown_text`); `clean_markdown` cleans the result, so a
.md article's stored text is the reduced text.
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

# Site furniture that fills a whole line: the one list, used for .txt, .md and the text
# extracted from HTML alike. A line matches only as a whole, and the forms with a tail
# ("Related: <headline>", "Subscribe to <...>") need their colon or their preposition and
# stay under a sentence, so prose ("Related to the case, ...") never matches.
_RELATED = r"related(?:\s+(?:articles?|stories|posts|content|news|coverage|topics))?"
_FURNITURE_WITH_TAIL = (
    rf"(?:{_RELATED}|read\s+more|read\s+also|also\s+read|see\s+also|more\s+on\s+this(?:\s+story)?)"
    r"\s*:\s*\S.{0,200}"
    r"|(?:subscribe\s+(?:to|for|now)|sign\s+up\s+(?:for|to|now|here|today)|follow\s+us\s+(?:on|at)"
    r"|share\s+this\s+(?:article|story|post)\s+(?:on|with|via))\b[^.!?]{0,100}[.!]?"
)
BOILERPLATE_RE = re.compile(
    rf"(?:{_FURNITURE_WITH_TAIL}|{_RELATED}"
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


def _find_title(lines: list[str], dropped: set[int], title_line: int | None) -> int | None:
    if title_line is not None and title_line not in dropped:
        return title_line
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i in dropped or not stripped or _is_meta(stripped):
            continue
        if _word_count(stripped) >= 3 and not PERIOD_END_RE.search(stripped):
            return i
    return None


def _mark_debris(
    lines: list[str], markup: MarkdownText | None = None
) -> tuple[set[int], int | None]:
    """Indices of debris lines, and of the headline (exempt from the short-line rule, as
    are Markdown headings and list items)."""
    dropped: set[int] = set(markup.drop) if markup else set()
    seen: set[str] = set()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i in dropped:
            continue
        if stripped and BOILERPLATE_RE.fullmatch(stripped):
            dropped.add(i)
        elif stripped in seen:
            dropped.add(i)
        elif _word_count(stripped) >= _REPEAT_MIN_WORDS:
            seen.add(stripped)
    title = _find_title(lines, dropped, markup.title_line if markup else None)
    headings = markup.headings | markup.items if markup else frozenset()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i == title or i in dropped or i in headings or not stripped or parse_byline(stripped):
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


def clean_article(raw: str, *, markup: MarkdownText | None = None) -> CleanArticle:
    """Drop debris lines from `raw` and recognise headline, byline, dates and dateline.
    `markup` (from `markdown_text(...)`, whose `.text` is `raw`) adds the lines its markup
    marked: to drop, headings, the title."""
    lines = raw.splitlines(keepends=True)
    debris, title_index = _mark_debris(lines, markup)
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


# --- Markdown ------------------------------------------------------------------

_ATX_HEADING_RE = re.compile(r"^ {0,3}(?P<marks>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(?P<mark>=|-)(?P=mark)+[ \t]*$")
_THEMATIC_BREAK_RE = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FENCE_RE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_IMAGE = r"!\[[^\]\n]*\]\([^)\n]*\)"
# A line of images only, each maybe wrapped in a link: `![alt](src)`, `[![alt](src)](href)`.
_IMAGE_LINE_RE = re.compile(rf"^\s*(?:(?:{_IMAGE}|\[{_IMAGE}\]\([^)\n]*\))\s*)+$")
_LIST_ITEM_RE = re.compile(r"^ {0,3}(?:[*+-]|\d{1,9}[.)])[ \t]+\S")
_LINK_DEFINITION_RE = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*\S+.*$")
_CODE_SPAN_RE = re.compile(r"(`+).+?\1")
_INLINE_IMAGE_RE = re.compile(_IMAGE)
_LINK_RE = re.compile(r"\[(?P<text>[^\[\]\n]+)\](?:\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"\n]*\")?\)|\[[^\]\n]*\])")
# Emphasis is unwrapped only when a marker hugs its words, with no word character outside
# it: `2 * 3 * 4`, `2*3*4`, `snake_case_name` and a `* item` bullet never match.
_STRONG_RE = re.compile(r"(?<![\w*_\\])(?P<m>\*\*|__)(?=[^\s*_])(?P<text>[^*_\n]*?[^\s*_\\])(?P=m)(?![\w*_])")
_EMPHASIS_RE = re.compile(r"(?<![\w*_\\])(?P<m>[*_])(?=[^\s*_])(?P<text>[^*_\n]*?[^\s*_\\])(?P=m)(?![\w*_])")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")


@dataclass(frozen=True)
class MarkdownText:
    """Markdown reduced to its words, line for line (`text.splitlines()` matches the source's
    lines one to one, endings kept); indices of lines to drop (images, setext underlines,
    rules, link definitions), of headings and list items (never short debris), and of the
    heading taken for the title."""

    text: str
    drop: frozenset[int]
    headings: frozenset[int]
    title_line: int | None
    items: frozenset[int] = frozenset()


def _inline(body: str) -> str:
    """Links to their text, images gone, emphasis markers off; code spans untouched."""
    out: list[str] = []
    last = 0
    for code in _CODE_SPAN_RE.finditer(body):
        out += [_inline_prose(body[last : code.start()]), code.group()]
        last = code.end()
    out.append(_inline_prose(body[last:]))
    return "".join(out)


def _inline_prose(part: str) -> str:
    part = _INLINE_IMAGE_RE.sub("", part)
    part = _LINK_RE.sub(r"\g<text>", part)
    part = _STRONG_RE.sub(r"\g<text>", part)
    part = _EMPHASIS_RE.sub(r"\g<text>", part)
    return _ESCAPE_RE.sub(r"\1", part)


def _split_ending(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    return body, line[len(body):]


def markdown_text(raw: str) -> MarkdownText:
    """`raw` Markdown with heading markers, links, image lines and emphasis reduced to the
    words a reader sees; bullets, quotes, tables and code are left as they are."""
    lines = raw.splitlines(keepends=True)
    out: list[str] = []
    drop: set[int] = set()
    levels: dict[int, int] = {}
    items: set[int] = set()
    fence: str | None = None
    for i, line in enumerate(lines):
        body, ending = _split_ending(line)
        opened = _FENCE_RE.match(body)
        if fence is not None or opened:
            if fence is None and opened:
                fence = opened["fence"]
            elif fence is not None and body.strip().startswith(fence):
                fence = None
            out.append(line)
            continue
        heading = _ATX_HEADING_RE.match(body)
        setext = _SETEXT_RE.match(body)
        previous = i - 1
        words = _inline(heading["text"] or "") if heading else ""
        if heading and words.strip():
            levels[i] = len(heading["marks"])
            out.append(words + ending)
        elif (setext and previous >= 0 and previous not in drop and previous not in levels
              and out[previous].strip() and (previous == 0 or not out[previous - 1].strip())):
            levels[previous] = 1 if setext["mark"] == "=" else 2  # a one-line paragraph underlined
            drop.add(i)
            out.append(line)
        elif (heading or _THEMATIC_BREAK_RE.match(body) or _IMAGE_LINE_RE.match(body)
              or _LINK_DEFINITION_RE.match(body) or (body.strip() and not _inline(body).strip())):
            drop.add(i)  # only markup: kept as is here, so clean_article drops it with its blank lines
            out.append(line)
        else:
            if _LIST_ITEM_RE.match(body):
                items.add(i)
            out.append(_inline(body) + ending)
    title = _markdown_title(out, drop, levels)
    return MarkdownText("".join(out), frozenset(drop), frozenset(levels), title, frozenset(items))


def _markdown_title(lines: list[str], drop: set[int], levels: dict[int, int]) -> int | None:
    """The first level-1 heading; else a level-2 heading that opens the article."""
    top = [i for i in sorted(levels) if levels[i] == 1 and lines[i].strip()]
    if top:
        return top[0]
    first = next((i for i, line in enumerate(lines) if i not in drop and line.strip()), None)
    return first if first is not None and levels.get(first) == 2 else None


def clean_markdown(raw: str) -> CleanArticle:
    """`clean_article` of Markdown: its text is `markdown_text(raw).text`, cleaned."""
    markup = markdown_text(raw)
    return clean_article(markup.text, markup=markup)
