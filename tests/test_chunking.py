"""Chunks are exact slices of the stored text and fit the model's window."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from ingest import chunk_text, clean_article, passage_for_embedding
from ingest.chunking import Span, pack_units
from rag.text.sentences import sentence_spans
from tests.conftest import SEEDS
from tests.fakes import FakeEmbedder

WORDS = FakeEmbedder().count_tokens


def _covered(text: str, chunks) -> bool:
    covered = [False] * len(text)
    for chunk in chunks:
        covered[chunk.start : chunk.end] = [True] * (chunk.end - chunk.start)
    return all(covered[i] or text[i].isspace() for i in range(len(text)))


def test_sentence_spans__split_sentences_but_not_abbreviations_or_initials():
    text = "The U.S. and Gen. Smith met J. Doe. Then they left! Did they?\nNext line"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "The U.S. and Gen. Smith met J. Doe.",
        "Then they left!",
        "Did they?",
        "Next line",
    ]


def test_sentence_spans__quotes_stay_with_their_sentence():
    text = "He said, “It was not an easy task.” Then he left."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "He said, “It was not an easy task.”",
        "Then he left.",
    ]


def test_pack_units__overlap_repeats_trailing_sentences():
    units = [Span(i * 10, i * 10 + 9, 10) for i in range(6)]
    assert pack_units(units, max_tokens=30, overlap_tokens=10) == [(0, 29), (20, 49), (40, 59)]


def test_chunk_text__long_sentence_without_punctuation_is_cut_between_words():
    text = " ".join(f"word{i}" for i in range(1000))
    chunks = chunk_text(text, "d", "v", WORDS, max_tokens=100, overlap_tokens=0)
    assert all(WORDS([c.text])[0] <= 100 for c in chunks)
    assert " ".join(c.text for c in chunks) == text


def test_chunk_text__one_enormous_word_is_cut_by_characters():
    text = "Intro sentence. " + "x" * 5000 + " End."
    counter = FakeEmbedder().count_tokens

    def by_chars(texts):
        return [max(1, len(t) // 4) if " " not in t else c for t, c in zip(texts, counter(texts))]

    chunks = chunk_text(text, "d", "v", by_chars, max_tokens=100, overlap_tokens=0)
    assert all(by_chars([c.text])[0] <= 100 for c in chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks) and _covered(text, chunks)


@pytest.mark.parametrize("text, max_tokens", [("U.b'?!a“?b?'U ”!\nb'”", 8), ("?b' \t“aaU.'?U?“?“''??", 9)])
def test_chunk_text__pieces_of_a_cut_giant_word_stay_exact(text, max_tokens):
    chunks = chunk_text(text, "d", "v", WORDS, max_tokens=max_tokens, overlap_tokens=0)
    assert all(c.text == c.text.strip() and text[c.start : c.end] == c.text for c in chunks)
    assert all(WORDS([c.text])[0] <= max_tokens for c in chunks)


@given(st.text(alphabet=st.sampled_from("ab .!?\n\t“”'U"), max_size=400), st.integers(8, 40), st.integers(0, 6))
@hypothesis_settings(max_examples=300, deadline=None)
def test_chunk_text__any_text_gives_exact_covering_slices(text, max_tokens, overlap):
    chunks = chunk_text(text, "d", "v", WORDS, max_tokens=max_tokens, overlap_tokens=overlap)
    assert all(text[c.start : c.end] == c.text and c.text.strip() == c.text for c in chunks)
    assert all(WORDS([c.text])[0] <= max_tokens for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert _covered(text, chunks)


def test_chunk_text__seeds_with_the_real_tokenizer(real_embedder):
    for path in sorted(SEEDS.glob("*.txt")):
        article = clean_article(path.read_text(encoding="utf-8"))
        chunks = chunk_text(article.text, path.name, "v", real_embedder.count_tokens, 200, 32)
        assert len(chunks) >= 3
        for chunk in chunks:
            assert article.text[chunk.start : chunk.end] == chunk.text
            passage = passage_for_embedding(article.title, chunk.text)
            assert real_embedder.count_tokens([passage])[0] + 2 <= real_embedder.max_tokens
        assert _covered(article.text, chunks)


def test_chunk_text__whole_squad_corpus_with_the_real_tokenizer(real_embedder, squad_corpus):
    total = 0
    for line in squad_corpus.read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        chunks = chunk_text(article["text"], article["id"], "v", real_embedder.count_tokens, 200, 32)
        counts = real_embedder.count_tokens([c.text for c in chunks])
        assert all(article["text"][c.start : c.end] == c.text for c in chunks), article["id"]
        assert max(counts) <= 200
        assert _covered(article["text"], chunks)
        total += len(chunks)
    assert total > 1000


def test_chunk_text__rejects_a_window_too_small_to_use():
    with pytest.raises(ValueError, match="at least 8"):
        chunk_text("Some text.", "d", "v", WORDS, max_tokens=4, overlap_tokens=0)
