"""The offline answerer: quotes the sentences that best answer the question, each cited.

It never writes a word the sources do not contain (beyond the [n] markers), and it
refuses when no sentence covers enough of what was asked.

Steps: split the passages into sentences; score each lexically (IDF-weighted coverage of
the question's terms, expected answer type) and semantically (MiniLM cosine, for the
lexically best few only: embedding every sentence would cost ~6 ms each); keep the best
sentence, add others that cover what it missed or that contradict it; refuse below the
calibrated evidence thresholds.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from rag.bm25 import tokenize
from rag.citations import place_markers
from rag.embeddings import Embedder
from rag.lexical import (
    TermWeights,
    answer_type_terms,
    expected_answer_type,
    focus_terms,
    has_answer_type,
    question_terms,
)
from rag.sentences import sentence_spans
from rag.types import Citation, Draft, Evidence, Passage

# Below this share of the question's (IDF-weighted) words, no sentence can answer it.
MIN_COVERAGE = 0.3
# Logistic model of "this best sentence answers the question", fitted on the SQuAD 2.0
# dev questions and the seed questions by `python -m eval.fit_refusal` (see README).
EVIDENCE_WEIGHTS = {
    "bias": -1.99,
    "cosine": 3.257,
    "coverage": -0.499,
    "focus_coverage": 1.608,
    "retrieval": -0.305,
    "type_fit": 0.389,
    "heading": -0.482,
}
DEFAULT_MIN_EVIDENCE = 0.45
# A further sentence must add this share of the question's weight to what is covered.
MIN_ADDED_COVERAGE = 0.2
# A contrasting sentence ("however", "denied") joins the answer if it is this much on topic.
CONTRAST_MIN_COVERAGE = 0.25
SEMANTIC_CANDIDATES = 8
MAX_SENTENCES = 3
ADD_IF_WITHIN = 0.8  # a further sentence must score at least this share of the best one
_CONTRAST = re.compile(r"\b(?:however|but|disputed|denied|denies|dismissed|rejected|contradict\w*|refuted)\b", re.I)
_CLAIM = re.compile(r"\b(?:claimed|claims|announced|asserted|alleged|insisted)\b", re.I)
_MIN_WORDS = 4
_STATEMENT_END = re.compile(r"[.!?…][\"'”’)\]]*$")
HEADING_PENALTY = 0.1


@dataclass(frozen=True)
class SentenceEvidence:
    passage: Passage
    start: int  # offsets into the document, like the passage's
    end: int
    text: str
    terms: frozenset[str]
    coverage: float
    semantic: float = 0.0
    score: float = 0.0


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        idf: Callable[[str], float],
        document_text: Callable[[str], str] | None = None,
        cache_size: int = 8192,
        min_evidence: float = DEFAULT_MIN_EVIDENCE,
    ) -> None:
        self.min_evidence = min_evidence
        self._embedder = embedder
        self._idf = idf
        # To quote the claim a denial answers, which may sit just before the passage.
        self._document_text = document_text
        # Sentence vectors, reused across questions: most questions revisit the same passages.
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def answer(self, question: str, passages: Sequence[Passage], asked: str | None = None) -> Draft:
        """`question` is the standalone question; `asked`, the user's own words when a
        follow-up was expanded: terms only carried over from earlier turns count less."""
        terms = question_terms(question)
        carried = set(terms) - set(question_terms(asked)) if asked and asked != question else set()
        weights = TermWeights.for_question(terms, self._idf, secondary=carried)
        sentences = self.score_sentences(question, passages, weights, asked)
        if not sentences:
            return Draft("", (), True, "no passage matched the question", evidence=0.0)
        best = sentences[0]
        evidence = measure_evidence(best, weights, focus_terms(asked or question), expected_answer_type(asked or question))
        if evidence.probability < self.min_evidence or evidence.probability == 0.0:
            reason = f"evidence too weak (probability {evidence.probability:.2f}, coverage {evidence.coverage:.2f})"
            return Draft("", (), True, reason, evidence=evidence)
        chosen = _with_claims_they_contrast(self._choose(best, sentences, weights), self._document_text)
        return replace(_draft_from(chosen), evidence=evidence)

    def score_sentences(
        self, question: str, passages: Sequence[Passage], weights: TermWeights, asked: str | None = None
    ) -> list[SentenceEvidence]:
        """Every distinct sentence of the passages, best first."""
        kind = expected_answer_type(asked or question)
        found = _split(passages, weights, kind)
        if not found:
            return []
        best_passage = max(p.score for p in passages) or 1.0
        prior = {id(s): s.coverage + 0.2 * s.passage.score / best_passage for s in found}
        found.sort(key=lambda s: -prior[id(s)])
        top = found[:SEMANTIC_CANDIDATES]
        cosines = self._cosines(question, [s.text for s in top])
        if asked and asked != question:
            # A follow-up's own words say what is asked; the carried terms only say about what.
            own = self._cosines(asked, [s.text for s in top])
            cosines = [(a + b) / 2 for a, b in zip(cosines, own)]
        scored = [
            replace(s, semantic=cos, score=_combine(s, cos, best_passage, kind)) for s, cos in zip(top, cosines)
        ]
        return sorted(scored, key=lambda s: -s.score)

    def _choose(
        self, best: SentenceEvidence, ranked: list[SentenceEvidence], weights: TermWeights
    ) -> list[SentenceEvidence]:
        chosen = [best]
        covered = set(best.terms)
        for other in ranked[1:]:
            if len(chosen) == MAX_SENTENCES or other.score < ADD_IF_WITHIN * best.score:
                break
            gain = weights.coverage(covered | other.terms) - weights.coverage(covered)
            adds_terms = gain >= MIN_ADDED_COVERAGE
            contrasts = bool(_CONTRAST.search(other.text)) and other.coverage >= CONTRAST_MIN_COVERAGE
            if adds_terms or contrasts:
                chosen.append(other)
                covered |= other.terms
        # Reading order within each article, articles in order of their best sentence.
        rank = {s.passage.doc_id: i for i, s in reversed(list(enumerate(chosen)))}
        return sorted(chosen, key=lambda s: (rank[s.passage.doc_id], s.start))

    def _cosines(self, question: str, texts: list[str]) -> list[float]:
        query = self._embedder.embed_query(question)
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        vectors = self._embedder.embed_documents(missing) if missing else []
        with self._lock:
            for text, vector in zip(missing, vectors):
                self._vectors[text] = vector
            found = [self._vectors.get(t) for t in texts]
            while len(self._vectors) > self._cache_size:
                self._vectors.popitem(last=False)
        return [float(np.dot(v, query)) if v is not None else 0.0 for v in found]


def _with_claims_they_contrast(
    chosen: list[SentenceEvidence], document_text: Callable[[str], str] | None
) -> list[SentenceEvidence]:
    """Disputed claims are quoted with both sides: a denial ("Zelensky, however, disputed
    ...") brings the claim before it, and a claim brings a denial right after it."""
    result = list(chosen)
    for sentence in chosen:
        if len(result) >= MAX_SENTENCES:
            break
        if _CONTRAST.search(sentence.text):
            other, at = _neighbour(sentence, document_text, before=True), result.index(sentence)
        elif _CLAIM.search(sentence.text):
            other, at = _neighbour(sentence, document_text, before=False), result.index(sentence) + 1
            other = other if other is not None and _CONTRAST.search(other.text) else None
        else:
            continue
        if other is not None and all((other.passage.doc_id, other.start) != (s.passage.doc_id, s.start) for s in result):
            result.insert(at, other)
    return result


def _neighbour(
    sentence: SentenceEvidence, document_text: Callable[[str], str] | None, before: bool
) -> SentenceEvidence | None:
    """The sentence just before (or after) `sentence` in its article."""
    passage = sentence.passage
    if document_text is not None:
        text, offset = document_text(passage.doc_id), 0
    else:
        text, offset = passage.text, passage.start
    if before:
        lo, hi = max(offset, sentence.start - 3000), sentence.start
    else:
        lo, hi = sentence.end, min(offset + len(text), sentence.end + 3000)
    spans = [
        (s, e) for s, e in sentence_spans(text, lo - offset, hi - offset) if len(text[s:e].split()) >= _MIN_WORDS
    ]
    if not spans:
        return None
    start, end = spans[-1] if before else spans[0]
    quote = text[start:end]
    terms = frozenset(tokenize([quote])[0])
    return SentenceEvidence(passage, start + offset, end + offset, quote, terms, 0.0, 0.0, sentence.score)


def _split(passages: Sequence[Passage], weights: TermWeights, kind: str | None) -> list[SentenceEvidence]:
    seen: set[tuple[str, int]] = set()
    found: list[SentenceEvidence] = []
    for passage in passages:
        for start, end in sentence_spans(passage.text):
            key = (passage.doc_id, passage.start + start)
            text = passage.text[start:end]
            if key in seen or len(text.split()) < _MIN_WORDS:
                continue
            seen.add(key)
            terms = frozenset(tokenize([text])[0])
            if kind and has_answer_type(text, kind):
                terms |= answer_type_terms(kind)
            found.append(
                SentenceEvidence(passage, passage.start + start, passage.start + end, text, terms, weights.coverage(terms))
            )
    return found


def measure_evidence(
    best: SentenceEvidence, weights: TermWeights, focus: set[str], kind: str | None
) -> Evidence:
    """The features of the best sentence and the fitted probability that it answers."""
    features = {
        "cosine": best.semantic,
        "coverage": best.coverage,
        "focus_coverage": weights.restricted_to(focus).coverage(set(best.terms)),
        "retrieval": best.passage.score,
        "type_fit": (1 if has_answer_type(best.text, kind) else -1) if kind else 0,
        "heading": not _STATEMENT_END.search(best.text),
    }
    logit = EVIDENCE_WEIGHTS["bias"] + sum(EVIDENCE_WEIGHTS[name] * float(value) for name, value in features.items())
    probability = 0.0 if best.coverage < MIN_COVERAGE else 1.0 / (1.0 + math.exp(-logit))
    rounded = {name: round(value, 4) if isinstance(value, float) else value for name, value in features.items()}
    return Evidence(**rounded, probability=round(probability, 4))


def _combine(sentence: SentenceEvidence, cosine: float, best_passage: float, kind: str | None) -> float:
    type_fit = 0.08 if has_answer_type(sentence.text, kind) else -0.08
    passage_prior = sentence.passage.score / best_passage
    # A headline or section heading names a topic; it states nothing that answers.
    heading = 0.0 if _STATEMENT_END.search(sentence.text) else HEADING_PENALTY
    return 0.45 * cosine + 0.4 * sentence.coverage + 0.15 * passage_prior + (type_fit if kind else 0.0) - heading


def _draft_from(chosen: Sequence[SentenceEvidence]) -> Draft:
    parts: list[str] = []
    citations: list[Citation] = []
    for n, sentence in enumerate(chosen, start=1):
        parts.append(place_markers(_without_marker_lookalikes(sentence.text), [n]))
        citations.append(
            Citation(
                n=n,
                doc_id=sentence.passage.doc_id,
                title=sentence.passage.title,
                source=sentence.passage.source,
                text=sentence.text,
                start=sentence.start,
                end=sentence.end,
                score=round(sentence.score, 4),
            )
        )
    return Draft(" ".join(parts), tuple(citations), False)


_MARKER_LOOKALIKE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def _without_marker_lookalikes(quote: str) -> str:
    """An article's own "[7]" would read as one of our citations: show it as "(7)" in the
    answer text. The citation keeps the article's exact words and offsets."""
    return _MARKER_LOOKALIKE.sub(r"(\1)", quote)
