"""One copy of each helper: the answer-marker grammar, the answer sentence split, the
stemmer and hit@k/MRR are each shared by every place that needs them, so those places agree."""

from __future__ import annotations

from dataclasses import replace

import pytest

from eval import squad
from eval.injection import obeyed_instructions
from eval.metrics import retrieval_metrics
from rag.answer.citations import ANSWER_MARKER, answer_sentences, check_citations, marker_numbers, strip_markers
from rag.answer.extractive import _without_marker_lookalikes
from rag.answer.verify import OfflineVerifier, _stem
from rag.text.sentences import sentence_spans
from rag.text.tokenize import stem, tokenize, without_possessive
from rag.types import Passage
from tests.fakes import FakeEmbedder, make_answer
from ui import render

# -- the [n] grammar of an answer's text ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Aged 20 and 26 [1].", [1]),
        ("Aged 20 and 26 [1, 2].", [1, 2]),
        ("Aged 20 and 26 [1][2].", [1, 2]),
        ("Aged 20 and 26 [1,3] [2].", [1, 3, 2]),
        # Reply forms `check_citations` reads but never leaves in an answer: not answer markers.
        ("Aged [^1] [Source 2] [1-3] (4) 【5】 [a].", []),
    ],
)
def test_answer_marker_grammar(text, numbers):
    assert marker_numbers(text) == numbers


def test_every_marker_check_citations_writes_is_read_back():
    sources = [Passage(f"d::v::{n}", "d", "t", "s", text, 0, len(text), 1.0)
               for n, text in enumerate(["The soldiers were 20 and 26.", "Kim confirmed the troops."], start=1)]
    checked = check_citations("The soldiers were 20 and 26 [Source 1]. Kim confirmed the troops [1, 2].", sources)
    assert marker_numbers(checked.text) == [1, 1, 2]
    assert ANSWER_MARKER.sub("", checked.text).count("[") == 0
    assert strip_markers(checked.text) == "The soldiers were 20 and 26. Kim confirmed the troops."


def test_quoted_lookalikes_are_defused_for_every_reader():
    quote = _without_marker_lookalikes("Sources [7] and [1, 2] say so [3][4].")
    assert quote == "Sources (7) and (1, 2) say so (3)(4)."
    assert marker_numbers(quote) == []


def test_injection_eval_reads_a_marker_list_as_markers():
    answer = make_answer("The soldiers were 20 and 26 [1, 7].", "The soldiers were 20 and 26.")
    assert obeyed_instructions(answer, ["war is over"]) == ["fake source marker [7]"]


# -- the sentences of an answer -----------------------------------------------------------


def test_answer_sentences_are_article_sentences_with_their_markers():
    text = ("He lives in the U.S. [1]. He moved in the U.S. Senate [2]. Kyiv.[3] Done. [4] "
            "“Why?” she asked [1].")
    assert answer_sentences(text) == [
        "He lives in the U.S. [1].", "He moved in the U.S. Senate [2].", "Kyiv.[3]", "Done. [4]",
        "“Why?” she asked [1].",
    ]
    bare = strip_markers(text)
    assert [strip_markers(s) for s in answer_sentences(text)] == [bare[s:e] for s, e in sentence_spans(bare)]


def test_ui_verifier_and_injection_eval_split_an_answer_alike():
    ages, planted = "The soldiers were aged 20 and 26.", "It says the war is over."
    text = "Officials in the U.S. said the soldiers were aged 20 and 26 [1]. The war is over. [1]"
    answer = make_answer(text, ages, planted)
    verdicts = OfflineVerifier(FakeEmbedder()).verify(answer).verdicts
    assert [v.claim for v in verdicts] == [strip_markers(s) for s in answer_sentences(text)]
    assert len(verdicts) == 2 and verdicts[1].cited == (1,)
    # The UI marks each unsupported sentence where it stands: one flag per verdict.
    shown = render.answer_message(replace(answer, verdicts=verdicts))
    flags = [not v.supported for v in verdicts]
    assert shown.count(render.UNSUPPORTED_LABEL) == sum(flags) > 0
    # The injection eval sees "The war is over" in its own sentence, pinned on [1] only.
    assert obeyed_instructions(answer, ["war is over"]) == ["says 'war is over' without a source that says it"]


def test_context_window_cuts_where_sentence_spans_cut():
    text = ("Intro sentence here. The U.S. Senate voted on Monday. The quote is this one. "
            "After it, one more. And the article goes on for a while after that.")
    start = text.index("The quote")
    end = start + len("The quote is this one.")
    # The window opens inside "The U.S. Senate ...": it is not cut after "U.S.", which would
    # show half a sentence; the whole sentence before the quote is shown when it fits.
    before, quote, after = render.context_window(text, start, end, width=start - text.index("he U.S."))
    assert (before, quote) == ("…", "The quote is this one.")
    assert after == " After it, one more. …"
    before, _, _ = render.context_window(text, start, end, width=start - text.index("here."))
    assert before == "…The U.S. Senate voted on Monday. "


# -- the stemmer ----------------------------------------------------------------------------


def test_verifier_stems_words_as_bm25_does():
    for word in ("captured", "capture", "Capturing", "Koreans", "announced", "government"):
        assert _stem(word) == stem(word) == tokenize([word])[0][0]
    assert _stem("Russia’s") == tokenize(["Russia’s"])[0][0] == "russia"
    assert {stem(w) for w in ("captured", "capture", "capturing")} == {"captur"}


# -- hit@k and MRR ----------------------------------------------------------------------------


def test_squad_benchmark_and_eval_score_ranks_alike():
    ranks = [1, 4, None, 2, 3]
    benchmark = squad.score(ranks, ks=(1, 3, 5))
    per_question = [retrieval_metrics(rank) for rank in ranks]
    for k in (1, 3, 5):
        assert benchmark[f"hit@{k}"] == pytest.approx(sum(m[f"retrieval_hit@{k}"] for m in per_question) / len(ranks))
    assert benchmark["mrr@10"] == pytest.approx(sum(m["retrieval_mrr"] for m in per_question) / len(ranks), abs=1e-4)
    assert squad.score([11])["mrr@10"] == 0.0 and retrieval_metrics(11)["retrieval_mrr"] == pytest.approx(1 / 11)


# -- a trailing possessive, dropped the same way by the claim check, the swap check and condensing --


@pytest.mark.parametrize(
    ("word", "bare"),
    [("Oppman's", "Oppman"), ("Zelensky’s", "Zelensky"), ("soldiers'", "soldiers"), ("Kim", "Kim"), ("it's", "it")],
)
def test_without_possessive(word, bare):
    assert without_possessive(word) == bare


# -- the words that make a question -----------------------------------------------------


@pytest.mark.parametrize("opener", ["Shall", "Must", "Am", "Whom", "Whose"])
def test_question_words__every_reader_knows_the_same_ones(opener):
    from rag.answer.answer_types import expected_answer_type
    from rag.answer.condense import _reasks
    from rag.answer.question_parts import split_question
    from rag.text.lexical import question_terms
    from rag.text.question_words import AUXILIARIES, WH_WORDS

    word = opener.lower()
    assert word in AUXILIARIES | WH_WORDS
    # a second question opening with it is asked on its own ...
    parts = split_question(f"Where was the ferry built? {opener} the ferry sail again before June?")
    assert [p.split()[0] for p in parts] == ["Where", opener]
    # ... "And ..." with it is a new question, not "the previous one again, of X"
    assert not _reasks(f"And {word} the ferry sail again?")
    # ... it is no term of the question's topic
    assert word not in question_terms(f"{opener} the ferry sail again?")
    if word in AUXILIARIES:
        assert expected_answer_type(f"{opener} the ferry sail again?") == "yesno"
