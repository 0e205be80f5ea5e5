"""The claim check: does a sentence (and its article) hold what the question asks about?

Shared by both answerers (the offline answerer ranks and refuses with it; the LLM path
checks each generated sentence against the one it cites). For a question, once:
its named entities, numbers and dates (`QuestionFacts`); for each candidate sentence:
which of those the sentence and its whole article mention, whether it holds the expected
answer type, and whether it states that the asked detail is not known (`ClaimCheck`).

A name, number or date of the question that appears nowhere in an article is the
strongest sign that the article cannot answer it: it is how SQuAD 2.0's adversarial
unanswerable questions are built ("What did China's foreign ministry say?" over
articles that never mention China).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field

from rag.answer.answer_types import answer_span, described_name, expected_answer_type, states_absence, type_fit
from rag.answer.opposites import opposes
from rag.answer.substitutions import Substitution, substitutions
from rag.text.question_words import AUXILIARIES, WH_WORDS
from rag.text.tokenize import fold_accents, tokenize_one, without_possessive

# Words that open or scaffold questions; capitalised only because they start one.
_NOT_NAMES = WH_WORDS | AUXILIARIES | frozenset(
    "been be tell explain describe according the a an in on at of for to from by with and or but if i you we "
    "they he she it this that these those there after before during about between since until besides beside "
    "also".split()
)
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without|n't|cannot)\b|n[’']t\b", re.I)


@dataclass(frozen=True)
class QuestionFacts:
    """What a question is about, parsed once per question."""

    question: str
    entities: tuple[str, ...]  # capitalised names, lower-cased ("north korea", "kim jong un")
    numbers: tuple[str, ...]  # digits as written, without thousands separators ("1066", "12000")
    kind: str | None  # expected answer type (rag.answer.answer_types)
    negated: bool
    head: str | None = None  # stem of the noun a "which/what <noun>" question asks for ("hospital")
    described: str | None = None  # whom "Who is Mick Ryan?" asks about, lower-cased ("mick ryan")
    # its numbers standing as words, for the number conflict ("x=3" and "A380" are none)
    standalone_numbers: tuple[str, ...] = ()

    @classmethod
    def parse(cls, question: str) -> "QuestionFacts":
        return cls(
            question=question,
            entities=tuple(dict.fromkeys(_entities(question))),
            numbers=tuple(dict.fromkeys(_numbers(question))),
            kind=expected_answer_type(question),
            negated=bool(_NEGATION.search(question)),
            head=_head_noun(question),
            described=(described_name(question) or "").lower() or None,
            standalone_numbers=tuple(dict.fromkeys(_standalone_numbers(question))),
        )

    @property
    def mentions(self) -> tuple[str, ...]:
        """Entities and numbers: the things a sentence that answers must be about."""
        return self.entities + self.numbers


@dataclass(frozen=True)
class ClaimCheck:
    """How one sentence relates to the question's facts."""

    missing_in_sentence: tuple[str, ...]  # question entities/numbers the sentence does not mention
    missing_in_article: tuple[str, ...]  # ... that its whole article does not mention
    mentions: int  # how many entities/numbers the question has
    type_fit: float  # 1 holds the expected answer type, 0.5 weakly, 0 not; 1 when none expected
    absence: bool  # says the asked detail is not known or not given ("did not disclose how many")
    negation_mismatch: bool  # one of question and sentence is negated, the other not
    span: tuple[int, int] | None  # the short answer inside the sentence, when one is found
    head_found: bool | None = None  # the sentence names the asked noun ("... General Hospital"); None: none asked
    opposite: bool = False  # has the opposite of a question's word and not the word ("majority" / "minority")
    # another word in the slot of a question's word ("a horizontal force" for "a vertical force")
    substituted: tuple[Substitution, ...] = ()
    # numbers of the question it lacks, each with the ones of its kind it gives instead
    # (("1995", ("1985",)),): "in 1985" where the question says "in 1995"
    number_conflicts: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def number_conflict(self) -> bool:
        return bool(self.number_conflicts)

    @property
    def share_missing_in_sentence(self) -> float:
        return len(self.missing_in_sentence) / self.mentions if self.mentions else 0.0

    @property
    def share_missing_in_article(self) -> float:
        return len(self.missing_in_article) / self.mentions if self.mentions else 0.0


def check_claim(facts: QuestionFacts, sentence: str, article: "ArticleWords") -> ClaimCheck:
    """The claim check of `sentence` (from the article `article`) against the question."""
    words = ArticleWords.of_sentence(sentence)
    missing_sentence = tuple(m for m in facts.mentions if not words.mentions(m))
    missing_article = tuple(m for m in missing_sentence if not article.mentions(m))
    absence = states_absence(sentence, facts.question)
    fit = type_fit(sentence, facts.kind, facts.question) if facts.kind else 1.0
    span = answer_span(facts.question, sentence, facts.kind) if facts.kind and fit > 0 else None
    return ClaimCheck(
        missing_in_sentence=missing_sentence,
        missing_in_article=missing_article,
        mentions=len(facts.mentions),
        type_fit=1.0 if absence else fit,
        absence=absence,
        # A statement that the detail is not given is negated by nature ("did not disclose how
        # much"): it answers a plain question as well as a negated one; so does a count of zero
        # ("No injuries were reported"), whose negation is the short answer itself.
        negation_mismatch=not absence and facts.negated != _negated_outside(sentence, span),
        span=None if absence else span,
        head_found=None if facts.head is None else facts.head in set(tokenize_one(sentence)),
        opposite=opposes(facts.question, sentence),
        substituted=tuple(substitutions(facts.question, sentence)),
        number_conflicts=_number_conflicts(facts.standalone_numbers, missing_sentence, sentence),
    )


def _negated_outside(sentence: str, span: tuple[int, int] | None) -> bool:
    """A negation in the sentence other than inside the short answer ("No injuries")."""
    return any(span is None or not span[0] <= m.start() < span[1] for m in _NEGATION.finditer(sentence))


def _number_conflicts(
    asked: tuple[str, ...], missing: tuple[str, ...], sentence: str
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The numbers of the question the sentence lacks while it gives others of the same kind (a
    year for a year, any other number for any other), with those others: "developed in 1995"
    against "developed in 1985", "Article 20" against "Article 12". On SQuAD's dev half, 2 of
    the 120 answerable questions with a number conflict so with the sentence holding their
    answer; of the unanswerable ones the answerer answered, about a third."""
    given = [n for n in dict.fromkeys(_standalone_numbers(sentence)) if n not in asked]
    conflicts = []
    for number in asked:
        if number in missing:
            instead = tuple(n for n in given if _is_year(n) == _is_year(number))
            if instead:
                conflicts.append((number, instead))
    return tuple(conflicts)


def _standalone_numbers(text: str) -> tuple[str, ...]:
    """Numbers standing as words: not the digits of a name or of code ("A380", "MP3",
    "window.__xss=3" in a question pasted with markup), which conflict with nothing."""
    return tuple(_plain_number(n) for n in _STANDALONE_NUMBER.findall(text))


_STANDALONE_NUMBER = re.compile(r"(?<![\w=])(?:\d[\d,.]*\d|\d)(?![_=])")


def _is_year(number: str) -> bool:
    return len(number) == 4 and number.isdigit() and (number.startswith("1") or number.startswith("20"))


@dataclass(frozen=True)
class ArticleWords:
    """The words of a text, for "does it mention X" with light stemming: a word matches
    any word sharing its first letters ("China" ~ "Chinese", "Russia" ~ "Russian"), with
    accents folded ("Beyonce" ~ "Beyoncé"), an acronym matches the initials of a run of
    capitalised words ("NYC" ~ "New York City", "US" ~ "U.S."), a common abbreviation its
    word ("Co." ~ "Company", "Corp." ~ "Corporation"), and a long word one typing slip away
    from a word of the text matches it ("Masstricht" ~ "Maastricht")."""

    words: tuple[str, ...]  # sorted, for the prefix search; with the words of abbreviations
    exact: frozenset[str]  # ... and the forms matched only whole ("u.s" -> "us")
    numbers: frozenset[str]
    text: str = field(default="", repr=False)  # for the acronyms, found only when asked (`_initials`)
    long_words: frozenset[str] = frozenset()  # for the one-slip match

    @classmethod
    def of(cls, text: str) -> "ArticleWords":
        # Words kept sorted and searched by prefix (bisect), not every prefix of every word put
        # in a set: the same answers (73,200 probes of 333 news texts), built in ~30% less time
        # (a first question builds the words of its ~3 articles and ~30 sentences).
        folded = {without_possessive(fold_accents(w)) for w in {w.lower() for w in _WORD.findall(text)}}
        words, exact = set(folded), set(folded)
        for word in folded:
            if "." in word:
                exact.add(word.replace(".", ""))  # "u.s" -> "us"
            other = _ABBREVIATIONS.get(word.rstrip("."))  # "Co." ~ "Company", both ways
            if other is not None:
                words.add(other)
                exact.add(other)
        long_words = frozenset(w for w in folded if len(w) >= _SLIP_MIN - 1)
        return cls(tuple(sorted(words)), frozenset(exact), frozenset(_numbers(text)), text, long_words)

    @classmethod
    def of_article(cls, text: str) -> "ArticleWords":
        """Cached: the same few articles are checked for every candidate sentence."""
        return _article_words(text)

    @classmethod
    def of_sentence(cls, text: str) -> "ArticleWords":
        """Cached: a sentence is checked again for every question whose passages hold it (a
        next question about the same article checks the same ~33 sentences again)."""
        return _sentence_words(text)

    def mentions(self, mention: str) -> bool:
        if mention[:1].isdigit():
            return mention in self.numbers
        return all(self._has(word) for word in fold_accents(mention).split())

    def _has(self, word: str) -> bool:
        if self._has_prefix(_prefix(word)):
            return True
        letters = word.replace(".", "")
        if len(letters) <= _ACRONYM_MAX and letters in self._initials:
            return True
        return len(word) >= _SLIP_MIN and self._slips.near(word)

    def _has_prefix(self, prefix: str) -> bool:
        """Whether a word is `prefix`, or starts with it when it is `_PREFIX_MIN` long or more."""
        if prefix in self.exact:
            return True
        if len(prefix) < _PREFIX_MIN:
            return False
        at = bisect.bisect_left(self.words, prefix)
        return at < len(self.words) and self.words[at].startswith(prefix)

    @functools.cached_property
    def _initials(self) -> frozenset[str]:
        """The acronyms of the text's runs of capitalised words: found on the first short word
        the text lacks (most checks find every word among its words; a third of the time of
        building a news article's words went to these)."""
        return frozenset(_acronyms(self.text))

    @functools.cached_property
    def _slips(self) -> "_Slips":
        """Built on the first word the text lacks (most checks find every word at once)."""
        return _Slips.of(self.long_words)


@dataclass(frozen=True)
class _Slips:
    """The long words of a text, indexed by their one-letter deletions, to find a word one
    typing slip away (a letter added, dropped or changed; never the first) without comparing
    it with every word."""

    words: frozenset[str]
    deleted: frozenset[str]  # every word with one letter (not the first) deleted
    deleted_at: frozenset[tuple[int, str]]  # ... with where

    @classmethod
    def of(cls, words: frozenset[str]) -> "_Slips":
        at = {(i, w[:i] + w[i + 1 :]) for w in words for i in range(1, len(w))}
        return cls(frozenset(words), frozenset(v for _, v in at), frozenset(at))

    def near(self, word: str) -> bool:
        if word in self.deleted:  # a letter dropped
            return True
        for i in range(1, len(word)):
            shorter = word[:i] + word[i + 1 :]
            if shorter in self.words or (i, shorter) in self.deleted_at:  # added / changed
                return True
        return False


# Runs of capitalised words ("New York City", "Federal Bureau of Investigation"): their
# initials spell the acronyms a question may use for them.
_CAPITALISED_RUN = re.compile(r"[A-ZÀ-Þ][\w'’-]*(?:\s+(?:(?:of|and|for|the|de|&)\s+)*[A-ZÀ-Þ][\w'’-]*)+")
_RUN_CONNECTORS = frozenset("of and for the de &".split())


def _acronyms(text: str) -> set[str]:
    found: set[str] = set()
    for run in _CAPITALISED_RUN.finditer(text):
        initials = [fold_accents(w[0]).lower() for w in run.group().split() if w not in _RUN_CONNECTORS]
        for i in range(len(initials)):
            for j in range(i + 2, min(len(initials), i + _ACRONYM_MAX) + 1):
                found.add("".join(initials[i:j]))
    return found


_ACRONYM_MAX = 5
_SLIP_MIN = 7  # shorter words differ by one letter too often to be slips ("Hunan" / "Henan")


@functools.lru_cache(maxsize=128)
def _article_words(text: str) -> ArticleWords:
    return ArticleWords.of(text)


# About 7 KB a news sentence: 4,096 of them (the passages of the last ~120 questions about
# different articles, ~33 sentences each) take ~30 MB.
@functools.lru_cache(maxsize=4096)
def _sentence_words(text: str) -> ArticleWords:
    return ArticleWords.of(text)


_PREFIX_MIN = 4
# Abbreviations of names' common words, which news style writes either way ("the Coca-Cola Co.",
# "the Coca-Cola Company"): a text with one mentions the other.
_ABBREVIATION_PAIRS = (
    ("co", "company"), ("corp", "corporation"), ("inc", "incorporated"), ("ltd", "limited"),
    ("dept", "department"), ("univ", "university"), ("govt", "government"), ("assn", "association"),
    ("intl", "international"), ("natl", "national"), ("bros", "brothers"), ("mt", "mount"), ("ft", "fort"),
)
_ABBREVIATIONS = {a: b for pair in _ABBREVIATION_PAIRS for a, b in (pair, pair[::-1])}


def _prefix(word: str) -> str:
    """The part of a word that its inflections and demonyms share."""
    word = without_possessive(word.lower())
    return word if len(word) <= _PREFIX_MIN else word[: max(_PREFIX_MIN, len(word) - 2)]


_HEAD = re.compile(
    r"\b(?:what|which)\s+(?:(?:kind|type|sort|form|part|piece|group|set)s?\s+of\s+(?:the\s+|a\s+|an\s+)?)?([a-z][\w-]*)",
    re.IGNORECASE,
)
_NOT_HEADS = frozenset(
    "is was are were did does do has have had can could would will should may might must the a an "
    "of in on at to for by from with about it this that these those he she they we you i".split()
)


def _head_noun(question: str) -> str | None:
    """The noun of "which hospital ...", "what documents ...": an answer should name one."""
    match = _HEAD.search(question)
    if match is None or match.group(1).lower() in _NOT_HEADS:
        return None
    stems = tokenize_one(match.group(1))
    return stems[0] if stems else None


def _numbers(text: str) -> list[str]:
    return [_plain_number(n) for n in _NUMBER.findall(text)]


def _plain_number(written: str) -> str:
    """A number as the readers compare it: without thousands separators or a closing full
    stop ("12,000." -> "12000")."""
    return written.replace(",", "").rstrip(".")


def _entities(question: str) -> list[str]:
    """Runs of capitalised words, skipping question scaffolding ("What", "Did"). A word
    capitalised only because it opens a sentence ("Following the report, ...") is not a
    name unless the next word is capitalised too ("North Korea said ...")."""
    found: list[str] = []
    run: list[str] = []
    words = list(_WORD.finditer(question))
    for i, match in enumerate(words):
        bare = without_possessive(match.group())
        opens = _opens_sentence(question, match.start())
        capitalised = bare[:1].isupper() and bare.lower() not in _NOT_NAMES and not bare.isdigit()
        if capitalised and opens and not run:
            following = without_possessive(words[i + 1].group()) if i + 1 < len(words) else ""
            capitalised = following[:1].isupper() and following.lower() not in _NOT_NAMES
        if capitalised:
            run.append(bare.lower())
            continue
        if run:
            found.append(" ".join(run))
            run = []
    if run:
        found.append(" ".join(run))
    return found


def _opens_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \t\"'“‘(")
    return not before or before[-1] in ".!?:;\n"
