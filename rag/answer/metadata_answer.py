"""Answers about an article itself (its author, publication date or outlet), not its content.

The offline answerer can only quote sentences, so "Who wrote the report about the captured
soldiers?" used to quote some sentence about soldiers. Such questions are answered from the
document's metadata instead, citing the line of its text that states the fact (the byline, the
date line, the "(AP)" dateline credit) so the answer stays as checkable as any other.

When does a question ask about the article? The verb's object (or subject) must be the article:
a determiner and a journalism noun ("the article", "this story", "the North Korea piece": up to
three modifier words, so "the Rodong Sinmun article" counts too), or "report" right after its
determiner ("the report", "the news report"; "the intelligence report" is a document in the
news), or a bare "this"/"it" (only with wrote/authored/penned: "Who reported it?" is about news).
So "Who wrote the agreement ...?", "Who published the video?", "When was the statement
published?" and "Which newspaper did Zelensky speak to?" are content questions (None). Decided:
"Who wrote about X?" asks for the byline, "Where was the story written?" for a place (None),
"Who published this?" for the outlet; "byline" always means author.

"Who is Maria Okafor?" about someone the retrieved articles name only in their byline is
answered the same way: she wrote them, citing each byline (`_byline_draft`); when an article
names her elsewhere, what it says of her is the answer, so the question is left to the answerer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterator, Literal, Sequence
from urllib.parse import urlsplit

from rag.answer.answer_types import described_name
from rag.answer.citations import place_markers
from rag.answer.refusal import METADATA_NO_ARTICLE_REASON, metadata_unstated
from rag.types import Citation, Document, Draft, Passage

MetadataKind = Literal["author", "published", "outlet"]

_DET = r"(?:the|this|that|these|those|its|an?|today['’]s|your)"
_MOD = r"(?:(?!(?:in|of|on|about|and|or|the|an?|to|from|by|for|with|at|that|which|who|this)\b)[\w'’-]+\s+)"
_NOUN = r"(?:articles?|stor(?:y|ies)|pieces?(?!\s+of\b)|op-?eds?|columns?|editorials?|write-?ups?|news\s+items?)"
# An article named by its title: quoted ("the “Storm closes harbor” story") or in title case
# ("the Ukraine Captures Two North Korean Soldiers article"; small words lower case between).
_TITLE_WORD = r"(?-i:[A-Z0-9][\w'’.:-]*)"
_SMALL = r"(?-i:of|the|and|to|in|on|for|with|at|a|an|by|from|as|after|over|into|amid|vs\.?)"
_TITLE = rf"(?:[\"“‘][^\"“”‘’?]{{2,200}}[\"”’]|{_TITLE_WORD}(?:\s+(?:{_SMALL}\s+){{0,3}}{_TITLE_WORD}){{0,15}})"
_ART_P = (rf"\b(?:{_DET}\s+{_MOD}{{0,3}}{_NOUN}|{_DET}\s+{_TITLE}\s+{_NOUN}"
          rf"|{_DET}\s+(?:news\s+)?reports?)")  # may be possessive
_ART = rf"{_ART_P}(?![\w-]|['’]s)"
_OBJ = rf"(?:{_ART}|(?:this|it)(?=\s*(?:[?.!,;]|$|\s+(?:about|on|regarding)\b)))"
_SUBJ = rf"(?:{_ART}|this|it|that)"
_TOPIC = r"(?:\s+(?:about|on|regarding|concerning|covering|describing|that|which|reporting)\b[^?]*?)?"
_END = r"\s*(?:[?.!]|$)"
_WHO_IS = r"(?:who(?:['’]s|\s+(?:is|are|was|were))|what(?:['’]s|\s+(?:is|are|was|were))\s+the\s+names?\s+of|name|identify)"
_WRITER = r"(?:authors?|writers?|reporters?|journalists?|correspondents?)"
_OUTLET = (r"(?:(?:news\s+|media\s+)?(?:outlets?|newspapers?|papers?|publications?|sites?|websites?|networks?"
           r"|agenc(?:y|ies)|wire\s+services?|magazines?|channels?|publishers?|organi[sz]ations?|broadcasters?))")
_RAN = r"(?:first\s+)?(?:published|ran|carried|printed|posted|put\s+out|syndicated)"
_PUB_VERB = (r"(?:first\s+)?(?:published|written|posted|dated|released|put\s+out|come\s+out|appear(?:ed)?|run"
             r"|printed|get\s+published)")

_PATTERNS: tuple[tuple[MetadataKind, str], ...] = (
    ("outlet", rf"\b(?:which|what)\s+{_OUTLET}\s+(?:{_RAN}|broadcast|aired|reported|covered|wrote)\s+{_OBJ}"),
    ("outlet", rf"\b(?:which|what)\s+{_OUTLET}\s+(?:is|was|are|were|does|did)\s+{_SUBJ}{_TOPIC}\s+"
               r"(?:(?:first\s+)?(?:come|comes|appear|appeared|published|posted|printed|run|carried)\s+)?(?:from|in|on|by)\b"),
    ("outlet", rf"\bwho\s+{_RAN}\s+{_OBJ}"),
    ("outlet", rf"\bwhere\s+(?:was|were|is|did)\s+{_SUBJ}{_TOPIC}\s+(?:first\s+)?(?:published|posted|printed|run|appear(?:ed)?)\b"),
    ("outlet", rf"\b(?:publisher|outlet)s?\s+(?:of|for|behind)\s+{_OBJ}|{_ART_P}['’]s?\s+(?:publisher|outlet)\b"),
    ("published", rf"\b(?:when|(?:what|which)\s+(?:date|day|year|month|time))\s+(?:was|were|is|did)\s+{_SUBJ}{_TOPIC}\s+{_PUB_VERB}\b"),
    ("published", rf"\b(?:publication|publishing|posting|release)\s+date(?:{_END}|\s+(?:of|for|on)\s+{_OBJ})"),
    ("published", rf"\bdate\s+of\s+(?:publication|posting)\b|\bdate\s+(?:of|on)\s+{_OBJ}"),
    ("published", rf"{_ART_P}['’]s?\s+(?:publication\s+)?date\b|\bhow\s+old\s+is\s+{_SUBJ}{_END}"),
    ("author", rf"\bwho(?:\s+\w+)?\s+(?:(?:wrote|authored|penned)\s+{_OBJ}|(?:reported|filed|covered)\s+{_ART})"),
    ("author", rf"\b(?:which|what)\s+{_WRITER}\s+(?:wrote|authored|penned|reported|filed|covered)\s+(?:{_OBJ}|about\b)"),
    ("author", r"\bwho\s+wrote\s+about\b|\bbylines?\b"),
    ("author", rf"\b{_WHO_IS}\s+(?:the|its)\s+{_WRITER}(?:{_END}|\s+(?:of|behind|for)\s+{_OBJ})"),
    ("author", rf"{_ART_P}['’]s?\s+{_WRITER}(?:['’]s?\s+names?)?{_END}"),
    ("author", rf"\b(?:who|whom)\s+(?:was|were|is)\s+{_SUBJ}{_TOPIC}\s+(?:written|authored|reported)\s+by\b"),
    ("author", rf"\bby\s+whom\s+(?:was|were|is)\s+{_SUBJ}{_TOPIC}\s+(?:written|authored)\b"),
)
_COMPILED = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _PATTERNS)


def metadata_question(question: str) -> MetadataKind | None:
    """The article fact the question asks for, or None for a question about the news itself.

    When it asks for several ("who wrote it and when?"), the first one asked wins."""
    found = [(match.start(), i, kind) for i, (kind, rx) in enumerate(_COMPILED) if (match := rx.search(question))]
    return min(found)[2] if found else None


@dataclass(frozen=True)
class MetadataFact:
    """A fact about an article; `document.text[start:end]` is the line stating it, or both are
    None when only the stored metadata knows it."""

    kind: MetadataKind
    value: str
    start: int | None = None
    end: int | None = None


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_DATE = re.compile(r"(?P<iso>\d{4}-\d{2}-\d{2})|(?P<m1>[A-Za-z]{3,9})\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{4})"
                   r"|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?P<m2>[A-Za-z]{3,9})\.?,?\s+(?P<y2>\d{4})")
_DATELINE = re.compile(r"^(?P<head>[A-Z][A-Z.'’ -]*[A-Z.](?:,[^—–\n]{0,80}?)?)\s*(?:—|–|--)\s*\S")
_CREDIT = re.compile(r"^(?P<head>[A-Z][A-Z.'’ -]*[A-Z.](?:,[^()\n—–]{0,60})?\s*\((?P<credit>[A-Z][\w .&'’/-]{0,40})\))"
                     r"\s*(?:—|–|--|-)")
_YEARS = r"\d{4}(?:\s*[-–]\s*\d{4})?"
# "© 2025 Outlet. All rights reserved." or "Copyright 2025 Outlet": a bare "Copyright laws ..." is prose.
_COPYRIGHT = re.compile(rf"^(?:copyright\s*(?:©|\(c\))?\s*{_YEARS}|(?:copyright\s*)?©\s*(?:{_YEARS})?|\(c\)\s*{_YEARS})"
                        r"\s*,?\s*(?P<name>[^.|]+)", re.IGNORECASE)
_BYLINE = re.compile(r"^(?:\w+\s+)?by\s", re.IGNORECASE)  # "By", "Written by", "Reporting by"
_BYLINE_OUTLET = re.compile(r"^(?:\w+\s+)?by\s.+?(?:\s\|\s|\sfor\s)(?P<name>[A-Z][\w.&'’ -]+?)$", re.IGNORECASE)
_ROLE = re.compile(r"\b(?:correspondent|reporter|editor|writer|staff|contributor|columnist|analyst)\b|\d", re.I)
_WIRES = {"AP": "The Associated Press", "AFP": "Agence France-Presse", "UPI": "United Press International"}
_FILE_LIKE = re.compile(r"[/\\#]|\.(?:txt|md|html?|json|jsonl|xml|pdf|csv|docx?|rtf)$", re.IGNORECASE)
_META_WORDS = 15  # a byline or date line is short; a body sentence that mentions a date is not cited


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, line) of every non-blank line, trimmed, with offsets into `text`."""
    offset = 0
    for raw in text.splitlines(keepends=True):
        line = raw.strip()
        if line:
            start = offset + len(raw) - len(raw.lstrip())
            yield start, start + len(line), line
        offset += len(raw)


def _iso(match: re.Match[str]) -> str | None:
    if match["iso"]:
        return match["iso"]
    word, day, year = (match["m1"], match["d1"], match["y1"]) if match["m1"] else (match["m2"], match["d2"], match["y2"])
    month = next((i for i, name in enumerate(_MONTHS, 1) if name.startswith(word.lower())), None)
    try:
        return date(int(year), month, int(day)).isoformat() if month and len(word) >= 3 else None
    except ValueError:
        return None


def human_date(iso: str) -> str:
    """"2025-06-11" -> "June 11, 2025"; anything that is not an ISO date is returned as it is."""
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{_MONTHS[day.month - 1].capitalize()} {day.day}, {day.year}"


def _unstated_date(iso: str) -> str:
    """A stored date no line of the text states. Ingest stores a month-precision date ("May
    2025") as the 1st of its month (`ingest.dates.iso_date`), so a 1st is shown as its month:
    "May 2025" is true of both, "May 1, 2025" would invent a day."""
    shown = human_date(iso)
    if shown != iso and iso.endswith("-01"):
        return f"{_MONTHS[int(iso[5:7]) - 1].capitalize()} {iso[:4]}"
    return shown


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _author_names(document: Document) -> list[str]:
    """The names in the document's "authors" metadata ("Jane Doe; Bob Roe")."""
    return [n.strip() for n in str(document.metadata.get("authors", "")).split(";") if n.strip()]


def _author(document: Document) -> MetadataFact | None:
    names = _author_names(document)
    if not names:
        return None
    lines = [(s, e, line) for s, e, line in _lines(document.text)
             if all(n.casefold() in line.casefold() for n in names) and len(line.split()) <= _META_WORDS + 5]
    best = next((x for x in lines if _BYLINE.match(x[2])), None)
    best = best or next((x for x in lines if len(x[2].split()) <= _META_WORDS and not x[2].endswith(".")), None)
    return MetadataFact("author", _join(names), *(best[:2] if best else (None, None)))


def _published(document: Document) -> MetadataFact | None:
    iso = str(document.metadata.get("published", "")).strip()
    if not iso:
        return None
    for start, end, line in _lines(document.text):
        short = len(line.split()) <= _META_WORDS and (not line.endswith(".") or line.lower().startswith(("published", "updated", "posted")))
        dateline = _DATELINE.match(line)
        stated = line if short else dateline["head"] if dateline else ""
        if any(_iso(m) == iso for m in _DATE.finditer(stated)):
            return MetadataFact("published", human_date(iso), start, start + len(stated))
    return MetadataFact("published", _unstated_date(iso))


def _outlet(document: Document) -> MetadataFact | None:
    """Stated in the text first (dateline credit, copyright line, byline "| Outlet" or "for
    Outlet"), as it can be cited; then `source` when it is a name, not a file or URL; then the
    URL's site."""
    for start, end, line in _lines(document.text):
        short = len(line.split()) <= _META_WORDS and not line.endswith(".")  # "By Tuesday, crews ... for X." is prose
        credit, copyright, byline = _CREDIT.match(line), _COPYRIGHT.match(line), short and _BYLINE_OUTLET.match(line)
        if credit:
            return MetadataFact("outlet", _WIRES.get(credit["credit"].strip(), credit["credit"].strip()), start, start + credit.end("head"))
        for match in (copyright, byline):
            name = re.sub(r"[\s,]*\d{4}$", "", match["name"]).strip() if match else ""
            if name and len(name.split()) <= 8 and re.search(r"[A-Za-z]", name) and not _ROLE.search(name):
                return MetadataFact("outlet", name, start, end)
    source = document.source.strip()
    if source and source != document.doc_id and "://" not in source and not _FILE_LIKE.search(source) and len(source.split()) <= 6:
        return MetadataFact("outlet", source)
    url = str(document.metadata.get("url", "")) or (source if "://" in source else "")
    host = urlsplit(url).hostname if url else None
    return MetadataFact("outlet", host.removeprefix("www.")) if host else None


def metadata_fact(kind: MetadataKind, document: Document) -> MetadataFact | None:
    """The article's author(s), publication date or outlet, and the line that states it; None when unknown."""
    return {"author": _author, "published": _published, "outlet": _outlet}[kind](document)


_NAMES = {"author": "author", "published": "publication date", "outlet": "outlet"}
_STATED = {"author": "was written by {}", "published": "was published on {}", "outlet": "was published by {}"}
_UNSTATED = {"author": "lists {} as its author (from the article's metadata; no byline in its text)",
             "published": "is dated {} (from the article's metadata; no date line in its text)",
             "outlet": "comes from {} (from the article's metadata; its text does not name it)"}


def metadata_draft(question: str, passages: Sequence[Passage], document_of: Callable[[str], Document]) -> Draft | None:
    """The answer to a question about the article itself, or None for any other question.

    The article asked about is the one whose title the question quotes, else the best passage's
    document: the retriever ranked by the topic the question names ("the report about the
    captured soldiers")."""
    kind = metadata_question(question)
    if kind is None:
        return _byline_draft(question, passages, document_of)
    if not passages:
        return Draft("", (), True, METADATA_NO_ARTICLE_REASON)
    asked = _folded(question)
    best = next((p for p in passages if p.title and _folded(p.title) in asked), passages[0])
    document = document_of(best.doc_id)
    title = document.title or best.title or document.doc_id
    fact = metadata_fact(kind, document)
    if fact is None:
        refusal = metadata_unstated(title, _NAMES[kind])
        return Draft(refusal.text, (), True, refusal.reason)
    if fact.start is None or fact.end is None:
        warning = (f"The {_NAMES[kind]} comes from the article's stored metadata; no line of its text "
                   "states it, so there is nothing to cite.")
        return Draft(f"The article “{title}” {_UNSTATED[kind].format(fact.value)}.", (), False, warnings=(warning,))
    text = document.text[fact.start:fact.end]
    citation = Citation(1, best, text, fact.start, fact.end, best.score)
    return Draft(place_markers(f"The article “{title}” {_STATED[kind].format(fact.value)}.", [1]), (citation,), False)


def _folded(text: str) -> str:
    """Lower case, curly quotes straight, white space single: for finding a title in a question."""
    return " ".join(text.replace("’", "'").casefold().split())


def _byline_draft(question: str, passages: Sequence[Passage], document_of: Callable[[str], Document]) -> Draft | None:
    """"Who is Maria Okafor?" when she wrote retrieved articles and no text of theirs says more
    of her than the byline: she wrote them, citing each byline. None for any other question,
    or when an article also names her elsewhere (what it says of her is the answer then)."""
    name = described_name(question)
    if name is None or not passages:
        return None
    needle = _folded(name)
    wanted = set(needle.split())
    written: dict[str, tuple[Passage, Document, MetadataFact]] = {}
    for passage in passages:
        if passage.doc_id in written:
            continue
        document = document_of(passage.doc_id)
        fact = _author(document)
        if fact is None or not any(wanted <= set(_folded(author).split()) for author in _author_names(document)):
            continue
        byline = document.text[fact.start:fact.end] if fact.start is not None and fact.end is not None else ""
        if _folded(document.text).count(needle) > _folded(byline).count(needle):
            return None  # the article names them beyond its byline
        written[passage.doc_id] = (passage, document, fact)
    if not written:
        return None
    parts: list[str] = []
    citations: list[Citation] = []
    warnings: list[str] = []
    for passage, document, fact in written.values():
        title = f"“{document.title or passage.title or document.doc_id}”"
        if fact.start is None or fact.end is None:
            parts.append(f"{title} (its metadata; no byline in its text)")
            warnings.append(f"The author of {title} comes from the article's stored metadata; no line of its text "
                            "states it, so there is nothing to cite.")
            continue
        citations.append(Citation(len(citations) + 1, passage, document.text[fact.start:fact.end], fact.start,
                                  fact.end, passage.score))
        parts.append(f"{title} [{len(citations)}]")
    if len(parts) == 1:
        text = f"{name} wrote the article {parts[0]}, which says nothing else about {name}."
    else:
        text = f"{name} wrote the articles {_join(parts)}, which say nothing else about {name}."
    return Draft(text, tuple(citations), False, warnings=tuple(warnings))
