"""Substituted words: the sentence says something else in the very slot of a question's word.

"A vertical force pointing northeast can be split into how many forces?" against "A
horizontal force pointing northeast can therefore be split into two forces": the sentence
shares the words on both sides of "vertical" and puts another word between them. A question
rebuilt from a sentence with one word swapped (an entity, a number word, a property) is how
SQuAD 2.0 writes many unanswerable questions. Opposites (`rag.answer.opposites`) are the listed
special case; this module notices any swap between two shared neighbours, including ones no
list holds ("Oppman's daughters" / "Triton's daughters", "acres of green brush" / "acres of dry
brush"). A swap with only one neighbour shared ("many Russian soldiers" / "two North Korean
soldiers") is not counted: on SQuAD, swapped names with one shared neighbour were picked for
2.7% of the unanswerable dev questions and 1.5% of the answerable, and added nothing out of fold.

A paraphrase swaps words too ("the final emperor" / "the last emperor", "try" / "attempted"),
so a swap is evidence, not a verdict: the answer model weighs it. Among the sentences the
answerer picked for SQuAD's dev questions, one with a swap was the pick for 7.3% of the
unanswerable questions and 2.0% of the answerable. Words naming one thing are no swap: forms of
one word (by stem, the irregular verbs below: "hold" / "held", a shared beginning: "Scottish" /
"Scotland", spellings a letter or two apart: "scrutinize" / "scrutinise", typing slips), a
general noun for it ("the sailors" / "the men", how news refers back to people) and a count
against a description ("the two sailors" / "the older sailor").
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from rag.text.question_words import WH_WORDS
from rag.text.tokenize import fold_accents, stem, stop_words, without_possessive

__all__ = ["Substitution", "substitutions"]


@dataclass(frozen=True)
class Substitution:
    """The question's word and the different word the sentence has in its place, as written
    (possessive dropped): "Oppman" / "Triton"."""

    asked: str
    said: str


_WORD = re.compile(r"[\w'’-]+")
# Question scaffolding that is no content of its own.
_SCAFFOLD = WH_WORDS | frozenset("name many much".split())
_MIN_LENGTH = 3
# Two spellings or a slip: difflib's ratio of matching characters (scrutinize / scrutinise
# 0.9, Hamaz / Hamza 0.8; public / private 0.46).
_SPELLING_RATIO = 0.8
_SHARED_START = 4  # "Scottish" / "Scotland"; 3 letters for words of up to 5 ("Spain" / "Spanish")
_NEGATING = ("non-", "non", "un")
# News refers back to people with a general noun ("the sailors" ... "one of the men"): such a
# word in the slot is a paraphrase, not another party.
_GENERAL_NOUNS = frozenset(
    "man men woman women people person persons individual individuals pair couple group groups".split()
)
# Verbs are paraphrased far more often than swapped ("to help Russia" / "to support Russia",
# "funded" / "financed"): a word after "to" or an auxiliary, or two words both inflected as verbs
# (-ed, -ing), is no swap. On SQuAD's out-of-fold rows this keeps refusal at 0.86 answered
# (0.458 against 0.453 counting verbs too).
_VERB_OPENERS = frozenset("to did does do can could will would should may might must has have had".split())
_VERB_ENDINGS = ("ed", "ing")
# A count against a word that is no count ("the two sailors" / "the older sailor") is a
# paraphrase of one party, not another number; "three" / "two" is a swap.
_COUNTS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds "
    "thousand thousands million millions billion billions dozen dozens both several".split()
)

# Irregular verbs (base, past, participle): the stemmer keeps "held" apart from "hold".
_IRREGULAR = """
arise arose arisen|awake awoke awoken|be was were been is are am|bear bore borne born|beat beaten|
become became|begin began begun|bend bent|bind bound|bite bit bitten|bleed bled|blow blew blown|
break broke broken|breed bred|bring brought|build built|burn burnt|buy bought|catch caught|
choose chose chosen|cling clung|come came|creep crept|deal dealt|dig dug|do did done does|draw drew drawn|
dream dreamt|drink drank drunk|drive drove driven|dwell dwelt|eat ate eaten|fall fell fallen|feed fed|
feel felt|fight fought|find found|flee fled|fling flung|fly flew flown|forbid forbade forbidden|
forget forgot forgotten|forgive forgave forgiven|freeze froze frozen|get got gotten|give gave given|
go went gone goes|grind ground|grow grew grown|hang hung|have had has|hear heard|hide hid hidden|
hold held|keep kept|kneel knelt|know knew known|lay laid|lead led|lean leant|leap leapt|learn learnt|
leave left|lend lent|lie lain|light lit|lose lost|make made|mean meant|meet met|overcome overcame|
pay paid|prove proven|ride rode ridden|ring rang rung|rise rose risen|run ran|say said|see saw seen|
seek sought|sell sold|send sent|shake shook shaken|shine shone|shoot shot|show shown|shrink shrank shrunk|
sing sang sung|sink sank sunk|sit sat|slay slew slain|sleep slept|slide slid|speak spoke spoken|
speed sped|spend spent|spin spun|spring sprang sprung|stand stood|steal stole stolen|stick stuck|
sting stung|strike struck stricken|strive strove striven|swear swore sworn|sweep swept|swim swam swum|
swing swung|take took taken|teach taught|tear tore torn|tell told|think thought|throw threw thrown|
tread trod trodden|undergo underwent undergone|understand understood|undertake undertook undertaken|
wake woke woken|wear wore worn|weave wove woven|weep wept|win won|wind wound|withdraw withdrew withdrawn|
write wrote written|overthrow overthrew overthrown|foresee foresaw foreseen
"""
_ORDINALS = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "5th": "fifth", "6th": "sixth",
             "7th": "seventh", "8th": "eighth", "9th": "ninth", "10th": "tenth"}


@functools.cache
def _base_forms() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in _IRREGULAR.replace("\n", "").split("|"):
        forms = group.split()
        for form in forms:
            table.setdefault(form, forms[0])
    for digits, word in _ORDINALS.items():
        table[digits] = word
    return table


def _written(text: str) -> list[str]:
    return [without_possessive(w) for w in _WORD.findall(text)]


def _is_content(word: str) -> bool:
    return (len(word) >= _MIN_LENGTH and not word.isdigit() and word not in _SCAFFOLD
            and word not in stop_words())


@dataclass(frozen=True)
class _Parsed:
    written: tuple[str, ...]  # as in the text
    words: tuple[str, ...]  # lower case, accents folded
    stems: tuple[str, ...]


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> _Parsed:
    """Once per question (and per sentence within a question's candidates). The neighbours are
    compared by plain stem: mapping irregular forms there too ("took" ~ "take") flagged 3% more
    sentences and changed nothing out of fold on SQuAD (0.449 vs 0.453 refused)."""
    written = tuple(_written(text))
    words = tuple(fold_accents(w.lower()) for w in written)
    return _Parsed(written, words, tuple(stem(w) for w in words))


def substitutions(question: str, sentence: str) -> list[Substitution]:
    """The question's words that the sentence replaces by another word between the same two
    neighbours ("a [vertical] force" / "a [horizontal] force"), at least one neighbour a
    content word. Words in both texts, and forms of one word, are never swaps."""
    asked, said = _parse(question), _parse(sentence)
    said_stems, asked_stems = frozenset(said.stems), frozenset(asked.stems)
    # Each content word of the sentence that the question lacks, by its two neighbours' stems.
    slots: dict[tuple[str, str], list[int]] = {}
    for k in range(1, len(said.words) - 1):
        if said.stems[k] not in asked_stems and _is_content(said.words[k]):
            slots.setdefault((said.stems[k - 1], said.stems[k + 1]), []).append(k)
    found: list[Substitution] = []
    for i in range(1, len(asked.words) - 1):
        word = asked.words[i]
        if asked.stems[i] in said_stems or not _is_content(word):
            continue
        if not (_is_content(asked.words[i - 1]) or _is_content(asked.words[i + 1])):
            continue  # "of the [X] in": function words on both sides match anything
        if asked.words[i - 1] in _VERB_OPENERS:
            continue  # a verb: "to help" / "to support"
        for k in slots.get((asked.stems[i - 1], asked.stems[i + 1]), ()):
            other = said.words[k]
            if not _one_party(word, other) and not (word.endswith(_VERB_ENDINGS) and other.endswith(_VERB_ENDINGS)):
                found.append(Substitution(asked.written[i], said.written[k]))
    return found


def _one_party(a: str, b: str) -> bool:
    """The two words name one thing, so they are no swap: forms of one word ("hold" / "held",
    "Scottish" / "Scotland", "scrutinize" / "scrutinise", "3rd" / "third"), a general noun for
    it ("the sailors" / "the men") or a count against a description ("the two sailors" / "the
    older sailor"). "unsuccessful" / "successful" stays a swap (an opposite), as do "three" /
    "two"."""
    forms = _base_forms()
    if forms.get(a, a) == forms.get(b, b) or b in _GENERAL_NOUNS or (a in _COUNTS) != (b in _COUNTS):
        return True
    if a.startswith(_NEGATING) != b.startswith(_NEGATING):
        return False
    shared = 0
    for x, y in zip(a, b):
        if x != y:
            break
        shared += 1
    if shared >= _SHARED_START or (shared == _SHARED_START - 1 and min(len(a), len(b)) <= 5):
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= _SPELLING_RATIO
