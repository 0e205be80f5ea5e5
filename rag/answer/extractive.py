"""The offline answerer: quotes the sentences that best answer the question, each cited.

It never writes a word the sources do not contain (beyond the [n] markers and the
fixed wording of a partial answer), and it refuses when no sentence is likely enough to
answer.

Steps: split the retrieved passages into sentences; for every sentence, the claim check
(`rag.answer.claims`: the question's names and numbers in the sentence and its article, the
expected answer type, statements that a detail is not known), the lexical coverage and
the MiniLM similarity; the fitted answer model (`rag.answer.answer_model`) turns them into the
probability that the sentence answers. The best sentence is quoted with others that add
what it misses, answer another part of the question, dispute it, or that the ranker finds
nearly as likely (it cannot tell them apart); below the evidence
threshold the question is refused — saying what the articles do report when they
discuss the topic but not the asked detail. Those refusal rules, thresholds and words are
`rag.answer.refusal`'s (rule 5).
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from rag.answer.answer_model import AnswerModel, load_answer_model, question_features
from rag.config import DEFAULT_SENTENCE_CACHE
from rag.errors import ConfigurationError
from rag.text.tokenize import tokenize
from rag.answer.citations import ANSWER_MARKER, place_markers
from rag.answer.claims import ArticleWords, ClaimCheck, QuestionFacts, check_claim
from rag.index.embeddings import Embedder, PieceVectors
from rag.index.sentence_store import SentenceStore, kept_precision
from rag.index.store import version_of
from rag.answer.answer_types import answer_type_terms, introduces
from rag.text.lexical import TermWeights, focus_terms, question_terms
from rag.answer.piece_match import piece_match, question_rows
from rag.answer.quotes import is_caption, quote_span
from rag.answer.refusal import (
    NO_SENTENCE_REASON,
    evidence_threshold,
    may_join,
    no_typed_sentence_reason,
    offline_refusal,
    pick_answer,
    pick_description,
    undescribed_reason,
    weak_evidence_reason,
)
from rag.text.sentences import sentence_spans
from rag.types import Citation, Draft, Evidence, Fact, Passage, ReadAhead

logger = logging.getLogger(__name__)

# A further sentence joins the answer when its probability is at least this share of the best's...
ADD_IF_WITHIN = 0.6
# For a multi-part question ("where did each of the two ... want to go?"), a sentence that
# holds another answer of the asked type joins if it is at least this share of the best.
MULTI_PART_WITHIN = 0.25
# ... and it adds this share of the question's weight to what is covered, answers another
# part of a multi-part question, or disputes the best sentence.
MIN_ADDED_COVERAGE = 0.2
# ... or is at least this share of the best's, whatever it adds: the ranker cannot tell the two
# apart, so both are quoted, each with its source (chosen on SQuAD 2.0 out of fold: README,
# "Answering offline"; never on the seed questions).
TIED_WITHIN = 0.8
CONTRAST_MIN_COVERAGE = 0.25
MAX_SENTENCES = 3
# An answer is chosen among at most this many of the passages' sentences (~30 for five news
# passages): the best by every feature but the word-piece match, which needs each sentence read
# by MiniLM (~5 ms a sentence on 2 cores) while the pooled vector may be stored (`SentenceStore`).
# Of those, only the ones within `READ_WITHIN` of the best in the ranker's logit without the
# word-piece terms (statements only), and never fewer than `READ_AT_LEAST`: the word pieces
# rarely move a sentence further (their weights: 7.7 a unit of mean match). On 1,504 SQuAD 2.0
# dev questions (every 2nd; never the seed questions), the margin chosen 5-fold by article
# (1.75-2.0, the smallest keeping what 8 keep in the other folds) kept the full ranker's pick
# out of fold for 1,500 (8 kept: 1,501), reading 4.3 sentences on average instead of 8; on
# QuAIL's news (measured only) 539 of 539, 4.9 read. README, "Scaling out" 5.
READ_KEPT = 8
READ_AT_LEAST = 3
READ_WITHIN = 2.0
_READ_AHEAD_SLICE = 256  # sentences read (and stored) at a time: an interrupted read-ahead keeps what it read
PIECE_FEATURES = frozenset({"piece_match", "piece_match_weakest", "piece_match_gap"})
ARTICLE_CACHE = 64  # whole articles kept for the claim check (by chunk version)
# Answers what came before: a denial anywhere, "But"/"Yet" only opening the sentence (", but
# Odenkirk has recovered" contrasts within its own sentence, not with the one before).
_CONTRAST = re.compile(
    r"\b(?:however|disputed|denied|denies|dismissed|rejected|contradict\w*|refuted)\b|^\W*(?:but|yet)\b", re.I
)
_CLAIM = re.compile(r"\b(?:claimed|claims|announced|asserted|alleged|insisted)\b", re.I)
# "Where did each of the two prisoners want to go?": one sentence per part may be needed.
_MULTI_PART = re.compile(r"\b(?:each|both|respectively|either|two|three|all the)\b|\band\b.*\?", re.I)
_MIN_WORDS = 4
_STATEMENT_END = re.compile(r"[.!?…][\"'”’)\]]*$")


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, checked and scored."""

    passage: Passage
    start: int  # offsets into the document, like the passage's
    end: int
    text: str
    terms: frozenset[str]
    check: ClaimCheck
    features: Mapping[str, float]
    logit: float  # the ranker's: how likely this sentence holds the answer
    probability: float

    @property
    def statement(self) -> bool:
        """Not a headline, section heading or photo caption."""
        return _is_statement(self.text)


def _is_statement(text: str) -> bool:
    return bool(_STATEMENT_END.search(text)) and not is_caption(text)


@dataclass(frozen=True)
class Article:
    """An article's text as far as it is known, and where that text starts in the article."""

    text: str
    offset: int  # 0 for the whole article; a passage's start when only the passage is known


@dataclass(frozen=True)
class _Sentence:
    passage: Passage
    start: int
    end: int
    text: str
    terms: frozenset[str]
    context_terms: frozenset[str]  # with the sentence before it in the passage


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        embedder: Embedder,
        idf: Callable[[str], float],
        document_texts: Callable[[Mapping[str, str]], Mapping[str, str]] | None = None,
        cache_size: int = DEFAULT_SENTENCE_CACHE,
        min_evidence: float | None = None,
        model: AnswerModel | None = None,
        store: SentenceStore | None = None,
    ) -> None:
        self.model = model or load_answer_model()
        self.min_evidence = evidence_threshold(min_evidence, self.model.min_evidence)
        self._embedder = embedder
        self._idf = idf
        # The whole articles (doc_id -> text, of those stored, asked for by doc_id -> the version
        # the passages belong to): for the claim check, and to quote the claim a denial answers.
        self._document_texts = document_texts
        # Sentence and word-piece vectors, computed when first needed and reused across
        # questions (most questions revisit the same passages). Measured against embedding
        # every sentence at ingest: see the README ("Answering offline"). A news sentence's
        # pieces take about 25 KB (float16), so 5,000 sentences about 125 MB; the Assistant
        # passes RAG_SENTENCE_CACHE (Settings.sentence_cache).
        self._vectors: OrderedDict[str, PieceVectors] = OrderedDict()
        self._cache_size = cache_size
        # Pooled vectors of sentences read before, kept on disk across runs: with every
        # sentence's there, a first question reads only the few it chooses among (`READ_KEPT`).
        self._store = store
        self._articles: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def answer(self, question: str, passages: Sequence[Passage], asked: str | None = None) -> Draft:
        """`question` is the standalone question; `asked`, the user's own words when a
        follow-up was expanded: terms only carried over from earlier turns count less."""
        weights, facts = self._weights(question, asked), QuestionFacts.parse(asked or question)
        ranked = self._rank(question, passages, weights, facts, keep=READ_KEPT)
        if not ranked:
            return Draft("", (), True, NO_SENTENCE_REASON)
        if facts.described is not None:
            return self._describe(ranked, facts, facts.described)
        pick = pick_answer([c.features for c in ranked], [c.probability for c in ranked])
        if pick is None:  # asks for a type (how many, who, when) that no likely sentence holds
            evidence = _evidence(ranked[0], ranked[1] if len(ranked) > 1 else None, self.model)
            return replace(_refusal(ranked[0], ranked, facts, no_typed_sentence_reason(facts.kind)), evidence=evidence)
        best = ranked[pick]
        ranked = [best, *(c for c in ranked if c is not best)]
        evidence = _evidence(best, ranked[1] if len(ranked) > 1 else None, self.model)
        reason = weak_evidence_reason(evidence.probability, self.min_evidence)
        if reason is not None:
            return replace(_refusal(best, ranked, facts, reason), evidence=evidence)
        chosen = _with_claims_they_contrast(self._choose(best, ranked, weights, facts), self._article)
        return replace(_draft_from(chosen, best), evidence=evidence)

    def _describe(self, ranked: list[Candidate], facts: QuestionFacts, name: str) -> Draft:
        """Rule 5d ("Who is Mick Ryan?"): the best-ranked statement naming them, alone."""
        named = [c.statement and ArticleWords.of_sentence(c.text).mentions(name) for c in ranked]
        pick = pick_description(named, [introduces(c.text, name) for c in ranked])
        best = ranked[0] if pick is None else ranked[pick]
        rest = [c for c in ranked if c is not best]
        evidence = replace(_evidence(best, rest[0] if rest else None, self.model), decided_by="description")
        if pick is None:
            return replace(_refusal(best, ranked, facts, undescribed_reason(name)), evidence=evidence)
        return replace(_draft_from([best], best), evidence=evidence)

    def stream(self, question: str, passages: Sequence[Passage], asked: str | None = None) -> None:
        """None: the quoted answer is whole only once every sentence is ranked, so there is
        nothing to show before it (`Answerer.stream`; `ask_stream` shows it in one piece)."""
        return None

    def rank(self, question: str, passages: Sequence[Passage], asked: str | None = None) -> list[Candidate]:
        """Every distinct sentence of the passages with its features and probability, best
        first (for explaining and fitting: `answer` chooses among the few best of them by
        every feature but the word-piece match, which only those are read for: `READ_KEPT`)."""
        return self._rank(question, passages, self._weights(question, asked), QuestionFacts.parse(asked or question))

    def _rank(
        self, question: str, passages: Sequence[Passage], weights: TermWeights, facts: QuestionFacts,
        keep: int | None = None,
    ) -> list[Candidate]:
        """The sentences of `passages`, scored, best first: all of them, or with `keep` only
        the few (`keep` at most) that the answer is chosen among (`_worth_reading`)."""
        sentences = _split(passages)
        if not sentences:
            return []
        kind_terms = answer_type_terms(facts.kind)
        # The standalone question (a follow-up with what it refers to): its words alone ("How old
        # were they?") are like nothing in any article. What was asked counts through the
        # answer type and the lower weight of carried terms.
        standalone, own_words = self._question_pieces(question, facts.question)
        pooled, read = self._pooled([s.text for s in sentences])
        cosines = [float(np.dot(pooled[s.text], standalone.vector)) for s in sentences]
        # One read for all the passages' articles, not one per sentence: an article re-ingested
        # since the search is not cached (`_articles_of`), and would be fetched again for each.
        articles = self._articles_of({s.passage.chunk_id: s.passage for s in sentences}.values())
        texts = {s.passage.doc_id: articles[s.passage.chunk_id].text for s in sentences}
        words = {doc_id: ArticleWords.of_article(text) for doc_id, text in texts.items()}
        checks = [check_claim(facts, s.text, words[s.passage.doc_id]) for s in sentences]
        best_passage = max(p.score for p in passages) or 1.0
        negated = float(facts.negated)
        article_coverage = {doc_id: weights.coverage(_terms_of(text)) for doc_id, text in texts.items()}
        coverages = [weights.coverage(_typed(s.terms, c, kind_terms)) for s, c in zip(sentences, checks)]
        shared = {
            "best_cosine": max(cosines),
            "best_coverage": max(coverages),
            "type_anywhere": _type_anywhere(facts, checks),
        }
        focus = weights.restricted_to(focus_terms(facts.question))
        known = [
            {
                "cosine": cosine,
                "cosine_gap": cosine - shared["best_cosine"],
                "coverage": coverage,
                "focus_coverage": focus.coverage(_typed(sentence.terms, check, kind_terms)),
                "context_coverage": weights.coverage(_typed(sentence.context_terms, check, kind_terms)),
                "article_coverage": article_coverage[sentence.passage.doc_id],
                "passage_score": sentence.passage.score / best_passage,
                "type_fit": (2 * check.type_fit - 1) if facts.kind else 0.0,
                "span_found": float(check.span is not None),
                "head_noun": 0.0 if check.head_found is None else (1.0 if check.head_found else -1.0),
                "missing_sentence": check.share_missing_in_sentence,
                "missing_article": check.share_missing_in_article,
                "absence": float(check.absence),
                "negation_mismatch": float(check.negation_mismatch),
                "opposite": float(check.opposite),
                "substituted": float(bool(check.substituted)),
                "number_conflict": float(check.number_conflict),
                "question_negated": negated,
                **shared,
            }
            for sentence, check, cosine, coverage in zip(sentences, checks, cosines, coverages)
        ]
        kept = list(range(len(sentences)))
        if keep is not None and facts.described is None:
            # "Who is X?" reads every sentence: its answer is any statement naming X (`_describe`).
            ahead = [self.model.ranker.logit_without(f, PIECE_FEATURES) for f in known]
            statement = [_is_statement(s.text) for s in sentences]
            kept = _worth_reading(sorted(kept, key=lambda i: (not statement[i], -ahead[i])), ahead, statement, keep)
        rows = question_rows(standalone, own_words)
        pieces = self._pieces([sentences[i].text for i in kept], pooled, read)
        matches = {i: piece_match(rows, pieces[sentences[i].text]) for i in kept}
        best_match = max(m.mean for m in matches.values())
        candidates = []
        for i in kept:
            sentence, check, match = sentences[i], checks[i], matches[i]
            features = {
                **known[i],
                "piece_match": match.mean,
                "piece_match_weakest": match.weakest,
                "piece_match_gap": match.mean - best_match,
            }
            logit = self.model.ranker.logit(features)
            candidates.append(
                Candidate(
                    sentence.passage, sentence.start, sentence.end, sentence.text, sentence.terms,
                    check, features, logit, 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit)))),
                )
            )
        # A headline or a photo caption names a topic or a picture; it states nothing that answers
        # (a rule, not a feature: SQuAD's Wikipedia text, which the model is fitted on, has none).
        return sorted(candidates, key=lambda c: (not c.statement, -c.probability))

    def _weights(self, question: str, asked: str | None) -> TermWeights:
        terms = question_terms(question)
        carried = set(terms) - set(question_terms(asked)) if asked and asked != question else set()
        return TermWeights.for_question(terms, self._idf, secondary=carried)

    def _article(self, passage: Passage) -> Article:
        return self._articles_of([passage])[passage.chunk_id]

    def _articles_of(self, passages: Iterable[Passage]) -> dict[str, Article]:
        """chunk_id -> the whole article of each passage, cached by chunk version (a re-ingested
        article has new chunk ids, so never a stale text), those not cached read in one call;
        the passage alone without `document_texts`, or when the stored article no longer holds
        the passage where it was (re-ingested or deleted between the search and this read): its
        offsets, and so its quotes, belong to the version read."""
        passages = list(passages)
        found = {p.chunk_id: Article(p.text, p.start) for p in passages}
        if self._document_texts is None:
            return found
        missing: list[Passage] = []
        with self._lock:
            for passage in passages:
                text = self._articles.get(_version(passage))
                if text is None:
                    missing.append(passage)
                else:
                    self._articles.move_to_end(_version(passage))
                    found[passage.chunk_id] = Article(text, 0)
        if not missing:
            return found
        texts = self._document_texts({p.doc_id: version_of(p.chunk_id) for p in missing})
        for passage in missing:
            text = texts.get(passage.doc_id)
            if text is None or text[passage.start : passage.end] != passage.text:
                logger.info("%s changed since it was searched: quoting its passage %s alone",
                            passage.doc_id, passage.chunk_id)
                continue
            found[passage.chunk_id] = Article(text, 0)
            with self._lock:
                self._articles[_version(passage)] = text
                while len(self._articles) > ARTICLE_CACHE:
                    self._articles.popitem(last=False)
        return found

    def _choose(
        self, best: Candidate, ranked: list[Candidate], weights: TermWeights, facts: QuestionFacts
    ) -> list[Candidate]:
        chosen = [best]
        covered = set(best.terms)
        multi_part = bool(_MULTI_PART.search(facts.question)) and facts.kind is not None
        spans = {_fact_text(best)} - {None}
        for other in ranked[1:]:
            bar = MULTI_PART_WITHIN if multi_part else ADD_IF_WITHIN
            if len(chosen) == MAX_SENTENCES or other.probability < bar * best.probability or not other.statement:
                break
            gain = weights.coverage(covered | other.terms) - weights.coverage(covered)
            contrasts = bool(_CONTRAST.search(other.text)) and other.features["coverage"] >= CONTRAST_MIN_COVERAGE
            # another part: as much about the question, holding another answer of the asked type
            other_part = (
                multi_part
                and other.check.type_fit >= 1.0
                and _fact_text(other) not in spans
                and other.features["coverage"] >= best.features["coverage"] - 0.1
            )
            # Tied: as likely as the best, so quoted even without new words (TIED_WITHIN is above
            # ADD_IF_WITHIN, so the bar below lets every tied sentence through).
            tied = other.probability >= TIED_WITHIN * best.probability
            typed = may_join(other.features)  # a dispute joins whatever it holds
            if other.probability >= ADD_IF_WITHIN * best.probability and (
                    (typed and (gain >= MIN_ADDED_COVERAGE or tied)) or contrasts) or other_part:
                chosen.append(other)
                covered |= other.terms
                spans.add(_fact_text(other))
        # Reading order within each article, articles in order of their best sentence.
        rank = {c.passage.doc_id: i for i, c in reversed(list(enumerate(chosen)))}
        return sorted(chosen, key=lambda c: (rank[c.passage.doc_id], c.start))

    def read_ahead(self, passage_texts: Iterable[str], seen: set[int] | None = None) -> ReadAhead:
        """Reads and stores the pooled vector of every sentence of `passage_texts` not stored
        yet, so a first question about them reads only the few it chooses among (`READ_KEPT`).
        Not kept in memory: a whole index read ahead would only push out what questions use.
        `seen` (the hashes of sentences gone through by earlier calls, updated) leaves out those
        sentences, so that calls over pages of an index count each sentence once (~60 bytes a
        sentence: 16 MB for the 272,059 of 45,508 news chunks)."""
        if self._store is None:
            raise ConfigurationError(
                "Sentence vectors are not kept on disk (RAG_SENTENCE_STORE=false, or their file could not be "
                "opened: see the log), so there is nothing to read ahead into."
            )
        sentences = list(dict.fromkeys(s for text in passage_texts for s in answer_sentences(text)))
        if seen is not None:
            sentences = [s for s in sentences if hash(s) not in seen]
            seen.update(map(hash, sentences))
        kept = self._store.get(sentences)
        missing = [s for s in sentences if s not in kept]
        for lo in range(0, len(missing), _READ_AHEAD_SLICE):
            part = missing[lo : lo + _READ_AHEAD_SLICE]
            self._store.put({text: pieces.vector for text, pieces in zip(part, self._embedder.embed_pieces(part))})
        return ReadAhead(sentences=len(sentences), read=len(missing))

    def _question_pieces(self, question: str, asked: str) -> tuple[PieceVectors, PieceVectors | None]:
        """The (standalone) question's reading, and what was `asked` when it differs."""
        embedded = self._embedder.embed_pieces([question] if asked == question else [question, asked])
        return embedded[0], (embedded[1] if asked != question else None)

    def _pooled(self, texts: Sequence[str]) -> tuple[dict[str, np.ndarray], dict[str, PieceVectors]]:
        """Each sentence's pooled vector: cached, stored (`SentenceStore`), or read now (and
        then cached and stored); and the readings made now, word pieces included."""
        found = {text: kept_precision(pieces.vector) for text, pieces in self._cached(texts).items()}
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        if missing and self._store is not None:
            found.update(self._store.get(missing))
            missing = [text for text in missing if text not in found]
        read = dict(zip(missing, self._embedder.embed_pieces(missing))) if missing else {}
        if read:
            self._cache(read)
            if self._store is not None:
                self._store.put({text: pieces.vector for text, pieces in read.items()})
            found.update((text, kept_precision(pieces.vector)) for text, pieces in read.items())
        return found, read

    def _pieces(
        self, texts: Sequence[str], pooled: Mapping[str, np.ndarray], read: Mapping[str, PieceVectors]
    ) -> dict[str, PieceVectors]:
        """Each sentence's word-piece vectors: `read` for this question already, cached, or read
        now. The pooled vector scored already (`pooled`) stays the sentence's: a reading in
        another batch may differ in the last bits, and a sentence must score the same for every
        question."""
        found = {text: read[text] for text in texts if text in read} | self._cached([t for t in texts if t not in read])
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        if missing:
            read = {
                text: replace(pieces, vector=pooled[text])
                for text, pieces in zip(missing, self._embedder.embed_pieces(missing))
            }
            self._cache(read)
            found.update(read)
        return found

    def _cached(self, texts: Sequence[str]) -> dict[str, PieceVectors]:
        # Taken from the cache once: another question's eviction cannot take them away midway.
        with self._lock:
            found = {text: self._vectors[text] for text in texts if text in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
        return found

    def _cache(self, read: Mapping[str, PieceVectors]) -> None:
        with self._lock:
            self._vectors.update(read)
            while len(self._vectors) > self._cache_size:
                self._vectors.popitem(last=False)


def _version(passage: Passage) -> str:
    return passage.chunk_id.rsplit("::", 1)[0]


@functools.lru_cache(maxsize=64)
def _terms_of(text: str) -> frozenset[str]:
    """The stemmed words of an article (cached: the same articles come back question after question)."""
    return frozenset(tokenize([text])[0])


def _typed(terms: frozenset[str], check: ClaimCheck, kind_terms: frozenset[str]) -> set[str]:
    """A sentence holding the asked type covers the question's type words ("how old")."""
    return set(terms | kind_terms) if check.type_fit >= 1.0 else set(terms)


def _type_anywhere(facts: QuestionFacts, checks: Sequence[ClaimCheck]) -> float:
    if facts.kind is None:
        return 0.0
    return 1.0 if any(c.type_fit >= 1.0 for c in checks) else -1.0


def _fact_text(candidate: Candidate) -> str | None:
    span = candidate.check.span
    return candidate.text[span[0] : span[1]].lower() if span else None


def _evidence(best: Candidate, second: Candidate | None, model: AnswerModel) -> Evidence:
    """The judge's verdict on the best sentence: P(the question is answered), with the
    features it saw and what each contributed."""
    features = question_features(best.features, best.logit, second.logit if second else None)
    return Evidence(
        probability=round(model.judge.probability(features), 4),
        cosine=round(best.features["cosine"], 4),
        coverage=round(best.features["coverage"], 4),
        focus_coverage=round(best.features["focus_coverage"], 4),
        type_fit=best.check.type_fit,
        missing=best.check.missing_in_article,
        absence=best.check.absence,
        features={name: round(value, 4) for name, value in features.items()},
        contributions=model.judge.contributions(features),
    )


def _refusal(best: Candidate, ranked: Sequence[Candidate], facts: QuestionFacts, reason: str) -> Draft:
    """A refusal; a partial answer, quoting the sentence `offline_refusal` picked, when the
    articles discuss the topic but not the asked detail."""
    refusal = offline_refusal(best, ranked, facts.kind, reason)
    if refusal.quote is None:
        return Draft("", (), True, refusal.reason)
    partial = _draft_from([refusal.quote], None)
    return Draft(refusal.partial_text(partial.text), partial.citations, True, refusal.reason, partial=True)


def _with_claims_they_contrast(chosen: list[Candidate], article: Callable[[Passage], Article]) -> list[Candidate]:
    """Disputed claims are quoted with both sides: a denial ("Zelensky, however, disputed
    ...") brings the claim before it, and a claim brings a denial right after it."""
    result = list(chosen)
    for sentence in chosen:
        if len(result) >= MAX_SENTENCES:
            break
        if _CONTRAST.search(sentence.text):
            other, at = _neighbour(sentence, article, before=True), result.index(sentence)
        elif _CLAIM.search(sentence.text):
            other, at = _neighbour(sentence, article, before=False), result.index(sentence) + 1
            other = other if other is not None and _CONTRAST.search(other.text) else None
        else:
            continue
        if other is not None and all((other.passage.doc_id, other.start) != (s.passage.doc_id, s.start) for s in result):
            result.insert(at, other)
    return result


def _neighbour(sentence: Candidate, article: Callable[[Passage], Article], before: bool) -> Candidate | None:
    """The sentence just before (or after) `sentence` in its article."""
    passage = sentence.passage
    known = article(passage)
    text, offset = known.text, known.offset
    if before:
        lo, hi = max(offset, sentence.start - 3000), sentence.start
    else:
        lo, hi = sentence.end, min(offset + len(text), sentence.end + 3000)
    spans = [
        (s, e) for s, e in sentence_spans(text, lo - offset, hi - offset) if len(text[s:e].split()) >= _MIN_WORDS
    ]
    if not spans:
        return None
    start, end = quote_span(text, *(spans[-1] if before else spans[0]))  # quoted like every candidate
    quote = text[start:end]
    check = replace(sentence.check, span=None)
    return Candidate(
        passage, start + offset, end + offset, quote, frozenset(tokenize([quote])[0]), check, {}, sentence.logit,
        sentence.probability,
    )


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """A passage's sentences as scored and quoted: without a leading dateline or caption markup."""
    return [quote_span(text, start, end) for start, end in sentence_spans(text)]


def _long_enough(sentence: str) -> bool:
    return len(sentence.split()) >= _MIN_WORDS


def answer_sentences(passage_text: str) -> list[str]:
    """The sentences of a passage that the answerer reads (what `rag read-ahead` reads ahead)."""
    return [passage_text[start:end] for start, end in _quote_spans(passage_text) if _long_enough(passage_text[start:end])]


def _worth_reading(order: Sequence[int], ahead: Sequence[float], statement: Sequence[bool], at_most: int) -> list[int]:
    """Of the sentences in `order` (statements first, then best first by `ahead`, the ranker's
    logit without the word-piece terms), those the answer is chosen among: the first
    `READ_AT_LEAST`, then the statements within `READ_WITHIN` of the first, `at_most` in all."""
    best = ahead[order[0]]
    return [i for n, i in enumerate(order[:at_most])
            if n < READ_AT_LEAST or (statement[i] and ahead[i] >= best - READ_WITHIN)]


def _split(passages: Sequence[Passage]) -> list[_Sentence]:
    seen: set[tuple[str, int]] = set()
    found: list[_Sentence] = []
    for passage in passages:
        previous: frozenset[str] = frozenset()
        for start, end in _quote_spans(passage.text):
            key = (passage.doc_id, passage.start + start)
            text = passage.text[start:end]
            terms = frozenset(tokenize([text])[0])
            context, previous = terms | previous, terms
            if key in seen or not _long_enough(text):
                continue
            seen.add(key)
            found.append(_Sentence(passage, passage.start + start, passage.start + end, text, terms, context))
    return found


def _draft_from(chosen: Sequence[Candidate], best: Candidate | None) -> Draft:
    parts: list[str] = []
    citations: list[Citation] = []
    fact: Fact | None = None
    for n, sentence in enumerate(chosen, start=1):
        # Candidates are already quote spans: no leading dateline or caption markup.
        parts.append(place_markers(_without_marker_lookalikes(sentence.text), [n]))
        citations.append(
            Citation(
                n=n,
                passage=sentence.passage,
                text=sentence.text,
                start=sentence.start,
                end=sentence.end,
                score=round(sentence.probability, 4),
            )
        )
        span = sentence.check.span
        if sentence is best and span is not None:
            fact = Fact(sentence.text[span[0] : span[1]], n, sentence.start + span[0], sentence.start + span[1])
    return Draft(" ".join(parts), tuple(citations), False, fact=fact, warnings=_swap_notes(chosen, best))


def _swap_notes(chosen: Sequence[Candidate], best: Candidate | None) -> tuple[str, ...]:
    """An answer whose main quote has another word where the question has one says so, so the
    reader can judge whether the two mean the same ("earliest" / "first") or not ("dry" /
    "green"); likewise another number ("1985" where the question says "1995"). The answer
    model has already weighed both."""
    if best is None or best not in chosen:
        return ()
    n = list(chosen).index(best) + 1
    return tuple(
        f'source [{n}] says "{swap.said}" where the question says "{swap.asked}"'
        for swap in dict.fromkeys(best.check.substituted)
    ) + tuple(
        f'source [{n}] gives {" / ".join(instead)} where the question says {number}'
        for number, instead in best.check.number_conflicts
    )


def _without_marker_lookalikes(quote: str) -> str:
    """An article's own "[7]" would read as one of our citations: show it as "(7)" in the
    answer text. The citation keeps the article's exact words and offsets."""
    return ANSWER_MARKER.sub(r"(\1)", quote)

