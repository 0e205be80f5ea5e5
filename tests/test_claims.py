"""The claim check's "does the article mention it": the strongest refusal signal, so a name
written differently (accents, an acronym, a typing slip) must still be found, and a different
name must not."""

from __future__ import annotations

import random
import unicodedata

import pytest

from rag.answer.claims import ArticleWords, QuestionFacts, check_claim
from rag.text.tokenize import fold_accents

ARTICLE = ArticleWords.of(
    "Beyoncé performed in New York City on Tuesday. The U.S. Census Bureau and the Federal Bureau of "
    "Investigation were asked about the Maastricht Treaty, said President Volodymyr Zelenskyy. José Mourinho agreed. "
    "Hunan province reported floods; Chinese officials declined to comment."
)


@pytest.mark.parametrize("mention", [
    "beyonce", "jose",  # accents folded
    "nyc", "new york",  # the initials of a run of capitalised words
    "fbi",  # ... skipping "of"
    "us",  # a dotted abbreviation without its dots
    "masstricht",  # one letter changed
    "zelensky", "zelenskyyy",  # one letter dropped, one added
    "china",  # the shared stem of a demonym, as before
])
def test_a_name_written_differently_is_found(mention):
    assert ARTICLE.mentions(mention)


@pytest.mark.parametrize("mention", [
    "helsinki",  # not in the text at all
    "henan",  # one letter from "Hunan", but short words differ by one letter too often
    "volodimir",  # two letters from "Volodymyr"
    "zaastricht",  # a slip never changes the first letter
    "nyt",  # initials that no run of capitalised words has
    "new jersey",  # every word of a mention must be there
])
def test_a_different_name_is_not_found(mention):
    assert not ARTICLE.mentions(mention)


def test_a_common_abbreviation_matches_its_word_both_ways():
    short = ArticleWords.of("Ann Moore, a director at the Harlow Co., and Kell Corp. agreed.")
    assert short.mentions("harlow company") and short.mentions("kell corporation")
    written_out = ArticleWords.of("The Harlow Company and the Kell Corporation agreed.")
    assert written_out.mentions("harlow co") and written_out.mentions("kell corp")
    assert not written_out.mentions("harlow inc")


def test_numbers_still_match_exactly():
    words = ArticleWords.of("About 12,000 troops were sent in 2024.")
    assert words.mentions("12000") and words.mentions("2024") and not words.mentions("1200")


def test_fold_accents_keeps_everything_else():
    assert fold_accents("Céloron’s “Deréon” 2024") == "Celoron’s “Dereon” 2024"


@pytest.mark.parametrize(
    ("question", "sentence", "conflict"),
    [
        # the sentence gives another number of the kind the question names
        ("Who developed the protocol in 1995?", "The protocol was developed by Apple in 1985.", True),
        ("What did Article 20 of the treaty require?", "Article 12 of the treaty required a withdrawal.", True),
        # the question's number is there, or no other of its kind is
        ("Who patented the engine in 1804?", "Woolf invented it in 1804 and patented it in 1805.", False),
        ("What happened to the plant in 1995?", "In March 1995, 12 workers at the plant fell ill.", False),
        ("How many homes burned in 2019?", "The fire destroyed 45 homes.", False),  # a count is no year
        ("Who won the 1998 final?", "France won the final.", False),
        ("Who led the army?", "In 1805 Woolf led the army.", False),  # no number asked
        # digits of a name or of code are no number ("=3" in a question pasted with markup)
        ("What did the museum show? <img onerror=\"x=3\">", "The museum showed signs x=1 and x=2.", False),
        ("How many A380 jets flew?", "The airline flew 45 jets.", False),
    ],
)
def test_number_conflict(question, sentence, conflict):
    check = check_claim(QuestionFacts.parse(question), sentence, ArticleWords.of(sentence))
    assert check.number_conflict is conflict


def test_number_conflicts__each_lacking_number_with_the_ones_given_instead():
    question = "Who signed Article 20 in 1995?"
    sentence = "Article 12 was signed in 1985 by 3 delegates."
    check = check_claim(QuestionFacts.parse(question), sentence, ArticleWords.of(sentence))
    assert check.number_conflicts == (("20", ("12", "3")), ("1995", ("1985",)))


def test_question_facts__standalone_numbers_without_separators_or_repeats():
    facts = QuestionFacts.parse("Did 12,000 troops or x=3 A380 jets arrive in 1995, or 12,000 in 1995?")
    assert facts.standalone_numbers == ("12000", "1995")
    assert facts.numbers == ("12000", "3", "380", "1995")  # the mentions read every digit run, as fitted


@pytest.mark.parametrize(
    ("question", "sentence", "mismatch"),
    [
        ("Who led the army?", "Woolf did not lead the army.", True),
        ("Who did not lead the army?", "Woolf led the army.", True),
        ("Who did not lead the army?", "Woolf did not lead the army.", False),
        # a count of zero: the negation is the short answer itself, which answers the question
        ("How many people were injured in the blast?", "No injuries were reported after the blast.", False),
        ("How many sailors were hurt?", "Nobody was hurt, the navy said.", False),
        # ... unless another negation goes with it
        ("How many sailors were hurt?", "Nobody was hurt, but the ship could not sail.", True),
        # a negation beside the short answer still counts
        ("How many people were injured?", "The fair had no guards, and 40 people were injured.", True),
    ],
)
def test_negation_mismatch(question, sentence, mismatch):
    check = check_claim(QuestionFacts.parse(question), sentence, ArticleWords.of(sentence))
    assert check.negation_mismatch is mismatch


def test_a_sentence_is_read_into_words_once_for_every_question_that_checks_it(monkeypatch):
    # A next question about the same article checks the same sentences again: their words
    # come from the cache, and the check is the same as with words read afresh.
    read: list[str] = []
    original = ArticleWords.of.__func__  # type: ignore[attr-defined]

    def counted(cls, text):
        read.append(text)
        return original(cls, text)

    monkeypatch.setattr(ArticleWords, "of", classmethod(counted))
    sentence = "The two soldiers, aged 20 and 26, were captured in Kursk on Jan. 9, an unusual sentence for this test."
    article = ArticleWords.of_article("The article says little else.")
    questions = ["How old were the soldiers captured in Kursk?", "Where were the two soldiers captured?"]
    checks = [check_claim(QuestionFacts.parse(q), sentence, article) for q in questions]
    assert read.count(sentence) == 1
    monkeypatch.undo()
    assert checks == [check_claim(QuestionFacts.parse(q), sentence, ArticleWords.of(sentence)) for q in questions]


def test_fold_accents__is_the_whole_text_decomposed_without_its_marks():
    # Folded run by run of non-ASCII characters: the same as decomposing the whole text, also
    # for a mark after an ASCII letter, stacked marks, ligatures, full-width letters and Hangul.
    def whole(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))

    alphabet = "ae Z.'1\n" + "\u0301\u0327\u0308\u0323" + "éÅçøß" + "\ufb01\u2460\u00bd\uff21\u2019\u201c\u2014" + "한국ἄ"
    rng = random.Random(7)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    assert [fold_accents(t) for t in texts] == [whole(t) for t in texts]
    assert fold_accents("Cafe\u0301 \ufb01ne 한") == "Cafe fine " + whole("한")


@pytest.mark.parametrize(
    ("mention", "found"),
    [
        ("China", True),  # "chin", its first letters but the last, begin "Chinese"
        ("Chin", True),  # a prefix of four letters or more
        ("Chi", False),  # shorter: only a whole word
        ("ox", True), ("oxe", False),  # a whole short word, and not its extension
        ("US", True),  # "U.S." without its full stops, matched whole...
        ("Usa", False),  # ... and not as a prefix
        ("Company", True), ("Comp", True),  # "Co." stands for "Company", whose prefixes match too
        ("Corporation", False),  # no "Corp." in the text
        ("Beyonce", True),  # accents folded
        ("Maastrict", True),  # one slip from "Maastricht"
        ("Zurich", False),
    ],
)
def test_article_words__prefixes_whole_words_and_abbreviations(mention: str, found: bool) -> None:
    words = ArticleWords.of("A Chinese ox and the U.S. firm Harlow Co. met Beyoncé in Maastricht.")
    assert words.mentions(mention) is found
