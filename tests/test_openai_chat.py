"""OpenAIChatModel against a scripted OpenAI-compatible server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import time
from typing import Iterator

import pytest

from rag.chat import ChatMessage, ChatModel
from rag.config import Settings
from rag.errors import ConfigurationError, LLMError
from rag.openai_chat import OpenAIChatModel
from tests.openai_server import Delay, Error, FakeOpenAIServer, Malformed, Reply, Truncated

KEY = "sk-test-key"
MODEL = "gpt-4o-mini"
MESSAGES = [ChatMessage("system", "Answer from the passages."), ChatMessage("user", "Who sent troops?")]


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=KEY) as server:
        yield server


def _model(base_url: str, **kwargs) -> OpenAIChatModel:
    options = {"timeout_s": 5.0, "max_retries": 3, "backoff_s": 0.01, **kwargs}
    return OpenAIChatModel(KEY, MODEL, base_url=base_url, **options)


def test_openai_chat__completes_and_sends_the_prompt_model_and_key(server):
    server.enqueue("North Korea sent troops.")
    model = _model(server.base_url)
    assert isinstance(model, ChatModel) and model.name == "openai:gpt-4o-mini"

    assert model.complete(MESSAGES, temperature=0.2) == "North Korea sent troops."

    [request] = server.chat_requests()
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == MODEL
    assert request.body["temperature"] == 0.2
    assert request.body["messages"] == [
        {"role": "system", "content": "Answer from the passages."},
        {"role": "user", "content": "Who sent troops?"},
    ]
    assert not request.body.get("stream")


def test_openai_chat__streams_the_pieces_in_order(server):
    server.enqueue(Reply("North Korea sent troops.", pieces=("North", " Korea", " sent", " troops.")))
    pieces = list(_model(server.base_url).stream(MESSAGES))
    assert pieces == ["North", " Korea", " sent", " troops."]
    assert "".join(pieces) == "North Korea sent troops."
    assert server.chat_requests()[0].body["stream"] is True


def test_openai_chat__429_with_retry_after_is_retried(server, caplog):
    server.enqueue(Error(429, headers={"Retry-After": "0"}), "Fine now.")
    with caplog.at_level(logging.WARNING, logger="rag.openai_chat"):
        assert _model(server.base_url).complete(MESSAGES) == "Fine now."
    assert len(server.chat_requests()) == 2
    assert "HTTP 429" in caplog.text


def test_openai_chat__retry_after_sets_the_wait(server):
    server.enqueue(Error(429, headers={"Retry-After": "0.6"}), "Fine now.")
    started = time.monotonic()
    assert _model(server.base_url).complete(MESSAGES) == "Fine now."
    assert time.monotonic() - started >= 0.6


def test_openai_chat__500_forever_gives_up_after_all_attempts(server):
    server.default = Error(500)
    with pytest.raises(LLMError) as raised:
        _model(server.base_url, max_retries=2).complete(MESSAGES)
    assert len(server.chat_requests()) == 3
    message = str(raised.value)
    assert "HTTP 500" in message and "3 attempts" in message and server.base_url in message
    assert "try again later" in message and "OPENAI_API_KEY" in message


def test_openai_chat__timeout_gives_up_in_bounded_time(server):
    server.default = Delay(5.0)
    started = time.monotonic()
    with pytest.raises(LLMError, match="timed out after 0.5 s"):
        _model(server.base_url, timeout_s=0.5, max_retries=1).complete(MESSAGES)
    assert time.monotonic() - started < 3.0
    assert len(server.chat_requests()) == 2


def test_openai_chat__wrong_key_fails_at_once(server):
    model = OpenAIChatModel("sk-wrong", MODEL, base_url=server.base_url, max_retries=3, backoff_s=0.01)
    with pytest.raises(LLMError, match=r"rejected the API key \(401\)\. Check OPENAI_API_KEY"):
        model.complete(MESSAGES)
    assert len(server.chat_requests()) == 1


@pytest.mark.parametrize("status, hint", [(400, "refused the request"), (403, "403"), (404, "RAG_LLM_MODEL")])
def test_openai_chat__client_errors_are_not_retried(server, status, hint):
    server.enqueue(Error(status))
    with pytest.raises(LLMError, match=hint):
        _model(server.base_url).complete(MESSAGES)
    assert len(server.chat_requests()) == 1


def test_openai_chat__unknown_model_names_the_settings(server):
    model = OpenAIChatModel(KEY, "gpt-nope", base_url=server.base_url, backoff_s=0.01)
    with pytest.raises(LLMError, match="no model 'gpt-nope'.*RAG_LLM_MODEL and OPENAI_BASE_URL"):
        model.complete(MESSAGES)


NO_CHOICES = Malformed(b'{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m", "choices": []}')
NULL_CONTENT = Malformed(
    b'{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m", "choices": '
    b'[{"index": 0, "message": {"role": "assistant", "content": null}, "finish_reason": "stop"}]}'
)


@pytest.mark.parametrize(
    "broken", [Malformed(), Truncated(), NO_CHOICES, NULL_CONTENT], ids=["bad-json", "cut-body", "no-choices", "null"]
)
def test_openai_chat__unusable_reply_then_success(server, broken):
    server.enqueue(broken, "Good answer.")
    assert _model(server.base_url).complete(MESSAGES) == "Good answer."
    assert len(server.chat_requests()) == 2


def test_openai_chat__unusable_replies_forever_give_up(server):
    server.default = Malformed()
    with pytest.raises(LLMError, match="malformed reply.*2 attempts"):
        _model(server.base_url, max_retries=1).complete(MESSAGES)


@pytest.mark.parametrize("abrupt", [True, False], ids=["connection-dropped", "no-done-no-finish-reason"])
def test_openai_chat__stream_that_breaks_off_after_starting_raises(server, abrupt):
    server.enqueue(Truncated(("The answer ", "was cut "), abrupt=abrupt))
    received = []
    with pytest.raises(LLMError, match="broke off"):
        for piece in _model(server.base_url).stream(MESSAGES):
            received.append(piece)
    assert received == ["The answer ", "was cut "]
    assert len(server.chat_requests()) == 1  # pieces were already out: no retry


@pytest.mark.parametrize(
    "failure", [Error(503), Malformed(), Truncated(pieces=())], ids=["503", "bad-json", "dropped-before-content"]
)
def test_openai_chat__stream_failing_before_the_first_piece_is_retried(server, failure):
    server.enqueue(failure, Reply("Second try.", pieces=("Second", " try.")))
    assert list(_model(server.base_url).stream(MESSAGES)) == ["Second", " try."]
    assert len(server.chat_requests()) == 2


def test_openai_chat__stream_500_forever_gives_up(server):
    server.default = Error(500)
    with pytest.raises(LLMError, match="HTTP 500.*2 attempts"):
        list(_model(server.base_url, max_retries=1).stream(MESSAGES))


def test_openai_chat__connection_refused_gives_up_after_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(LLMError, match="could not connect.*3 attempts"):
        _model(f"http://127.0.0.1:{port}/v1", max_retries=2).complete(MESSAGES)
    assert time.monotonic() - started < 5.0


def test_openai_chat__from_settings_without_key_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        OpenAIChatModel.from_settings(Settings())


def test_openai_chat__from_settings_uses_the_settings(server):
    settings = Settings(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=server.base_url, llm_max_retries=0)
    model = OpenAIChatModel.from_settings(settings)
    assert model.name == "openai:gpt-4o-mini" and model.max_retries == 0
    assert model.complete(MESSAGES) == "This is the default reply."


@pytest.mark.parametrize(
    "kwargs, problem",
    [({"model": " "}, "model name"), ({"timeout_s": 0}, "timeout_s"), ({"max_retries": -1}, "max_retries"),
     ({"api_key": ""}, "api_key")],
)
def test_openai_chat__bad_arguments_are_refused(kwargs, problem):
    options = {"api_key": KEY, "model": MODEL, **kwargs}
    with pytest.raises(ValueError, match=problem):
        OpenAIChatModel(**options)


def test_fake_server__lists_models_and_records_requests(server):
    import httpx

    reply = httpx.get(f"{server.base_url}/models", headers={"Authorization": f"Bearer {KEY}"})
    assert reply.json()["data"][0]["id"] == MODEL
    assert server.requests[0].method == "GET"


def test_openai_chat__stream_abandoned_early_releases_the_connection(server):
    model = _model(server.base_url)
    pieces = model.stream(MESSAGES)
    assert next(pieces) == "This"
    pieces.close()
    assert model.complete(MESSAGES) == "This is the default reply."
