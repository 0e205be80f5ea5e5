"""`Assistant.conversation()`: follow-ups without rebuilding the history; and `AnswerStream`,
whose `.answer` reads whatever is left of the stream (fake embedder, real Chroma)."""

from __future__ import annotations

import pytest

import rag
from rag import AnswerStream, Assistant, RagError, Turn
from tests.fakes import FakeEmbedder, make_answer
from tests.helpers import seeded_settings

FIRST = "Which soldiers did Ukraine capture in Kursk?"
FOLLOW_UP = "How old were they?"


@pytest.fixture(scope="module")
def offline(tmp_path_factory) -> Assistant:
    return Assistant(seeded_settings(tmp_path_factory, "conversation-index"), embedder=FakeEmbedder())


def test_conversation__a_follow_up_is_answered_as_with_the_history(offline):
    chat = offline.conversation()
    first = chat.ask(FIRST)
    second = chat.ask(FOLLOW_UP, k=4)
    assert second == offline.ask(FOLLOW_UP, history=[(FIRST, first.text)], k=4)
    assert "Kursk" in second.standalone_question  # the follow-up was condensed with the first turn
    assert chat.turns == (Turn(FIRST, first.text), Turn(FOLLOW_UP, second.text))


def test_conversation__turns_are_read_only_reset_forgets_them_and_history_seeds_them(offline):
    chat = offline.conversation(history=[(FIRST, "Two North Korean soldiers [1].")])
    assert chat.turns == (Turn(FIRST, "Two North Korean soldiers [1]."),)
    assert isinstance(chat.turns, tuple)
    answer = chat.ask(FOLLOW_UP)
    assert answer == offline.ask(FOLLOW_UP, history=[(FIRST, "Two North Korean soldiers [1].")])
    chat.reset()
    assert chat.turns == ()
    assert chat.ask(FOLLOW_UP) == offline.ask(FOLLOW_UP)  # a new conversation: nothing carried over


def test_conversation__a_question_that_fails_adds_no_turn(offline):
    chat = offline.conversation()
    with pytest.raises(rag.InvalidInputError):
        chat.ask("   ")
    with pytest.raises(rag.InvalidInputError):
        chat.ask(FIRST, filters={"author": "x"})
    assert chat.turns == ()


def test_conversation__ask_stream_appends_its_turn_only_when_finished(offline):
    chat = offline.conversation()
    stream = chat.ask_stream(FIRST)
    assert chat.turns == ()  # nothing read yet
    pieces = iter(stream)
    text = next(pieces)  # the offline answer comes in one piece, but the stream is not over yet
    assert chat.turns == ()
    assert list(pieces) == []
    assert chat.turns == (Turn(FIRST, text),) and stream.answer.text == text
    assert chat.turns == (Turn(FIRST, text),)  # reading .answer again appends nothing

    follow_up = chat.ask_stream(FOLLOW_UP)
    answer = follow_up.answer  # never iterated: .answer finishes it, and the turn is added
    assert answer == offline.ask(FOLLOW_UP, history=[(FIRST, text)])
    assert chat.turns[-1] == Turn(FOLLOW_UP, answer.text) and len(chat.turns) == 2

    closed = chat.ask_stream("Who helped interrogate them?")
    closed.close()
    with pytest.raises(RagError, match="closed before its end"):
        closed.answer
    assert len(chat.turns) == 2  # a stream closed before its end adds nothing


def test_ask_stream__answer_without_reading_is_the_same_answer_as_ask(offline):
    assert offline.ask_stream(FIRST).answer == offline.ask(FIRST)
    assert rag.AnswerStream is AnswerStream


# -- AnswerStream on its own, with a reply that comes in pieces ---------------------------


def _stream(pieces, log):
    def reply():
        try:
            yield from pieces
        finally:
            log.append("reply closed")

    def finish(text):
        log.append(f"finished: {text}")
        return make_answer(text)

    return AnswerStream(reply(), finish)


def test_answer_stream__answer_reads_the_rest_and_keeps_every_piece():
    log: list[str] = []
    stream = _stream(["Two ", "soldiers ", "[1]."], log)
    for piece in stream:
        assert piece == "Two "
        break  # a pause, not the end
    assert stream.answer.text == "Two soldiers [1]."
    assert stream.answer.text == "Two soldiers [1]."
    assert list(stream) == []  # read to its end: iterating again yields nothing
    assert log == ["reply closed", "finished: Two soldiers [1]."]  # finished once


def test_answer_stream__close_drops_the_rest_and_then_there_is_no_answer():
    log: list[str] = []
    stream = _stream(["Two ", "soldiers ", "[1]."], log)
    assert next(iter(stream)) == "Two "
    stream.close()
    assert log == ["reply closed"]  # the reply's generator was closed, never finished
    with pytest.raises(RagError, match="closed before its end"):
        stream.answer
    with pytest.raises(RagError, match="closed before its end"):
        list(stream)


def test_answer_stream__an_error_mid_way_is_raised_again_never_a_half_answer():
    log: list[str] = []

    def failing():
        yield "Two "
        raise rag.LLMError("The LLM service failed.")

    stream = AnswerStream(failing(), lambda text: log.append(text) or make_answer(text))
    with pytest.raises(rag.LLMError):
        list(stream)
    with pytest.raises(rag.LLMError):
        stream.answer
    assert log == []  # the half-read text never became an Answer
