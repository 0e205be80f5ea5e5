"""The LLM output cap and deadline through the Assistant, over real HTTP to 127.0.0.1
(the client's own tests: tests/test_openai_chat.py)."""

from __future__ import annotations

import time

import pytest

from rag import Assistant, Settings
from rag.errors import LLMError
from rag.answer.llm_answer import CUT_NOTE
from rag.llm.openai_chat import OpenAIChatModel
from tests.fakes import FakeEmbedder
from tests.helpers import llm_assistant, seeded_settings
from tests.openai_server import Delay, FakeOpenAIServer, Reply, Trickle

AGES = "How old were the captured soldiers?"
SENTENCE = "The soldiers were aged 20 and 26 [1]. "


@pytest.fixture(scope="module")
def index_settings(tmp_path_factory) -> Settings:
    settings = seeded_settings(tmp_path_factory, "llm-bounds-index")
    return settings


@pytest.fixture
def server():
    with FakeOpenAIServer(models=("test-model",)) as running:
        yield running


def make_assistant(settings: Settings, server: FakeOpenAIServer, **model_options) -> Assistant:
    return llm_assistant(settings, server, **({"timeout_s": 3.0, "max_retries": 1} | model_options))


def test_llm_cut__reply_stopped_at_max_tokens_keeps_its_complete_sentences_and_says_so(index_settings, server):
    server.enqueue(Reply("The captured soldiers were aged 20 and 26 [1]. Putin claimed that Russian forc", finish_reason="length"))
    answer = make_assistant(index_settings, server, max_tokens=20).ask(AGES)
    assert answer.text == "The captured soldiers were aged 20 and 26 [1]."
    assert not answer.refused and len(answer.citations) == 1
    assert answer.warnings[0] == (
        "The model's reply was cut at RAG_LLM_MAX_TOKENS=20 tokens (the service stopped it there); "
        "raise RAG_LLM_MAX_TOKENS for longer answers. Only its complete sentences are kept."
    )
    assert server.chat_requests()[0].body["max_tokens"] == 20


def test_llm_cut__2_mb_stream_ignoring_max_tokens_ends_in_complete_sentences_with_a_warning(index_settings, server):
    huge = SENTENCE * (2_000_000 // len(SENTENCE))
    server.enqueue(Reply(huge, pieces=tuple(huge[i : i + 1000] for i in range(0, len(huge), 1000))))
    started = time.monotonic()
    stream = make_assistant(index_settings, server, max_tokens=64).ask_stream(AGES)
    streamed = "".join(stream)
    elapsed = time.monotonic() - started
    answer = stream.answer
    assert elapsed < 5.0, elapsed
    assert streamed.startswith(huge[:512]) and streamed.endswith(")") and CUT_NOTE.split("{")[0] in streamed
    assert answer.text == " ".join(["The soldiers were aged 20 and 26 [1]."] * (512 // len(SENTENCE)))
    assert not answer.refused and len(answer.citations) == 1
    assert "cut after 512 characters" in answer.warnings[0] and "RAG_LLM_MAX_TOKENS=64" in answer.warnings[0]


def test_llm_cut__reply_cut_before_its_first_sentence_ended_is_a_refusal_with_the_reason(index_settings, server):
    server.enqueue(Reply("The captured soldiers were aged 20 a", finish_reason="length"))
    answer = make_assistant(index_settings, server, max_tokens=16).ask(AGES)
    assert answer.refused and answer.citations == ()
    assert answer.refusal_reason == "the model's reply was cut before its first sentence ended"
    assert "RAG_LLM_MAX_TOKENS=16" in answer.warnings[0]


def test_llm_deadline__trickling_stream_stops_with_an_error_naming_the_setting(index_settings, server):
    server.enqueue(Trickle(("The soldiers ",) * 40, interval=0.5))
    stream = make_assistant(index_settings, server, deadline_s=2.0).ask_stream(AGES)
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"RAG_LLM_DEADLINE_S=2 s"):
        "".join(stream)
    assert time.monotonic() - started < 2.0 + 1.5


def test_llm_deadline__with_fallback_a_slow_service_is_answered_offline(index_settings, server):
    server.default = Delay(10.0)
    settings = index_settings.model_copy(update={"llm_fallback": True})
    model = OpenAIChatModel("sk-test", "test-model", base_url=server.base_url, timeout_s=5.0, deadline_s=1.0)
    started = time.monotonic()
    answer = Assistant(settings, embedder=FakeEmbedder(), chat_model=model).ask(AGES)
    assert time.monotonic() - started < 1.0 + 3.0
    assert answer.answerer == "extractive (LLM fallback)"
    assert any("RAG_LLM_DEADLINE_S=1 s" in w for w in answer.warnings)


def test_llm_cut__a_model_that_writes_the_cut_note_itself_is_not_taken_for_cut(index_settings, server):
    forged = "The captured soldiers were aged 20 and 26 [1]. Putin claimed" + CUT_NOTE.format(message="forged")
    server.enqueue(Reply(forged, pieces=(forged,)))
    answer = make_assistant(index_settings, server).ask_stream(AGES)
    "".join(answer)
    assert not any("forged" in w and "complete sentences" in w for w in answer.answer.warnings)
