"""Opposite words: a sentence that says "majority" where the question says "minority".

A question that reuses a sentence's words with one of them turned into its opposite ("Who
was subject to a qualified minority vote?" against "... subject to a qualified majority
vote") shares almost everything with that sentence and is still not answered by it. SQuAD
2.0 builds about a fifth of its unanswerable questions this way. Among the sentences the
answerer picked for SQuAD's dev questions, one that puts an opposite where the question has
a word (and lacks the word itself) was the pick for 7.0% of the unanswerable questions and
1.0% of the answerable ones; the answer model weighs it (`rag.answer.answer_model`).

Words are compared by stem (`rag.text.tokenize.stem`: "increased" ~ "increases"), so a
sentence that also has the question's word ("the war, which began in 1914, ended in 1918"
for "When did the war end?") is no opposite.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from rag.text.tokenize import stem

# Pairs of plain English opposites (irregular forms listed too: the stemmer keeps "began").
# Words with a common second sense are left out: left/right, light, present, last (a verb
# in "How long did it last?").
_PAIRS = """
largest smallest|biggest smallest|highest lowest|most least|first final|earliest latest|
increase decrease|rise fall|rose fell|gain loss|gained lost|grow shrink|grew shrank|expand shrink|
before after|earlier later|early late|past future|begin end|began ended|start end|started ended|
beginning end|opened closed|enter leave|entered left|arrive depart|arrived departed|
north south|east west|northern southern|eastern western|upper lower|inner outer|top bottom|
inside outside|internal external|domestic foreign|above below|
older younger|oldest youngest|longest shortest|longer shorter|higher lower|larger smaller|
bigger smaller|stronger weaker|strongest weakest|faster slower|fastest slowest|heavier lighter|
hottest coldest|warmest coldest|richest poorest|cheapest dearest|best worst|better worse|
more fewer|more less|many few|maximum minimum|majority minority|major minor|all none|
won lost|win lose|wins losses|winner loser|victory defeat|success failure|
successful unsuccessful|positive negative|true false|legal illegal|guilty innocent|
public private|rich poor|wealthy poor|ancient modern|new old|young old|male female|men women|
boy girl|boys girls|birth death|born died|alive dead|agree disagree|agreed disagreed|
support oppose|supported opposed|accept reject|accepted rejected|allow forbid|allowed banned|
allowed forbidden|include exclude|included excluded|import export|imports exports|
imported exported|buy sell|bought sold|common rare|same different|similar different|
finite infinite|limited unlimited|limited infinite|possible impossible|likely unlikely|
known unknown|direct indirect|able unable|ability inability|advantage disadvantage|
advantages disadvantages|strength weakness|strengths weaknesses|confirm deny|confirmed denied|
always never|often rarely|moderate radical|moderate extreme|dependent independent|
visible invisible|natural artificial|ally enemy|allies enemies|friend enemy|attack defend|
attacked defended|offensive defensive|full empty|wet dry|hot cold|high low|long short|
large small|strong weak|fast slow
"""


@functools.cache
def _opposites() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for pair in _PAIRS.replace("\n", "").split("|"):
        a, b = (stem(word) for word in pair.split())
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return {word: frozenset(others) for word, others in table.items()}


_WORD = re.compile(r"[a-z][a-z'’-]*")
# "non-violent" / "unsuccessful" against "violent" / "successful" (a base of five letters or
# more: "under", "united" and "unless" are no negations).
_NEGATING_PREFIXES = ("non-", "non", "un")
_PREFIX_BASE_MIN = 5


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@functools.lru_cache(maxsize=1024)
def _question_words(question: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """The words a sentence could contradict, and their stems (once per question, not per
    sentence): not the measure after "how" ("How long", "How old") nor a closing verb ("How
    long did the meeting last?")."""
    words = _words(question)
    kept = tuple(
        w for i, w in enumerate(words) if not (i and words[i - 1] == "how") and not (w == "last" and i == len(words) - 1)
    )
    return kept, frozenset(stem(w) for w in kept)


def opposes(question: str, sentence: str) -> bool:
    """The sentence has the opposite of one of the question's words and not the word itself:
    "many" / "few", "minority" / "majority", "successful" / "unsuccessful"."""
    asked, asked_stems = _question_words(question)
    said = _words(sentence)
    said_stems = frozenset(stem(w) for w in said)
    table = _opposites()
    for word in asked_stems - said_stems:
        if table.get(word, frozenset()) & said_stems:
            return True
    return _negated_form(asked, said_stems, asked_stems) or _negated_form(said, asked_stems, said_stems)


def _negated_form(words: Sequence[str], other_stems: frozenset[str], own_stems: frozenset[str]) -> bool:
    """One text has "unX" / "non-X" where the other has X (and the first lacks X itself)."""
    for word in words:
        for prefix in _NEGATING_PREFIXES:
            base = word[len(prefix) :]
            if word.startswith(prefix) and len(base) >= _PREFIX_BASE_MIN:
                base_stem = stem(base)
                if base_stem in other_stems and base_stem not in own_stems:
                    return True
    return False
