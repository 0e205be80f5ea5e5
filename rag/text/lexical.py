"""Word-level evidence: which question terms a sentence covers, weighted by how rare they
are. Cheap, deterministic, and the first line of defence against answering from passages
that merely look related (what kind of answer is asked: `rag.answer.answer_types`)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import AbstractSet, Callable, Iterable

from rag.text.question_words import AUXILIARIES, WH_WORDS
from rag.text.tokenize import tokenize

# Question scaffolding that bm25s's English stop list keeps; it says nothing about the topic
# ("whether" excepted: it has always counted as a term here).
QUESTION_WORDS = (WH_WORDS - {"whether"}) | AUXILIARIES | frozenset(
    "been be tell explain describe according article articles say said".split()
)


@functools.cache
def _question_stems() -> frozenset[str]:
    return frozenset(tokenize([" ".join(QUESTION_WORDS)])[0]) | QUESTION_WORDS


def question_terms(question: str) -> list[str]:
    """Stemmed content words of the question (stop and question words dropped), no repeats."""
    return [t for t in dict.fromkeys(tokenize([question])[0]) if t not in _question_stems()]


SECONDARY_WEIGHT = 0.4


@dataclass(frozen=True)
class TermWeights:
    """IDF weight per question term. A term the corpus never contains gets a typical
    weight (the median of the known ones): a question about it is probably not answered
    here, but it may just be a paraphrase ("helped" for "facilitated")."""

    weights: dict[str, float]

    @classmethod
    def for_question(
        cls, terms: Iterable[str], idf: Callable[[str], float], secondary: Iterable[str] = ()
    ) -> "TermWeights":
        """`secondary` terms (carried over from earlier turns) count at a reduced weight."""
        raw = {term: idf(term) for term in terms}
        known = sorted(w for w in raw.values() if w > 0)
        typical = known[len(known) // 2] if known else 1.0
        weights = {term: (w if w > 0 else typical) for term, w in raw.items()}
        for term in set(secondary) & set(weights):
            weights[term] *= SECONDARY_WEIGHT
        return cls(weights)

    def coverage(self, sentence_terms: AbstractSet[str]) -> float:
        """Share of the question's weight that the sentence's terms cover, 0..1."""
        total = sum(self.weights.values())
        if total <= 0:
            return 0.0
        return sum(w for term, w in self.weights.items() if term in sentence_terms) / total

    def restricted_to(self, terms: set[str]) -> "TermWeights":
        """The weights of `terms` only (all of them when none of `terms` is a question term)."""
        kept = {term: w for term, w in self.weights.items() if term in terms}
        return TermWeights(kept) if kept else self

    def missing(self, covered: set[str]) -> set[str]:
        return set(self.weights) - covered


def best_sentence_coverage(question: str, texts: Iterable[str], idf: Callable[[str], float]) -> float:
    """How much of the question the best single sentence of `texts` covers, 0..1."""
    from rag.text.sentences import sentence_spans

    weights = TermWeights.for_question(question_terms(question), idf)
    best = 0.0
    for text in texts:
        for start, end in sentence_spans(text):
            best = max(best, weights.coverage(set(tokenize([text[start:end]])[0])))
    return best


def focus_terms(question: str) -> set[str]:
    """Stemmed terms of the question's words that are not names (not capitalised mid-sentence).

    "What is Kim Jong Un's favourite food?" -> {favourit, food}: an article that names
    Kim Jong Un but never mentions food cannot answer it.
    """
    words = re.findall(r"[\w’'-]+", question)
    plain = [w for i, w in enumerate(words) if i == 0 or not w[:1].isupper()]
    return set(question_terms(" ".join(plain)))
