"""Values that cross module lines: documents, chunks and ingest results.

All are frozen dataclasses so they can be shared between threads and compared
in tests without surprises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import rag.filters as filter_checks

MetadataValue = str | int | float | bool


@dataclass(frozen=True)
class Article:
    """One article as read from a source, before it is indexed.

    `text` is what gets stored and chunked; every offset in the index refers to it.
    `source_key` says where it came from (the resolved file, and the `id` or line within
    a JSON Lines file): re-ingesting the same source updates the same document.
    """

    doc_id: str
    text: str
    title: str
    source: str
    source_file: str
    authors: tuple[str, ...] = ()
    published: str | None = None  # ISO date, YYYY-MM-DD
    url: str | None = None
    subheadline: str | None = None
    dateline: str | None = None
    source_key: str = ""
    encoding: str | None = None  # the file's encoding when it was not UTF-8 ("cp1252", "utf-16-le")


@dataclass(frozen=True)
class Chunk:
    """A slice of a stored document: `document_text[start:end] == text`."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A stored document with its full text, as `rag.get_document` returns it."""

    doc_id: str
    title: str
    source: str
    text: str
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: `get_document(doc_id).text[start:end] == text`."""

    chunk_id: str
    doc_id: str
    title: str
    source: str
    text: str
    start: int
    end: int
    score: float
    published: str | None = None


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed document as `Assistant.list_documents()` lists it: its stored metadata,
    without the text (`rag.get_document(doc_id)` reads that)."""

    doc_id: str
    title: str
    source: str
    source_file: str = ""
    published: str | None = None  # ISO date, YYYY-MM-DD
    authors: tuple[str, ...] = ()
    url: str | None = None
    subheadline: str | None = None
    dateline: str | None = None
    chunk_count: int = 0
    ingested_at: str | None = None
    demo: bool = False  # one of the demo articles, indexed only because the index was empty

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, MetadataValue], *, demo: bool = False) -> DocumentInfo:
        """From the metadata a document's record holds in the index (see `ingest.pipeline`)."""
        doc_id = str(metadata["doc_id"])

        def optional(key: str) -> str | None:
            return str(metadata[key]) if key in metadata else None

        return cls(
            doc_id=doc_id,
            title=str(metadata.get("title", doc_id)),
            source=str(metadata.get("source", "")),
            source_file=str(metadata.get("source_file", "")),
            published=optional("published"),
            authors=tuple(a.strip() for a in str(metadata.get("authors", "")).split(";") if a.strip()),
            url=optional("url"),
            subheadline=optional("subheadline"),
            dateline=optional("dateline"),
            chunk_count=int(metadata.get("chunk_count", 0)),
            ingested_at=optional("ingested_at"),
            demo=demo,
        )


@dataclass(frozen=True)
class Citation:
    """Source `[n]` of an answer: the exact span of the article that backs it
    (`get_document(doc_id).text[start:end] == text`), found in the retrieved `passage`.

    The span is the whole passage or a sentence of it; for an answer about the article
    itself (its author, date, outlet) it is the line of the passage's document that states
    it. `score` is the passage's retrieval score, or the offline answerer's probability for
    a quoted sentence. `doc_id`, `chunk_id`, `title` and `source` are the passage's.
    """

    n: int
    passage: Passage
    text: str
    start: int
    end: int
    score: float

    @classmethod
    def of_passage(cls, n: int, passage: Passage) -> Citation:
        """Citation `[n]` of the whole passage."""
        return cls(n, passage, passage.text, passage.start, passage.end, passage.score)

    @property
    def doc_id(self) -> str:
        return self.passage.doc_id

    @property
    def chunk_id(self) -> str:
        return self.passage.chunk_id

    @property
    def title(self) -> str:
        return self.passage.title

    @property
    def source(self) -> str:
        return self.passage.source

    def to_dict(self) -> dict[str, object]:
        """The citation as `rag ask --json` prints it (the passage is in `Answer.passages`)."""
        return {"n": self.n, "doc_id": self.doc_id, "title": self.title, "source": self.source,
                "text": self.text, "start": self.start, "end": self.end, "score": self.score}


@dataclass(frozen=True)
class Filters:
    """Restricts retrieval; every field left empty matches everything.

    `titles` match case-insensitively as substrings; dates are ISO `YYYY-MM-DD`,
    inclusive, and only articles that have a date can match them. A filter that matches
    no document makes retrieval return nothing.

    Checked when built (`InvalidInputError` naming the field): names may be given as one
    string or a list and are stored as a tuple of non-empty strings; dates may be given as
    `datetime.date`/`datetime` and are stored as `YYYY-MM-DD`; `published_from` must not
    be after `published_to`.
    """

    doc_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    published_from: str | None = None
    published_to: str | None = None

    def __post_init__(self) -> None:
        for name in filter_checks.NAME_FIELDS:
            object.__setattr__(self, name, filter_checks.names(name, getattr(self, name)))
        for name in filter_checks.DATE_FIELDS:
            object.__setattr__(self, name, filter_checks.day(name, getattr(self, name)))
        filter_checks.check_range(self.published_from, self.published_to)

    @property
    def is_empty(self) -> bool:
        return not (self.doc_ids or self.sources or self.titles or self.published_from or self.published_to)


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, for follow-up questions."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Evidence:
    """Why the offline answerer answered or refused: the claim check and features of its
    best sentence, and the probability, from a model fitted on SQuAD 2.0 questions
    (`rag.answer.answer_model`), that the sentence answers the question."""

    probability: float
    cosine: float  # semantic similarity of question and sentence (MiniLM)
    coverage: float  # share of the question's IDF-weighted words in the sentence
    focus_coverage: float  # the same for the question's words that are not names
    type_fit: float  # 1 holds the expected answer type (age, number, date, person, ...), 0.5 weakly, 0 not
    missing: tuple[str, ...] = ()  # names/numbers of the question its article never mentions
    absence: bool = False  # the sentence says the asked detail is not known or not given
    features: Mapping[str, float] = field(default_factory=dict)  # every feature the model saw
    contributions: Mapping[str, float] = field(default_factory=dict)  # each feature's share of the logit
    # What decided to answer or refuse: "judge" (the probability against the threshold) or
    # "description" ("Who is Mick Ryan?": a statement naming them, `rag.answer.refusal` rule 5d).
    decided_by: str = "judge"


@dataclass(frozen=True)
class Fact:
    """The short answer inside a quoted sentence (the age, the number, the name):
    `get_document(doc_id).text[start:end] == text`, within citation `citation`'s span."""

    text: str
    citation: int  # the n of the citation whose quote holds it
    start: int
    end: int


@dataclass(frozen=True)
class Support:
    """The sentence of citation [n] that backs a claim: exact offsets into the document
    (`get_document(doc_id).text[start:end] == text`), narrower than the cited passage."""

    n: int
    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Verdict:
    """One sentence of an answer, checked against what it cites (`rag.answer.verify`)."""

    claim: str  # the sentence, [n] markers stripped
    cited: tuple[int, ...]  # the [n] numbers it carries
    supported: bool
    reason: str  # always set, human-readable
    supporting: tuple[int, ...] = ()  # which of `cited` support it
    support: tuple[Support, ...] = ()  # where, sentence by sentence
    verdict: str = field(init=False)  # "supported" or "unsupported" (also in `rag ask --json`)

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", "supported" if self.supported else "unsupported")


@dataclass(frozen=True)
class Answer:
    """What `ask` returns: text with `[n]` markers and the citations they point to.

    When `refused` is True the text explains why and there are no citations, except for a
    `partial` answer: the articles discuss the topic but not the asked detail, and the text
    says so, citing what they do report. `passages` still shows what was searched.
    `fact` is the short answer inside the first quote, when there is one; `facts` holds the
    short answer of each part of a compound question ("How old were they, and where are they
    treated?"), in the parts' order, `fact` being the first.
    """

    question: str
    standalone_question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    answerer: str
    warnings: tuple[str, ...] = ()
    refusal_reason: str = ""
    # Offline answerer: how well its best sentence supports an answer; the question is
    # refused when evidence.probability < RAG_MIN_EVIDENCE. None for the LLM answerer.
    evidence: Evidence | None = None
    fact: Fact | None = None
    partial: bool = False
    # LLM answers: each sentence checked against the sentences it cites; an unsupported one
    # is also named in `warnings` (and dropped with RAG_STRICT=true). Offline answers quote
    # the articles word for word and carry none.
    verdicts: tuple[Verdict, ...] = ()
    facts: tuple[Fact, ...] = ()  # every part's short answer; (fact,) for a simple question

    def __post_init__(self) -> None:
        # `fact` is facts[0]: either one given fills in the other; both given must agree.
        if self.fact is not None and not self.facts:
            object.__setattr__(self, "facts", (self.fact,))
        elif self.facts and self.fact is None:
            object.__setattr__(self, "fact", self.facts[0])
        elif self.facts and self.fact != self.facts[0]:
            raise ValueError("Answer.fact must be Answer.facts[0]: give one of them, or both in agreement")


@dataclass(frozen=True)
class Draft:
    """An answerer's result before the assistant wraps it into an `Answer`."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    reason: str = ""
    warnings: tuple[str, ...] = ()
    evidence: Evidence | None = None
    answerer: str = ""  # set when not the assistant's usual answerer (an offline fallback)
    fact: Fact | None = None
    partial: bool = False  # a refusal that cites what the articles do say
    written: bool = False  # a model's own words (not quotes): each sentence is verified


# -- What an ingest run did (`ingest.ingest_paths`, `Assistant.add`) ------------------------


@dataclass(frozen=True)
class FileProblem:
    """Why one file, or one line of a JSON Lines file, was not ingested."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Renamed:
    """A new article whose preferred doc id belonged to another source: it got `doc_id`."""

    doc_id: str
    wanted: str
    held_by: str  # the other source's file (or key), for the message

    def __str__(self) -> str:
        return f"{self.wanted!r} already names the document from {self.held_by}; indexed as {self.doc_id!r}"


@dataclass(frozen=True)
class Duplicate:
    """A new article skipped because the same text is already indexed as `same_as`
    (that document is kept as it is)."""

    doc_id: str
    same_as: str


@dataclass(frozen=True)
class Replaced:
    """A document taken over by a new source (`rag ingest --replace`)."""

    doc_id: str
    previous_source: str


@dataclass(frozen=True)
class IngestReport:
    """What an ingest run did: the doc ids it added, updated or left alone, and every file
    (or JSON line) it could not read, with the reason."""

    new: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    duplicates: tuple[Duplicate, ...]
    pruned: tuple[str, ...]
    problems: tuple[FileProblem, ...]
    ignored_files: int
    chunks_written: int
    documents_total: int
    chunks_total: int
    seconds: float
    moved: tuple[str, ...] = ()  # same text found under the same name elsewhere; not re-embedded
    renamed: tuple[Renamed, ...] = ()  # new articles whose preferred doc id was taken
    replaced: tuple[Replaced, ...] = ()
    notes: tuple[str, ...] = ()  # per file, e.g. "<path>: not UTF-8, decoded as Windows-1252"
    demo_removed: tuple[str, ...] = ()  # the demo articles, gone now that the user's own arrived

    @property
    def failed(self) -> int:
        """Files, or JSON lines, that could not be ingested."""
        return len(self.problems)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line: documents new/updated/unchanged/failed, chunks, time."""
        parts = [
            f"{len(self.new)} new",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
            f"{self.failed} failed",
        ]
        if self.moved:
            parts.append(f"{len(self.moved)} moved")
        if self.replaced:
            parts.append(f"{len(self.replaced)} replaced")
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicate")
        if self.pruned:
            parts.append(f"{len(self.pruned)} pruned")
        if self.demo_removed:
            parts.append(f"{len(self.demo_removed)} demo removed")
        return (
            f"{', '.join(parts)}; {self.chunks_written} chunks embedded; index holds "
            f"{self.documents_total} documents, {self.chunks_total} chunks ({self.seconds:.1f}s)"
        )


@dataclass(frozen=True)
class ReadAhead:
    """What `Assistant.read_ahead` (`rag read-ahead`) did: the distinct sentences of the
    passages it went through, and how many of them it read (the others were kept already)."""

    sentences: int
    read: int
