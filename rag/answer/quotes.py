"""What a quote shows of a sentence, without breaking its exact offsets.

A sentence span may begin with a news dateline ("KYIV, Ukraine (AP) — ") or be wrapped in
caption markup ("*Firefighters at work.*"); neither is what the article says, so the quote
shows a narrower span of the same text: offsets stay exact because we only move the ends.
Captions and photo credits are also recognised, so the answerer can rank them down.

Datelines: an ALL-CAPS place of at most 6 words ("SAN JOSE", "ST. LOUIS"), optionally
", Region" (Title case: ", Calif.", ", Ukraine") and/or ", Month Day" (", Nov. 3"),
optionally "(Outlet)", then a dash (— or – with or without spaces; - or -- between
spaces). To tell them from sentences that open with an acronym, the dash must start
within the first 60 characters, the text after it must start like a sentence (capital,
digit or opening quote) and contain lowercase letters (so shouted ALL-CAPS text is
kept), and a bare one-word "place" must not be a well-known organisation ("NATO — …",
"FBI — …"). So "NATO — the alliance — said" and "US officials — including …" are kept
whole, while "NATO — The alliance said …" would lose its first word if NATO were not
listed: a bare ALL-CAPS word, a dash and a capitalised sentence is a dateline's shape.
"FILE - " (the AP's file-photo captions) is never taken for a dateline: it is a caption.
"""

from __future__ import annotations

import re

_SP = "[ \u00a0]"
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATELINE = re.compile(
    rf"(?P<place>[A-Z][A-Z.'’&-]*(?:{_SP}[A-Z][A-Z.'’&-]*){{0,5}})"
    rf"(?P<region>,{_SP}[A-Z][A-Za-z.'’-]*(?:{_SP}[A-Z][A-Za-z.'’-]*){{0,3}})?"
    rf"(?P<date>,{_SP}{_MONTH}\.?{_SP}\d{{1,2}})?"
    rf"(?P<outlet>{_SP}?\([A-Z][\w .&'’/-]{{0,30}}\))?"
    rf"(?P<dash>{_SP}*[—–]{_SP}*|{_SP}+--?{_SP}+)"
)
_MAX_DASH_AT = 60
# Bare ALL-CAPS words that open sentences but are no places.
_NOT_PLACES = frozenset("FILE NATO FBI CIA NSA UN US USA UK EU WHO IMF OPEC NASA".split())
_SENTENCE_OPENING = "\"“‘'"
_MARKUP = "*_"
_FINAL_PUNCTUATION = ".!?…"
# How far past a dateline to look for the lowercase letters of ordinary prose.
_PROSE_WINDOW = 200

_CREDIT_WORD = r"(?:Photo|Photograph|Picture|Image|Video|Illustration|Graphic)s?"
_CAPTION = re.compile(
    # AP's "FILE - …" and Reuters' "FILE PHOTO: …" captions of archive photos.
    r"^[\s*_(\[]*FILE(?:\sPHOTO)?\s*(?:[-—–:]|--)\s"
    # "Photo: AP", "(Photo by …)", "Image credit: NASA", "Credit: …", "Pictured: …",
    # at the start or after a separator, "by"/"via" a name: "Photos by the agency showed …" is prose.
    rf"|(?:^|[(\[|*_.;—–-])\s*(?:{_CREDIT_WORD}(?:\s+credit)?\s*:"
    rf"|{_CREDIT_WORD}\s+(?:(?:by|via)\s+[A-Z]|courtesy\b)|Credits?\s*:|Pictured\s*:)"
    # Agency credit lines: "(AP Photo/Evan Vucci)", "Jane Roe/Getty Images", "REUTERS/John Doe".
    r"|\b(?:AP|AFP|EPA|UPI|Reuters)\sPhoto\b"
    r"|/\s*(?:Getty\sImages|AFP|AP|Reuters|REUTERS|EPA|Shutterstock|Bloomberg)\b"
    r"|\bREUTERS/"
)


def quote_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The part of the sentence text[start:end] a quote shows: without a leading dateline,
    caption emphasis markers (* or _) at either end, or surrounding white space.

    Returns (start', end') with start <= start' < end' <= end; when nothing would be left,
    the sentence as given (trimmed). Raises ValueError for an empty or out-of-range span.
    """
    if not 0 <= start < end <= len(text):
        raise ValueError(f"not a non-empty span of the text: {start}..{end} of {len(text)}")
    s, e = _strip_markup(text, start, end)
    s = _dateline_end(text, s, e)
    s, e = _strip_markup(text, s, e)
    return s, e


def dateline_end(text: str, start: int) -> int:
    """The offset just after a dateline that begins at `start` ("LONDON (Reuters) - "), or
    `start` when none does. The dateline and the sentence after it must be on one line."""
    line_end = text.find("\n", start)
    return _dateline_end(text, start, len(text) if line_end < 0 else line_end)


def is_caption(sentence: str) -> bool:
    """Whether `sentence` is a photo caption or credit line ("Photo: Reuters", "(Photo by
    Jane Roe/Getty Images)", "FILE - …"): such sentences describe a picture, not the news,
    so they make poor answers. A caption split into sentences is recognised by its credit
    part; emphasis alone ("*…*") is not taken as a caption, since articles italicise
    editor's notes and quotations too."""
    return _CAPTION.search(sentence) is not None


def _dateline_end(text: str, start: int, end: int) -> int:
    """dateline_end within text[start:end]: the sentence after the dateline is non-empty."""
    match = _DATELINE.match(text, start, end)
    if match is None or match.start("dash") - start > _MAX_DASH_AT:
        return start
    after = match.end()
    if after >= end or not (text[after].isupper() or text[after].isdigit() or text[after] in _SENTENCE_OPENING):
        return start
    if not any(c.islower() for c in text[after : min(end, after + _PROSE_WINDOW)]):
        return start
    place = match.group("place")
    if sum(c.isalpha() for c in place) < 2 or place.split()[0] == "FILE":
        return start
    bare = match.group("region") is None and match.group("date") is None and match.group("outlet") is None
    if bare and place in _NOT_PLACES:
        return start
    return after


def _strip_markup(text: str, start: int, end: int) -> tuple[int, int]:
    """text[start:end] without surrounding white space and emphasis markers ("*A fire.*",
    and "*A fire*." loses the period with the marker), or, when nothing would be left,
    only without the white space."""
    s, e = start, end
    while s < e and (text[s] in _MARKUP or text[s].isspace()):
        s += 1
    wrapped = any(text[i] in _MARKUP for i in range(start, s))
    p = e
    while wrapped and p > s and text[p - 1] in _FINAL_PUNCTUATION:
        p -= 1
    if p < e and p > s and text[p - 1] in _MARKUP:
        e = p
    while e > s and (text[e - 1] in _MARKUP or text[e - 1].isspace()):
        e -= 1
    if s < e:
        return s, e
    s, e = start, end
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return (s, e) if s < e else (start, end)
