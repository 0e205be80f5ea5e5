"""A sentence that puts another word in the slot of a question's word is noticed; forms of one
word (inflections, irregular verbs, spellings, slips) and paraphrase elsewhere are not swaps."""

from __future__ import annotations

import pytest

from rag.answer.substitutions import Substitution, substitutions


@pytest.mark.parametrize(("question", "sentence", "asked", "said"), [
    ("A vertical force pointing north can be split into how many forces?",
     "A horizontal force pointing north can be split into two forces.", "vertical", "horizontal"),
    ("Where did two of Oppman's daughters travel?",
     "Legend says two of Triton's daughters travelled through the seas.", "Oppman", "Triton"),
    ("What was the cost of the harbour bridge?", "The cost of the railway bridge was $4 million.", "harbour", "railway"),
    ("Who treated the injured firefighters at the clinic?",
     "Doctors treated the injured hikers at the clinic on Sunday.", "firefighters", "hikers"),
    ("What corresponds to multiplying three numbers?", "It corresponds to multiplying two numbers.", "three", "two"),
    ("How many acres of green brush did the blaze burn?", "The blaze burned 3,100 acres of dry brush.", "green", "dry"),
    # a negating prefix makes another word, however alike the two are written
    ("Who led the unsuccessful attempt on the summit?", "Hillary led the successful attempt on the summit.",
     "unsuccessful", "successful"),
])
def test_a_swapped_word_is_noticed(question, sentence, asked, said):
    assert Substitution(asked, said) in substitutions(question, sentence)


@pytest.mark.parametrize(("question", "sentence"), [
    # the same words
    ("Who treated the injured firefighters?", "Nurses treated the injured firefighters overnight."),
    # inflections, irregular verbs, a shared beginning, spellings and slips are one word
    ("When did the court hold its first hearing?", "The court held its first hearing in May."),
    ("When did France take control of Algeria?", "France took control of Algeria in 1830."),
    ("What is the power of the Scottish Parliament?", "The power of the Scotland Parliament is limited."),
    ("Which group was set up to scrutinize private bills?", "A committee was set up to scrutinise private bills."),
    ("Who was the 3rd son of the king?", "Ogedei was the third son of the king."),
    ("What did the composer Tchaikovsky finish in 1878?", "The composer Chaikovsky finished a violin concerto in 1878."),
    # a general noun for the same people, a count against a description of them
    ("What documents did the sailors carry?", "One of the men carried a navy card."),
    ("Where did the two sailors want to go?", "The older sailor wanted to go home."),
    # verbs: paraphrased far more often than swapped
    ("What did the volunteers do to help residents?", "Volunteers worked to support residents after the fire."),
    ("Which agency funded the repairs?", "The state agency financed the repairs."),
    # a word whose neighbours are function words only: "of the X in" fits any sentence
    ("What is the name of the river in the north?", "The mouth of the delta in the north is wide."),
    # the differing word has no shared neighbour
    ("How many homes did the fire destroy?", "The fire burned 12,000 acres."),
])
def test_no_swap_where_the_words_are_one(question, sentence):
    assert substitutions(question, sentence) == []
