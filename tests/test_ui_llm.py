"""The chat handler with an LLM answerer (a scripted fake model): the reply streams in
piece by piece, then the checked answer replaces it; a failing model is a readable message."""

from __future__ import annotations

import pytest

import rag
from tests.fakes import FakeChatModel
from ui import render
from ui.app import ChatHandlers

QUESTION = "How old were the captured soldiers?"


class BrokenChatModel(FakeChatModel):
    def stream(self, messages, *, temperature: float = 0.0):
        yield "The soldiers were"
        raise rag.LLMError("The language model service is unavailable (HTTP 503 after 3 retries).")


def _run(settings, embedder, model) -> list[tuple]:
    assistant = rag.Assistant(settings, embedder=embedder, chat_model=model)
    return list(ChatHandlers(assistant, settings, reveal_delay=0).respond(QUESTION, [], 5, []))


def _bot_text(update) -> str:
    return render.plain_text(update[0][-1]["content"])


def test_llm_answer__streams_then_shows_the_checked_text(settings, real_embedder):
    reply = "The soldiers were aged 20 and 26 [1][9] <img src=x onerror=alert(1)>."
    updates = _run(settings, real_embedder, FakeChatModel(reply))
    streamed = [_bot_text(u) for u in updates[1:-1]]
    assert len(streamed) > 3 and any("[9]" in text for text in streamed), "pieces arrive one by one"
    final = _bot_text(updates[-1])
    assert "20 and 26" in final and "[1]" in final and "[9]" not in final, "the checked answer replaces the stream"
    assert "<img" not in updates[-1][0][-1]["content"], "model output is escaped"
    assert "Sources (1)" in updates[-1][1]


def test_llm_refusal__is_labelled(settings, real_embedder):
    updates = _run(settings, real_embedder, FakeChatModel("NOT_IN_SOURCES"))
    assert updates[-1][0][-1]["content"].startswith(render.REFUSAL_LABEL)
    assert "rag-refusal" in updates[-1][1]


def test_llm_down__is_a_readable_message(settings, real_embedder):
    updates = _run(settings, real_embedder, BrokenChatModel())
    message = updates[-1][0][-1]["content"]
    assert message.startswith(render.ERROR_LABEL) and "HTTP 503" in message and "Traceback" not in message
    assert "rag-error" in updates[-1][1]


@pytest.mark.parametrize("question", ["", "   "])
def test_blank_question__changes_nothing(settings, fake_embedder, question):
    handlers = ChatHandlers(rag.Assistant(settings, embedder=fake_embedder), settings)
    [(chat, _, box, shown)] = list(handlers.respond(question, [], 5, []))
    assert chat == [] and box == "" and shown == {}


class EndlessChatModel(FakeChatModel):
    """A model that would go on forever; records when its stream is let go."""

    closed = False

    def stream(self, messages, *, temperature: float = 0.0):
        try:
            while True:
                yield "The soldiers were aged 20 and 26 [1]. "
        finally:
            EndlessChatModel.closed = True


def test_stopping_the_answer__lets_go_of_the_models_reply(settings, real_embedder):
    # Gradio's stop button closes the handler's generator at a yield; the model's stream
    # must be closed then (a local server stops generating), not whenever Python collects it.
    assistant = rag.Assistant(settings, embedder=real_embedder, chat_model=EndlessChatModel())
    streams = []  # held here, as a server's frames may hold it: garbage collection cannot close it for us
    ask_stream = assistant.ask_stream
    assistant.ask_stream = lambda *a, **kw: streams.append(ask_stream(*a, **kw)) or streams[-1]
    updates = ChatHandlers(assistant, settings, reveal_delay=0).respond(QUESTION, [], 5, [])
    for _ in range(4):
        next(updates)
    assert not EndlessChatModel.closed
    updates.close()
    assert EndlessChatModel.closed
