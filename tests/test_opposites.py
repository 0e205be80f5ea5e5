"""A sentence that turns one of the question's words into its opposite does not answer it."""

from __future__ import annotations

import pytest

from rag.answer.opposites import opposes


@pytest.mark.parametrize(("question", "sentence"), [
    ("What proteins are used by many organisms?", "Pattern recognition receptors are proteins used by few organisms."),
    ("Who was subject to a qualified minority vote?", "The Commissioners are subject to a qualified majority vote of the Council."),
    ("When did the war start?", "The war ended in 1918."),
    ("When was the poet born?", "The poet died in Paris in 1849."),
    ("How many soldiers were captured before the offensive?", "Two soldiers were captured after the offensive."),
    ("What was the unsuccessful attempt called?", "The successful attempt was called Operation Dawn."),
    ("Which non-violent groups joined?", "Violent groups joined the protest."),
])
def test_an_opposite_word_is_noticed(question, sentence):
    assert opposes(question, sentence)


@pytest.mark.parametrize(("question", "sentence"), [
    # the question's own word is there too
    ("When did the war end?", "The war, which began in 1914, ended in 1918."),
    # inflections of the same word are the same word
    ("How much did prices increase?", "Prices increased by 4% after the decrease of 2019."),
    # the measure after "how" and a closing verb are no claims
    ("How long did the meeting last?", "The short meeting lasted 22 minutes."),
    ("How old were the soldiers?", "The young soldiers were aged 20 and 26."),
    # "un"/"non" only negate a word of five letters or more
    ("Who united the tribes?", "The tribes were divided until 1200."),
    ("Where were the detainees held?", "The detainees were held in a prison near the border."),
])
def test_no_opposite_where_none_is_said(question, sentence):
    assert not opposes(question, sentence)
