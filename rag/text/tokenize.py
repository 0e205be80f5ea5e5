"""Words as every keyword match in the project counts them: folded, stemmed, no stop words.

BM25 indexes chunks with `tokenize`, and the answerers weigh a question's words against a
sentence's with the same function, so "captured" in a question and "capture" in an article
are one word everywhere.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Sequence


def import_bm25s():
    """bm25s, imported without the DEBUG logging it forces on itself."""
    import bm25s

    # bm25s forces its logger to DEBUG at import; hand the decision back to the application.
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    # NLTK's English list (179 words, including question words: what, which, who, how,
    # were, did ...). bm25s' "en" list has 33 and keeps them, so "How many ... were" matched
    # every passage with "how" or "were" in it.
    return frozenset(import_bm25s().stopwords.STOPWORDS_EN_PLUS)


def _fold(text: str) -> str:
    """Lower case without accents: "Genève" and "geneve" are one word."""
    return fold_accents(text.lower())


def fold_accents(text: str) -> str:
    """The text without its accents ("Beyoncé" -> "Beyonce"); case and everything else kept."""
    if text.isascii():
        return text
    # Only the runs of non-ASCII characters are decomposed: an ASCII character decomposes to
    # itself and is no mark, and marks are never reordered past it, so the result is that of
    # the whole text's NFKD, without a Python step for each character of a news article
    # (mostly ASCII around a few curly quotes: 0.47 -> 0.14 ms for 9,000 characters).
    return _NON_ASCII.sub(_fold_run, text)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_run(run: re.Match[str]) -> str:
    decomposed = unicodedata.normalize("NFKD", run.group())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_POSSESSIVE = re.compile(r"['’]s?$")


def without_possessive(word: str) -> str:
    """The word without a trailing possessive ("Oppman's" -> "Oppman", "soldiers'" -> "soldiers")."""
    return _POSSESSIVE.sub("", word)


def stem(word: str) -> str:
    """The stem `tokenize` gives one word (accent-folded, lower-cased, Snowball):
    "Captured", "capture" and "capturing" are all "captur"."""
    return _stemmer().stemWord(_fold(word))


def tokenize_one(text: str) -> list[str]:
    stop = stop_words()
    words = [w for w in _WORD.findall(_fold(text)) if w not in stop]
    return _stemmer().stemWords(words)


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Accent-folded, lower-cased, Snowball-stemmed words without English stop words
    (the same for chunks and queries). Single characters and digits count as words."""
    return [tokenize_one(text) for text in texts]
