"""Turning a follow-up ("How old were they?") into a question that stands on its own."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from rag.llm.chat import ChatMessage, ChatModel
from rag.answer.citations import MARKER
from rag.errors import LLMError
from rag.answer.refusal import reads_as_refusal
from rag.answer.answer_types import answer_type_terms, expected_answer_type
from rag.text.lexical import question_terms
from rag.text.question_words import AUXILIARIES, WH_WORDS, alternation
from rag.text.tokenize import without_possessive
from rag.answer.prompts import CONDENSE_SYSTEM_PROMPT, CONDENSE_USER_TEMPLATE
from rag.types import Turn

logger = logging.getLogger(__name__)

_REFERS_BACK = re.compile(
    r"\b(?:they|them|their|theirs|he|him|his|she|her|hers|it|its|this|that|these|those|there|"
    r"the same|the other|either|both)\b|^\s*(?:and|also|what about|how about|why|so)\b",
    re.IGNORECASE,
)
_SHORT_QUESTION_WORDS = 5
HISTORY_TURNS = 3
# The bracket must stay short: it steers retrieval, and the UI shows it.
MAX_CARRIED_WORDS = 12
MAX_CARRIED_CHARS = 120
_MAX_WORD_CHARS = 30  # longer "words" are URLs or codes, never what a follow-up is about

_PLURAL_PRONOUN = re.compile(r"\b(?:they|them|their|theirs|themselves)\b", re.IGNORECASE)
_PERSON_PRONOUN = re.compile(r"\b(?:he|him|his|himself|she|her|hers|herself)\b", re.IGNORECASE)
# "What about Russia?", "And in Kursk?": the previous question asked again of something else.
_REASK = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\b", re.IGNORECASE)
_STARTS_WITH_AND = re.compile(r"^\s*and\b", re.IGNORECASE)
_QUESTION_WORD = re.compile(rf"\b{alternation(WH_WORDS | AUXILIARIES)}\b", re.IGNORECASE)
# A follow-up about the figure the answer gave ("Who confirmed that figure?").
_QUANTITY_REFERENCE = re.compile(
    r"\b(?:that|this|these|those|the|such an?)\s+(?:high\s+|low\s+|exact\s+)?"
    r"(?:numbers?|figures?|amounts?|totals?|toll|counts?|sums?|prices?|costs?|percentages?|estimates?|"
    r"rates?|ages?)\b",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"(?<![\w.,])(?:[$€£]\s?)?\d+(?:[.,]\d+)*(?:\s+(?:thousand|million|billion|trillion))?"
    r"(?:\s*%|\s+per\s?cent|\s+(?P<unit>[^\W\d_][\w-]*))?",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_](?:[\w’'-]*[^\W_])?")
_SENTENCE_BREAK = re.compile(r"[.!?…:;\"“”()\n]")

# Capitalised, but dates and sentence openers, not names.
_NOT_NAMES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december yesterday today tomorrow tonight "
    "however meanwhile also then now still yet after before during while although though "
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred hundreds thousand thousands million millions dozens several first second third "
    "last next most many some yes no".split()
)
# Words ending in -s that are not plural nouns.
_NOT_PLURAL = frozenset(
    "news series species always perhaps sometimes whereas afterwards towards besides thus plus "
    "yes its this his hers ours yours theirs politics economics physics athletics mathematics "
    "lens bias gas means".split()
)
# Before a plural noun, but asking about it rather than naming it ("how many soldiers").
_NOT_MODIFIERS = frozenset("many much old most more less few".split())
_IRREGULAR_PLURALS = frozenset("people children men women police staff crew".split())
_SINGULAR_MEN = frozenset("amen omen stamen specimen abdomen acumen regimen".split())
# A word before a name that makes it a person ("President Zelensky", "leader Kim Jong Un").
_TITLES = frozenset(
    "mr mrs ms dr president prime minister chancellor general gen senator sen governor king queen "
    "prince princess pope leader spokesman spokeswoman spokesperson commander secretary director "
    "judge sergeant captain colonel lieutenant corporal officer ambassador mayor chief premier "
    "sir lord lady dame".split()
)
# A verb after a name that makes it someone who speaks or acts.
_PERSON_VERBS = frozenset(
    "said says told added announced pledged claimed vowed stated wrote argued insisted denied "
    "warned urged promised met called confirmed accused rejected thanked praised dismissed "
    "ordered replied explained noted asked admitted signed visited spoke declared tweeted".split()
)
_PLACE_PREPOSITIONS = frozenset("in at from to near into across outside inside via toward towards".split())
_ORGANISATION_WORDS = frozenset(
    "ministry army forces council union nations party agency university republic department office "
    "bank court committee parliament government service news times post corporation company group "
    "institute kremlin pentagon command guard federation city region province state".split()
)
_DEMONYM_ENDINGS = ("ian", "ean", "ese", "ish")


def needs_context(question: str, history: Sequence[Turn]) -> bool:
    """True when the question leans on earlier turns: a pronoun, or too short to stand alone."""
    return bool(history) and (
        bool(_REFERS_BACK.search(question)) or len(question.split()) <= _SHORT_QUESTION_WORDS
    )


def condense_offline(question: str, history: Sequence[Turn]) -> str:
    """The question plus, in brackets, the words of the conversation it leans on.

    Carried, in this order, until `MAX_CARRIED_WORDS`: what a pronoun stands for (the
    plural noun phrase "they" continues, the person "he"/"she" is about), the previous
    question's content words that the follow-up does not repeat, and the names the previous
    answer introduced (a place or person only the answer named is what the user follows up
    on). Retrieval searches all of it; the extractive answerer weighs the carried words
    below the user's own, so a word too many costs little and a missing name costs the answer.

    Refusals and `[n]` markers carry nothing. The answer's figures come along only when the
    follow-up is about one ("Who confirmed that figure?"): otherwise "aged 20 and 26" only
    steers retrieval back to the sentence already shown. "What about X?" asks the previous
    question again, so it keeps that question's wording and leaves the old answer behind.
    """
    if not needs_context(question, history):
        return question
    turns = list(history[-HISTORY_TURNS:])
    carried = _Carried(question)
    if _PLURAL_PRONOUN.search(question):
        carried.add(_plural_subject(turns))
    if _PERSON_PRONOUN.search(question):
        carried.add(_person_subject(turns))
    reasks = _reasks(question)
    for turn in reversed(turns):
        before = len(carried.words)
        carried.add(_question_words(turn.question, question, reasks))
        answer = "" if reasks else _answer_text(turn.answer)
        carried.add(word for name in _names(answer) for word in name)
        if _QUANTITY_REFERENCE.search(question):
            carried.add(word for quantity in _quantities(answer) for word in quantity)
        if len(carried.words) > before:
            break  # the most recent turn with something new is the one being followed up
    return f"{question} ({' '.join(carried.words)})" if carried.words else question


def condense_with_llm(question: str, history: Sequence[Turn], model: ChatModel) -> str:
    """The model's rewrite; the offline rewrite if the model fails or rambles."""
    if not needs_context(question, history):
        return question
    conversation = "\n".join(
        f"User: {turn.question}\nAssistant: {turn.answer}" for turn in history[-HISTORY_TURNS:]
    )
    messages = [
        ChatMessage("system", CONDENSE_SYSTEM_PROMPT),
        ChatMessage("user", CONDENSE_USER_TEMPLATE.format(conversation=conversation, question=question)),
    ]
    try:
        rewritten = model.complete(messages).strip().strip('"')
    except LLMError as exc:
        logger.warning("Could not condense the follow-up with the LLM (%s); using key terms", exc)
        return condense_offline(question, history)
    if not rewritten or len(rewritten) > 4 * len(question) + 200 or not _still_the_question(rewritten, question):
        logger.info("The LLM's rewrite %r is not the follow-up as a question; using key terms", rewritten[:200])
        return condense_offline(question, history)
    return rewritten


def _still_the_question(rewritten: str, question: str) -> bool:
    """A rewrite must still be a question holding most of the follow-up's own words: small
    models often answer it instead ("Where are they being treated?" -> "The soldiers were
    treated in a hospital."), and a statement would be searched and answered as if asked."""
    if not rewritten.rstrip().endswith("?"):
        return False
    own = set(question_terms(question))
    return not own or len(own & set(question_terms(rewritten))) >= 0.5 * len(own)


class _Carried:
    """The words carried so far: each adds a stemmed term the question and earlier carried
    words lack, whole, within the caps."""

    def __init__(self, question: str) -> None:
        self.present = set(question_terms(question))
        self.words: list[str] = []

    def add(self, words: Iterable[str]) -> None:
        for raw in words:
            word = without_possessive(raw)
            terms = set(question_terms(word))
            if not terms or terms <= self.present or len(word) > _MAX_WORD_CHARS:
                continue
            if len(self.words) >= MAX_CARRIED_WORDS:
                return
            if len(" ".join([*self.words, word])) > MAX_CARRIED_CHARS:
                continue
            self.words.append(word)
            self.present |= terms


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int
    opens_sentence: bool  # first word of the text or of a sentence: capitalised anyway
    joined: bool  # only white space since the previous word

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def lower(self) -> str:
        return without_possessive(self.text).lower()


def _words(text: str) -> list[_Word]:
    words: list[_Word] = []
    previous_end = 0
    for match in _WORD.finditer(text):
        gap = text[previous_end:match.start()]
        words.append(_Word(
            match.group(), match.start(), match.end(),
            opens_sentence=not words or bool(_SENTENCE_BREAK.search(gap)),
            joined=bool(words) and not gap.strip(),
        ))
        previous_end = match.end()
    return words


def _answer_text(answer: str) -> str:
    """The answer without its `[n]` markers, or "" for a refusal: a refusal's words
    ("articles", the titles it searched) are not what the user follows up on."""
    if reads_as_refusal(answer):
        return ""
    return MARKER.sub(lambda m: m.group() if m.group("bare") else " ", answer)


def _reasks(question: str) -> bool:
    """True for "What about X?" and "And X?": the previous question asked again of X."""
    return bool(_REASK.search(question)) or (
        bool(_STARTS_WITH_AND.search(question)) and not _QUESTION_WORD.search(question)
    )


def _question_words(previous: str, question: str, reasks: bool) -> list[str]:
    """The previous question's words worth carrying.

    Its answer-type words ("old" of "How old ...") say what it asked, not what about, so
    they go, unless the follow-up asks the same again. When the follow-up re-asks of a
    name of its own ("What about Russia?"), the previous question's names of the same kind
    (places for "What about in Kursk?", other names otherwise) are what it replaces, so
    they go too.
    """
    asked = set() if reasks else answer_type_terms(expected_answer_type(previous))
    replaced = {place for _, place in _name_positions(_words(question))} if reasks else set()
    kept = []
    for word, place in _name_positions(_words(previous), keep_others=True):
        if place is not None and place in replaced:
            continue
        if set(question_terms(word.text)) <= asked:
            continue
        kept.append(word.text)
    return kept


def _name_positions(words: list[_Word], keep_others: bool = False) -> list[tuple[_Word, bool | None]]:
    """Each word of a name (capitalised, not just for opening a sentence) with whether the
    name stands where a place does ("in Kursk"); other words with None if `keep_others`."""
    found: list[tuple[_Word, bool | None]] = []
    place = False
    for i, word in enumerate(words):
        if word.capitalised and not (i and word.joined and words[i - 1].capitalised):  # a run starts
            place = bool(i) and word.joined and words[i - 1].lower in _PLACE_PREPOSITIONS
        if word.capitalised and not word.opens_sentence and question_terms(word.text):
            found.append((word, place))
        elif keep_others:
            found.append((word, None))
    return found


def _names(text: str) -> list[list[str]]:
    """Capitalised names in `text` ("Kim Jong Un", "Kyiv", "NATO"), in order, as word lists.

    A capitalised word that opens a sentence counts only when it is no ordinary opener:
    not a stop word, date, number, -ly adverb or plural noun ("Soldiers were ...").
    """
    words = _words(text)
    names: list[list[str]] = []
    run: list[_Word] = []
    for word in [*words, None]:
        if word is not None and word.capitalised and (not run or word.joined):
            run.append(word)
            continue
        names.extend(_name_of(run))
        run = [word] if word is not None and word.capitalised else []
    return names


def _name_of(run: list[_Word]) -> list[list[str]]:
    kept = [w for w in run if question_terms(w.text) and w.lower not in _NOT_NAMES]
    if kept and kept[0] is run[0] and run[0].opens_sentence and len(kept) == 1 and not _can_open_name(run[0]):
        kept = []
    return [[w.text for w in kept]] if kept else []


def _can_open_name(word: _Word) -> bool:
    lower = word.lower
    return not (lower.endswith("ly") or _is_plural_noun(lower))


def _is_plural_noun(lower: str) -> bool:
    if lower in _IRREGULAR_PLURALS or (lower.endswith("men") and lower not in _SINGULAR_MEN):
        return True  # fishermen, gunmen
    return (
        len(lower) > 3 and lower.isalpha() and lower.endswith("s") and not lower.endswith(("ss", "us", "is"))
        and lower not in _NOT_PLURAL and bool(question_terms(lower))
    )


def _plural_subject(turns: Sequence[Turn]) -> list[str]:
    """The noun phrase a "they" stands for: the first plural noun phrase of the previous
    question ("the captured soldiers"), else of its answer, else of the turn before."""
    for turn in reversed(turns):
        for text in (turn.question, _answer_text(turn.answer)):
            phrase = _plural_phrase(text)
            if phrase:
                return phrase
    return []


def _plural_phrase(text: str) -> list[str]:
    words = _words(text)
    for i, word in enumerate(words):
        if word.capitalised and not word.opens_sentence or not _is_plural_noun(word.lower):
            continue
        if i and words[i - 1].lower in {"he", "she", "it", "who", "that"}:
            continue  # "who attacks": a verb
        start = i
        while start > 0 and i - start < 3 and words[start].joined and not words[start].opens_sentence:
            before = words[start - 1]
            if not question_terms(before.text) or before.lower in _NOT_MODIFIERS:
                break
            start -= 1
        return [w.text for w in words[start:i + 1]]
    return []


def _person_subject(turns: Sequence[Turn]) -> list[str]:
    """The person a "he"/"she" stands for: the likeliest person named in the previous
    answer, else in the previous question, else in the turn before."""
    for turn in reversed(turns):
        for text in (_answer_text(turn.answer), turn.question):
            person = _likeliest_person(text)
            if person:
                return person
    return []


def _likeliest_person(text: str) -> list[str]:
    """The name in `text` that looks most like a person, the first of equals; none when
    every name looks like a place, a nationality or an organisation.

    A title before it or a speech verb after it ("Zelensky said") counts for, a place
    preposition before it ("in Kyiv"), a nationality or an organisation word against.
    """
    words = _words(text)
    best: tuple[int, list[str]] = (-1, [])
    i = 0
    while i < len(words):
        if not words[i].capitalised:
            i += 1
            continue
        j = i + 1
        while j < len(words) and words[j].capitalised and words[j].joined:
            j += 1
        name = _name_of(words[i:j])
        if name:
            score = _person_score(words, i, j)
            if score > best[0]:
                best = (score, name[0])
        i = j
    return best[1]


def _person_score(words: list[_Word], start: int, end: int) -> int:
    run = [w.lower for w in words[start:end]]
    before = words[start - 1].lower if start and words[start].joined else ""
    after = words[end].lower if end < len(words) and words[end].joined else ""
    score = 0
    if run[0] in _TITLES or before in _TITLES:
        score += 2
    if after in _PERSON_VERBS:
        score += 1
    if 2 <= len(run) <= 4:
        score += 1
    if before in _PLACE_PREPOSITIONS:
        score -= 3
    if any(w in _ORGANISATION_WORDS for w in run) or run[-1].endswith(_DEMONYM_ENDINGS):
        score -= 3
    if words[start].opens_sentence and end - start == 1 and after not in _PERSON_VERBS:
        score -= 1  # "Ukraine captured ...": a sentence's subject, not shown to be a person
    return score


def _quantities(text: str) -> list[list[str]]:
    """Numbers with their unit ("57 people", "$3 billion"), for a follow-up about a figure."""
    found = []
    for match in _QUANTITY.finditer(text):
        quantity = match.group()
        unit = match.group("unit")
        if unit and not question_terms(unit):
            quantity = quantity[: match.start("unit") - match.start()].rstrip()
        found.append(quantity.split())
    return found
