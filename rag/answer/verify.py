"""Is an answer faithful to the passages it cites? Each sentence checked, with a reason.

Every sentence of an answer is a *claim*; its `[n]` markers name the citations that should
back it. A `Verifier` judges each claim and returns a `Faithfulness`:

    verifier = OfflineVerifier(assistant.embedder)
    result = verifier.verify(answer)
    result.score               # supported claims / claims (None: no claims, or the judge failed)
    result.citation_precision  # supporting (claim, [n]) pairs / all (claim, [n]) pairs
    result.citation_recall     # claims with a supporting citation / claims
    [(v.verdict, v.reason, v.support) for v in result.verdicts]

`OfflineVerifier` is deterministic and needs no LLM: hard checks (every number and every
name of the claim must be in the cited text; two actors shared with the best-matching source
sentence must appear in the same order) and a support check (MiniLM similarity with the
best cited sentence, and the share of the claim's content words found in the cited text).
A supported claim's `support` narrows each citation to the sentence that backs it.

The assistant runs it on every LLM answer (`Answer.verdicts`); `eval` scores answers with
it, and `eval.judge.LLMJudge` is the LLM-based alternative with the same interface. The
labelled set `eval/data/verifier_labels.jsonl` measures it (`eval.labels.verifier_accuracy`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from typing import Iterable, Protocol, Sequence

import numpy as np

from rag.answer.citations import ANSWER_MARKER, answer_sentences, marker_numbers, strip_markers
from rag.answer.refusal import says_part_not_answered
from rag.index.embeddings import Embedder
from rag.text.tokenize import stem
from rag.types import Answer, Citation, Support, Verdict

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Faithfulness:
    verdicts: tuple[Verdict, ...]
    error: str | None = None  # the judge could not judge (e.g. invalid LLM output after retries)

    @property
    def score(self) -> float | None:
        """Supported claims / claims; None when there are no claims or the judge failed."""
        if self.error is not None or not self.verdicts:
            return None
        return sum(v.supported for v in self.verdicts) / len(self.verdicts)

    @property
    def citation_precision(self) -> float | None:
        """Supporting (claim, citation) pairs / all (claim, cited n) pairs; None if none."""
        if self.error is not None:
            return None
        pairs = sum(len(v.cited) for v in self.verdicts)
        if pairs == 0:
            return None
        return sum(len(set(v.supporting) & set(v.cited)) for v in self.verdicts) / pairs

    @property
    def citation_recall(self) -> float | None:
        """Claims with at least one supporting citation / claims; None if no claims."""
        if self.error is not None or not self.verdicts:
            return None
        return sum(bool(v.supporting) for v in self.verdicts) / len(self.verdicts)

    @property
    def faithful(self) -> bool | None:
        """Every claim supported; None when the judge failed or there are no claims."""
        if self.error is not None or not self.verdicts:
            return None
        return all(v.supported for v in self.verdicts)


class Verifier(Protocol):
    def verify(self, answer: Answer) -> Faithfulness: ...


# --------------------------------------------------------------------------- text helpers

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[’'.,-][A-Za-z0-9]+)*")

STOPWORDS = frozenset(
    """a an the and or but nor so yet for of to in on at by from with without into onto over under
    about above below after before during since until while as than then that this these those
    there here it its it's he she they them their his her hers him we us our you your i me my
    is are was were be been being am do does did done have has had having will would shall should
    can could may might must not no yes also too very more most much many some any each every all
    both either neither other another such only own same just even still now however though although
    despite because if whether when where which who whom whose what why how nevertheless moreover
    meanwhile instead according further furthermore thus hence therefore one's said says say
    last first next new well up down out off again once""".split()
)
# Words that may start a sentence capitalised without being a name.
_SENTENCE_STARTERS = STOPWORDS | frozenset(
    """reports report analysts officials many several few western eastern northern southern
    today yesterday later earlier soon recently previously initially now""".split()
)

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000, "dozen": 12,
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th", "half": "1/2",
    "twice": "x2", "double": "x2", "triple": "x3",
}  # fmt: skip
_MONTHS = frozenset(
    "january february march april june july august september october november december".split()
)  # "may" only before a number


def _norm(token: str) -> str:
    """Lowercase, without possessive and plural endings: Russia's -> russia, Koreans -> korean."""
    word = token.lower().replace("’", "'").rstrip(".")
    if word.endswith("'s"):
        word = word[:-2]
    elif word.endswith("'"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and not word.endswith("us"):
        word = word[:-1]
    return word


def _stem(token: str) -> str:
    """The stem for word overlap: `_norm`, then the Snowball stem every keyword match in
    the project uses (captured/capture/capturing -> captur)."""
    return stem(_norm(token))


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(0).rstrip(".,"), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _numbers(tokens: Sequence[_Token]) -> list[tuple[str, set[str]]]:
    """(shown form, accepted normalised forms) of each number, quantity or date word."""
    found: list[tuple[str, set[str]]] = []
    for i, token in enumerate(tokens):
        low = token.text.lower()
        if any(ch.isdigit() for ch in low):
            digits = low.replace(",", "")
            forms = {digits}
            if digits.isdigit():
                for word, value in _NUMBER_WORDS.items():
                    if value == int(digits):
                        forms.add(word)
            found.append((token.text, forms))
        elif low in _NUMBER_WORDS:
            forms = {low, str(_NUMBER_WORDS[low])}
            if low.endswith("s"):
                forms.add(low[:-1])
            found.append((token.text, forms))
        elif _norm(low) in _NUMBER_WORDS and _norm(low) in {"hundred", "thousand", "million", "billion", "dozen"}:
            base = _norm(low)
            found.append((token.text, {base, str(_NUMBER_WORDS[base])}))
        elif low in _MONTHS or (low == "may" and i + 1 < len(tokens) and tokens[i + 1].text.isdigit()):
            found.append((token.text, {low}))
    return found


def _number_forms(tokens: Sequence[_Token]) -> set[str]:
    forms: set[str] = set()
    for _, accepted in _numbers(tokens):
        forms |= accepted
    return forms


def _sentence_initial(text: str, token: _Token) -> bool:
    before = text[: token.start].rstrip()
    if not before:
        return True
    return before[-1] in "“\"‘(:—–" or before.endswith(". ")


def _entities(text: str) -> list[tuple[str, tuple[str, ...], int, int]]:
    """Capitalised word sequences: (shown text, normalised words, start char, end char)."""
    tokens = _tokens(text)
    entities: list[tuple[str, tuple[str, ...], int, int]] = []
    i = 0
    while i < len(tokens):
        if not tokens[i].text[0].isupper():
            i += 1
            continue
        j = i
        # A run of capitalised words is one name; a possessive ends it ("Russia's Kursk").
        while (
            j + 1 < len(tokens)
            and tokens[j + 1].text[0].isupper()
            and _adjacent(text, tokens[j], tokens[j + 1])
            and not re.search(r"['’]s?$", tokens[j].text)
        ):
            j += 1
        run = list(tokens[i : j + 1])
        # Leading function words ("The", "In", "Despite") are not part of a name.
        while run and (run[0].text.lower() in _SENTENCE_STARTERS and (_sentence_initial(text, run[0]) or run[0].text.lower() in STOPWORDS)):
            run.pop(0)
        if run and (run[0].text == "I" and len(run) == 1 or run[0].text.lower() in _MONTHS):
            run = []  # the pronoun; dates are checked as numbers
        if run:
            shown = text[run[0].start : run[-1].end]
            entities.append((shown, tuple(_norm(t.text) for t in run), run[0].start, run[-1].end))
        i = j + 1
    return entities


def _adjacent(text: str, left: _Token, right: _Token) -> bool:
    gap = text[left.end : right.start]
    return gap.strip() == ""


def _find_sequence(words: Sequence[str], sequence: Sequence[str]) -> int:
    """Index of the first contiguous occurrence of `sequence` in `words`, or -1."""
    n = len(sequence)
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) == tuple(sequence):
            return i
    return -1


def _content_stems(tokens: Iterable[_Token]) -> list[str]:
    stems = []
    for token in tokens:
        low = token.text.lower()
        if low in STOPWORDS or _norm(low) in STOPWORDS or len(low) < 2:
            continue
        stems.append(_stem(low))
    return stems


# --------------------------------------------------------------------------- offline verifier


@dataclass(frozen=True)
class _Check:
    ok: bool
    reason: str
    similarity: float = 0.0
    overlap: float = 0.0
    sentence: str = ""  # the cited text's sentence that matches the claim best


class OfflineVerifier:
    """Deterministic claim checking against cited text, with MiniLM for paraphrase support.

    A claim is supported by a citation when every number and name of the claim occurs in the
    citation's text, the actors it shares with the best-matching cited sentence keep their
    order, its similarity with that sentence is at least `min_similarity` and at least
    `min_overlap` of its content words occur in the cited text.
    """

    def __init__(self, embedder: Embedder, *, min_similarity: float = 0.6, min_overlap: float = 0.6) -> None:
        self.embedder = embedder
        self.min_similarity = min_similarity
        self.min_overlap = min_overlap
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def verify(self, answer: Answer) -> Faithfulness:
        if answer.refused:
            return Faithfulness(())
        return self.verify_text(answer.text, answer.citations)

    def verify_text(self, text: str, citations: Sequence[Citation]) -> Faithfulness:
        """Each sentence of `text` (with its [n] markers) against `citations`."""
        by_n = {c.n: c for c in citations}
        # "The articles don't answer “...”" (one part of a question of several) is no claim
        sentences = [s for s in answer_sentences(text) if not says_part_not_answered(s)]
        # Embed the claims and the cited sentences in one batch up front.
        self._vectors(
            [strip_markers(s) for s in sentences]
            + [strip_markers(s) for c in citations for s in answer_sentences(c.text)]
        )
        verdicts = []
        for sentence in sentences:
            cited = tuple(dict.fromkeys(marker_numbers(sentence)))
            verdicts.append(self._verdict(strip_markers(sentence), cited, by_n))
        return Faithfulness(tuple(verdicts))

    def _verdict(self, claim: str, cited: tuple[int, ...], by_n: dict[int, Citation]) -> Verdict:
        if not cited:
            return Verdict(claim, cited, False, "no citation")
        reasons: list[str] = []
        supporting: list[tuple[int, _Check]] = []
        known = [n for n in cited if n in by_n]
        for n in cited:
            if n not in by_n:
                reasons.append(f"cites [{n}], which is not among the sources")
                continue
            check = self._check(claim, by_n[n].text, f"[{n}]")
            if check.ok:
                supporting.append((n, check))
            else:
                reasons.append(check.reason)
        if supporting:
            shown = ", ".join(f"[{n}] (similarity {c.similarity:.2f}, overlap {c.overlap:.2f})" for n, c in supporting)
            spans = tuple(_support(by_n[n], c.sentence) for n, c in supporting)
            return Verdict(claim, cited, True, f"supported by {shown}", tuple(n for n, _ in supporting), spans)
        if len(known) > 1:
            # A claim may combine facts from several of its citations.
            label = "".join(f"[{n}]" for n in known)
            joined = " ".join(by_n[n].text for n in known)
            check = self._check(claim, joined, label)
            if check.ok:
                return Verdict(
                    claim, cited, True,
                    f"supported by {label} together (similarity {check.similarity:.2f}, overlap {check.overlap:.2f})",
                    tuple(known), tuple(_support(by_n[n], by_n[n].text) for n in known),
                )
            reasons.append(check.reason)
        return Verdict(claim, cited, False, "; ".join(dict.fromkeys(reasons)))

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of `texts`, each computed once per verifier (one batch for the new ones)."""
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vectors = np.asarray(self.embedder.embed_documents(missing), dtype=np.float32)
            found.update(zip(missing, vectors))
            with self._lock:
                for text, vector in zip(missing, vectors):
                    if len(self._cache) >= 4096:
                        self._cache.pop(next(iter(self._cache)))
                    self._cache[text] = vector
        return np.stack([found[t] for t in texts])

    def _check(self, claim: str, source: str, label: str) -> _Check:
        claim_tokens = _tokens(claim)
        source_tokens = _tokens(source)
        # Numbers, quantities and dates.
        available = _number_forms(source_tokens)
        for shown, forms in _numbers(claim_tokens):
            if not forms & available:
                return _Check(False, f"number '{shown}' is not in {label}")
        # Names.
        source_words = [_norm(t.text) for t in source_tokens]
        claim_entities = _entities(claim)
        for shown, words, _, _ in claim_entities:
            if _find_sequence(source_words, words) < 0:
                return _Check(False, f"name '{shown}' is not in {label}")
        # Semantic support: the best-matching sentence of the cited text.
        raw = answer_sentences(source) or [source]
        sentences = [strip_markers(s) for s in raw]
        vectors = self._vectors(sentences)
        query = self._vectors([claim])[0]
        sims = vectors @ query / (np.linalg.norm(vectors, axis=1) * (np.linalg.norm(query) or 1.0) + 1e-12)
        best = int(np.argmax(sims))
        similarity = float(sims[best])
        # Actor order against the best sentence.
        swapped = _swapped(claim, claim_entities, sentences[best])
        if swapped:
            return _Check(False, f"actors swapped: {swapped} in {label}", similarity)
        stems = _content_stems(claim_tokens)
        source_stems = set(_content_stems(source_tokens)) | {_stem(t.text) for t in source_tokens}
        overlap = sum(s in source_stems for s in stems) / len(stems) if stems else 1.0
        if similarity < self.min_similarity:
            return _Check(False, f"not supported by {label} (similarity {similarity:.2f} < {self.min_similarity:.2f})", similarity)
        if overlap < self.min_overlap:
            missing = [t.text for t in claim_tokens if _stem(t.text) in set(stems) - source_stems][:4]
            return _Check(
                False,
                f"not supported by {label} (word overlap {overlap:.2f} < {self.min_overlap:.2f}; missing {', '.join(repr(m) for m in missing)})",
                similarity,
            )
        return _Check(
            True, f"supported by {label} (similarity {similarity:.2f}, overlap {overlap:.2f})", similarity, overlap,
            raw[best],
        )


def _support(citation: Citation, sentence: str) -> Support:
    """The sentence of the citation that backs a claim, with offsets into the document (the
    whole citation when the sentence cannot be placed)."""
    at = citation.text.find(sentence) if sentence else -1
    if at < 0:
        return Support(citation.n, citation.doc_id, citation.start, citation.end, citation.text)
    start = citation.start + at
    return Support(citation.n, citation.doc_id, start, start + len(sentence), sentence)


def _swapped(claim: str, claim_entities, sentence: str) -> str:
    """Why the claim swaps two actors of the source sentence, or "".

    Two names A and B the claim and the sentence share are swapped when the claim has A
    before B, the sentence B before A, and a content word between them in the claim (the
    verb: "Putin disputed Zelensky's") also lies between them in the sentence ("Zelensky,
    however, disputed Putin's"). Coordination ("Kim and Putin") and the passive voice
    ("... was disputed by Zelensky") do not count.
    """
    tokens = _tokens(sentence)
    words = [_norm(t.text) for t in tokens]
    placed: list[tuple[str, int, int, int, int]] = []
    for shown, seq, start, end in claim_entities:
        at = _find_sequence(words, seq)
        # A name the sentence repeats ("Ukrainian President ... Ukrainian forces") has no one place.
        if at >= 0 and _find_sequence(words[at + 1 :], seq) < 0 and all(at != p[1] for p in placed):
            placed.append((shown, at, at + len(seq), start, end))
    for i in range(len(placed)):
        for j in range(i + 1, len(placed)):
            a, b = placed[i], placed[j]
            if a[1] <= b[1]:
                continue
            between = claim[a[4] : b[3]]
            if re.fullmatch(r"[\s,’'s]*(and|or|,)\s*", between.lower()):
                continue
            if re.search(r"\b(?:was|were|is|are|be|been|being)\b(?:\s+\w+){1,2}\s+by\s*$", between.lower()):
                continue
            claim_between = set(_content_stems(_tokens(between)))
            source_between = set(_content_stems(tokens[b[2] : a[1]]))
            shared = sorted(claim_between & source_between)
            if shared:
                return f"the claim has '{a[0]}' before '{b[0]}' around '{shared[0]}', the source the reverse"
    return ""


def unsupported_note(verdict: Verdict) -> str:
    """How an unsupported sentence is named in `Answer.warnings`."""
    return f"unsupported: {verdict.claim!r} ({verdict.reason})"


def keep_supported(text: str, citations: Sequence[Citation], verdicts: Sequence[Verdict]) -> tuple[str, tuple[Citation, ...], tuple[Verdict, ...]]:
    """The answer without its unsupported sentences (RAG_STRICT): citations no kept sentence
    cites are dropped and the rest renumbered in order of use, markers and verdicts with them.
    `verdicts` are `verify_text(text, citations).verdicts` (one per sentence, in order)."""
    kept = [(s, v) for s, v in zip(answer_sentences(text), verdicts) if v.supported]
    order = list(dict.fromkeys(n for _, v in kept for n in v.cited))
    new = {old: i + 1 for i, old in enumerate(order)}
    by_n = {c.n: c for c in citations}

    def renumber(numbers: Iterable[int]) -> tuple[int, ...]:
        return tuple(new[n] for n in numbers if n in new)

    def renumber_markers(marker: re.Match[str]) -> str:
        numbers = renumber(marker_numbers(marker.group()))
        return " " + "".join(f"[{n}]" for n in numbers) if numbers else ""

    sentences = [re.sub(rf"\s*{ANSWER_MARKER.pattern}", renumber_markers, s) for s, _ in kept]
    kept_verdicts = tuple(
        replace(
            v, cited=renumber(v.cited), supporting=renumber(v.supporting),
            support=tuple(replace(x, n=new[x.n]) for x in v.support if x.n in new),
        )
        for _, v in kept
    )
    kept_citations = tuple(replace(by_n[old], n=new[old]) for old in order if old in by_n)
    return " ".join(sentences), kept_citations, kept_verdicts
