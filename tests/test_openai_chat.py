"""OpenAIChatModel against a scripted OpenAI-compatible server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import email.utils
import logging
import re
import socket
import time
from collections.abc import Iterator

import pytest

from rag.llm.chat import ChatMessage, ChatModel
from rag.config import Settings
from rag.errors import ConfigurationError, LLMError, LLMReplyCutError
from rag.llm.openai_chat import CHARS_PER_TOKEN, OpenAIChatModel
from tests.openai_server import (
    Delay,
    Error,
    FakeOpenAIServer,
    Malformed,
    Reply,
    Trickle,
    Truncated,
)

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


# -- retries: the openai SDK's own (status codes, timeouts, Retry-After) -------------

QUICK = {"Retry-After": "0.01"}  # the SDK honours any wait in (0, 120] s; 0 means its backoff


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


def _logged_waits(caplog) -> list[float]:
    return [float(m) for m in re.findall(r"the openai SDK retries in ([\d.]+) s", caplog.text)]


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_openai_chat__429_waits_what_retry_after_asks(server, caplog, form):
    # Both waits are over 1 s: the SDK's own first backoff is at most 0.5 s.
    value = "1" if form == "seconds" else _http_date(2.0)  # a date has whole seconds: 1 to 2 s from now
    server.enqueue(Error(429, headers={"Retry-After": value}), "Fine now.")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="rag.llm.openai_chat"):
        assert _model(server.base_url).complete(MESSAGES) == "Fine now."
    [wait] = _logged_waits(caplog)
    assert 0.9 <= wait <= 2.0, wait
    assert time.monotonic() - started >= wait
    assert "LLM call failed (HTTP 429), attempt 1 of 4" in caplog.text
    assert len(server.chat_requests()) == 2


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503])
def test_openai_chat__retryable_status_then_success(server, status):
    server.enqueue(Error(status, headers=QUICK), "Fine now.")
    assert _model(server.base_url).complete(MESSAGES) == "Fine now."
    assert len(server.chat_requests()) == 2


def test_openai_chat__5xx_without_retry_after_backs_off_then_succeeds(server, caplog):
    server.enqueue(Error(503), Error(500), "Fine now.")
    with caplog.at_level(logging.WARNING, logger="rag.llm.openai_chat"):
        assert _model(server.base_url).complete(MESSAGES) == "Fine now."
    first, second = _logged_waits(caplog)  # the SDK's exponential backoff, with jitter
    assert 0.3 <= first <= 0.5 and 0.7 <= second <= 1.0, (first, second)
    assert [r.headers["x-stainless-retry-count"] for r in server.chat_requests()] == ["0", "1", "2"]


def test_openai_chat__retry_after_over_two_minutes_is_not_retried(server):
    server.enqueue(Error(429, headers={"Retry-After": "600"}))
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"kept failing \(HTTP 429\) after 1 attempt; try again later"):
        _model(server.base_url, deadline_s=1000.0).complete(MESSAGES)
    assert time.monotonic() - started < 1.0
    assert len(server.chat_requests()) == 1


def test_openai_chat__timeout_then_success(server):
    server.enqueue(Delay(5.0), "Fine now.")
    started = time.monotonic()
    assert _model(server.base_url, timeout_s=0.3).complete(MESSAGES) == "Fine now."
    assert time.monotonic() - started < 2.0
    assert len(server.chat_requests()) == 2


def test_openai_chat__500_forever_gives_up_after_all_attempts(server):
    server.default = Error(500, headers=QUICK)
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

EMPTY_CONTENT = Malformed(
    b'{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m", "choices": '
    b'[{"index": 0, "message": {"role": "assistant", "content": " \\n"}, "finish_reason": "stop"}]}'
)


@pytest.mark.parametrize(
    "broken", [Malformed(), Truncated(), NO_CHOICES, NULL_CONTENT, EMPTY_CONTENT],
    ids=["bad-json", "cut-body", "no-choices", "null", "blank"],
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
            received.append(piece)  # noqa: PERF402 (the stream raises part-way)
    assert received == ["The answer ", "was cut "]
    assert len(server.chat_requests()) == 1  # pieces were already out: no retry


@pytest.mark.parametrize(
    "failure",
    [Error(503, headers=QUICK), Malformed(), Truncated(pieces=()), Truncated(pieces=(), abrupt=False)],
    ids=["503", "bad-json", "dropped-before-content", "ended-before-content"],
)
def test_openai_chat__stream_failing_before_the_first_piece_is_retried(server, failure):
    server.enqueue(failure, Reply("Second try.", pieces=("Second", " try.")))
    assert list(_model(server.base_url).stream(MESSAGES)) == ["Second", " try."]
    assert len(server.chat_requests()) == 2


def test_openai_chat__stream_500_forever_gives_up(server):
    server.default = Error(500, headers=QUICK)
    with pytest.raises(LLMError, match="HTTP 500.*2 attempts"):
        list(_model(server.base_url, max_retries=1).stream(MESSAGES))


def test_openai_chat__stream_dying_before_its_first_piece_forever_gives_up(server):
    server.default = Truncated(pieces=())  # the connection drops after the role chunk
    with pytest.raises(LLMError, match=r"kept failing \(RemoteProtocolError: .*\) after 3 attempts; try again"):
        list(_model(server.base_url, max_retries=2).stream(MESSAGES))
    assert len(server.chat_requests()) == 3


def test_openai_chat__sdk_retries_and_unusable_replies_share_one_budget(server):
    server.enqueue(Error(503, headers=QUICK), Malformed(), Error(502, headers=QUICK), "Too late.")
    with pytest.raises(LLMError, match=r"kept failing \(HTTP 502\) after 3 attempts"):
        _model(server.base_url, max_retries=2).complete(MESSAGES)
    assert len(server.chat_requests()) == 3  # not 3 for each time the reply was unusable


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


# -- output cap and deadline (issue 10) -------------------------------------------

SENTENCE = "The soldiers were aged 20 and 26 [1]. "
HUGE = SENTENCE * (2_000_000 // len(SENTENCE))  # a 2 MB reply


def _pieces_of(text: str, size: int = 1000) -> tuple[str, ...]:
    return tuple(text[i : i + size] for i in range(0, len(text), size))


class FakeClock:
    """A clock the test moves by hand; `sleep` moves it too and is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_openai_chat__max_tokens_from_the_settings_is_in_every_request(server, monkeypatch):
    monkeypatch.setenv("RAG_LLM_MAX_TOKENS", "300")
    settings = Settings(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=server.base_url)
    model = OpenAIChatModel.from_settings(settings)
    model.backoff_s = 0.01
    server.enqueue(Error(500, headers=QUICK), "Complete.", Error(503, headers=QUICK), Reply("Streamed.", pieces=("Streamed.",)))
    assert model.complete(MESSAGES) == "Complete."
    assert list(model.stream(MESSAGES)) == ["Streamed."]
    bodies = [r.body for r in server.chat_requests()]
    assert len(bodies) == 4 and [b.get("stream", False) for b in bodies] == [False, False, True, True]
    assert [b["max_tokens"] for b in bodies] == [300, 300, 300, 300]


@pytest.mark.parametrize(
    "env, value", [("RAG_LLM_MAX_TOKENS", "15"), ("RAG_LLM_MAX_TOKENS", "32769"), ("RAG_LLM_DEADLINE_S", "0")]
)
def test_settings__llm_bounds_out_of_range_are_refused(monkeypatch, env, value):
    from pydantic import ValidationError

    monkeypatch.setenv(env, value)
    with pytest.raises(ValidationError, match=env.removeprefix("RAG_").lower()):
        Settings()


def test_openai_chat__from_settings_passes_the_deadline(server, monkeypatch):
    monkeypatch.setenv("RAG_LLM_DEADLINE_S", "7.5")
    model = OpenAIChatModel.from_settings(Settings(OPENAI_API_KEY=KEY, OPENAI_BASE_URL=server.base_url))
    assert (model.deadline_s, model.max_tokens) == (7.5, 1024)


def test_openai_chat__stream_of_2_mb_ignoring_max_tokens_is_cut_at_the_budget(server):
    server.enqueue(Reply(HUGE, pieces=_pieces_of(HUGE)))
    model = _model(server.base_url, max_tokens=64)
    received: list[str] = []
    started = time.monotonic()
    with pytest.raises(LLMReplyCutError, match=r"RAG_LLM_MAX_TOKENS=64 tokens \(the service ignored it") as cut:
        for piece in model.stream(MESSAGES):
            received.append(piece)  # noqa: PERF402 (the stream raises part-way)
    elapsed = time.monotonic() - started
    assert "".join(received) == cut.value.partial == HUGE[: 64 * CHARS_PER_TOKEN]
    assert elapsed < 2.0, elapsed
    assert len(server.chat_requests()) == 1


def test_openai_chat__a_2_mb_body_ignoring_max_tokens_is_not_read_to_the_end(server):
    server.enqueue(HUGE)
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"over [\d,]+ bytes though max_tokens=64 was asked.*RAG_LLM_MAX_TOKENS"):
        _model(server.base_url, max_tokens=64).complete(MESSAGES)
    assert time.monotonic() - started < 2.0
    assert len(server.chat_requests()) == 1  # the same server would ignore it again: no retry


def test_openai_chat__a_reply_over_the_budget_is_cut_there(server):
    server.enqueue(SENTENCE * 100)
    with pytest.raises(LLMReplyCutError, match="ignored it, so it was cut after 512 characters") as cut:
        _model(server.base_url, max_tokens=64).complete(MESSAGES)
    assert cut.value.partial == (SENTENCE * 100)[:512]


@pytest.mark.parametrize("streaming", [False, True])
def test_openai_chat__finish_reason_length_is_a_cut_reply(server, streaming):
    server.enqueue(Reply("The soldiers were aged 20 and 26 [1]. Putin said tha", finish_reason="length"))
    model = _model(server.base_url, max_tokens=16)
    with pytest.raises(LLMReplyCutError, match=r"cut at RAG_LLM_MAX_TOKENS=16 tokens \(the service stopped it there\)") as cut:
        list(model.stream(MESSAGES)) if streaming else model.complete(MESSAGES)
    assert cut.value.partial == "The soldiers were aged 20 and 26 [1]. Putin said tha"


def test_openai_chat__trickling_stream_stops_at_the_deadline(server):
    server.enqueue(Trickle(("word ",) * 40, interval=0.5))
    model = _model(server.base_url, timeout_s=3.0, deadline_s=2.0)
    received: list[str] = []
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"within RAG_LLM_DEADLINE_S=2 s \(the answer was still streaming\)"):
        for piece in model.stream(MESSAGES):
            received.append(piece)  # noqa: PERF402 (the stream raises part-way)
    elapsed = time.monotonic() - started
    assert 1.9 < elapsed < 2.0 + 1.5, elapsed  # the whole stream would take 20 s
    assert 1 <= len(received) < 10


def test_openai_chat__trickling_body_stops_at_the_deadline(server):
    server.enqueue(Trickle(("word ",) * 40, interval=0.5))
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"within RAG_LLM_DEADLINE_S=2 s \(the reply was still arriving\)"):
        _model(server.base_url, timeout_s=3.0, deadline_s=2.0).complete(MESSAGES)
    elapsed = time.monotonic() - started
    assert 1.9 < elapsed < 2.0 + 1.5, elapsed


def test_openai_chat__retries_stop_at_the_deadline(server):
    server.default = Error(503, headers={"Retry-After": "0.4"})
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"within RAG_LLM_DEADLINE_S=1.5 s \(HTTP 503 after \d attempts, no time left"):
        _model(server.base_url, max_retries=10, deadline_s=1.5).complete(MESSAGES)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 1.0, elapsed
    assert 2 <= len(server.chat_requests()) <= 4  # not the 11 attempts allowed


@pytest.mark.parametrize("streaming", [False, True])
def test_openai_chat__a_slow_server_is_bounded_by_the_deadline_not_the_timeout(server, streaming):
    server.default = Delay(10.0)
    model = _model(server.base_url, timeout_s=5.0, max_retries=3, deadline_s=1.0)
    started = time.monotonic()
    # The request's timeout is what was left of the second when it was sent: 0.99... s.
    deadline = r"within RAG_LLM_DEADLINE_S=1 s \(timed out after (1|0\.9\d*) s after 1 attempt(, no time left to retry)?\)"
    with pytest.raises(LLMError, match=deadline):
        list(model.stream(MESSAGES)) if streaming else model.complete(MESSAGES)
    elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 1.0 + 1.5, elapsed
    assert len(server.chat_requests()) == 1


def _each_request_takes(server: FakeOpenAIServer, clock: FakeClock, seconds: float) -> None:
    """Every chat request moves `clock` on by `seconds`, as if the service took that long."""
    take_next = server._next

    def next_behaviour():
        clock.now += seconds
        return take_next()

    server._next = next_behaviour  # type: ignore[method-assign]


def test_openai_chat__sdk_retries_stop_at_the_deadline_on_an_injected_clock(server):
    clock = FakeClock()
    _each_request_takes(server, clock, 3.0)
    server.default = Error(500, headers=QUICK)
    model = _model(server.base_url, max_retries=10, deadline_s=10.0, clock=clock)
    with pytest.raises(LLMError, match=r"RAG_LLM_DEADLINE_S=10 s \(HTTP 500 after 4 attempts\)"):
        model.complete(MESSAGES)
    assert len(server.chat_requests()) == 4  # sent at 0, 3, 6 and 9 s: not the 11 attempts allowed


def test_openai_chat__an_sdk_wait_past_the_deadline_is_not_started(server):
    # Pins the one SDK internal the client overrides (`_calculate_retry_timeout`): without it
    # the SDK would sleep the 5 s the server asks for, though only 5 s are left.
    clock = FakeClock()
    _each_request_takes(server, clock, 4.0)
    server.default = Error(429, headers={"Retry-After": "5"})
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"RAG_LLM_DEADLINE_S=9 s \(HTTP 429 after 1 attempt, no time left to retry\)"):
        _model(server.base_url, deadline_s=9.0, clock=clock).complete(MESSAGES)
    assert time.monotonic() - started < 1.0
    assert len(server.chat_requests()) == 1


def test_openai_chat__backoff_that_would_pass_the_deadline_is_not_waited(server):
    clock = FakeClock()
    _each_request_takes(server, clock, 4.0)
    server.default = Error(500)  # no Retry-After: the SDK's own backoff, at least 0.375 s
    model = _model(server.base_url, max_retries=10, deadline_s=4.2, clock=clock, sleep=clock.sleep)
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"RAG_LLM_DEADLINE_S=4.2 s \(HTTP 500 after 1 attempt, no time left to retry\)"):
        model.complete(MESSAGES)
    assert time.monotonic() - started < 0.3
    assert len(server.chat_requests()) == 1 and clock.sleeps == []


def test_openai_chat__unusable_replies_are_not_asked_again_past_the_deadline(server):
    clock = FakeClock()
    _each_request_takes(server, clock, 2.0)
    server.default = Malformed()
    model = _model(server.base_url, max_retries=10, backoff_s=1.5, deadline_s=10.0, clock=clock, sleep=clock.sleep)
    stopped = r"(the reply was still arriving|a malformed reply: JSONDecodeError after \d attempts, no time left to retry)"
    with pytest.raises(LLMError, match=rf"RAG_LLM_DEADLINE_S=10 s \({stopped}\)"):
        model.complete(MESSAGES)
    assert len(server.chat_requests()) == len(clock.sleeps) + 1 >= 2
    assert clock.now - 2.0 < 10.0  # every wait ended before the deadline (each request "takes" 2 s)


def test_openai_chat__each_attempt_waits_no_longer_than_the_time_left(server):
    times = iter([0.0, 99.7])  # the deadline is set at 0, the attempt starts 0.3 s before it

    def clock() -> float:
        return next(times, 99.7)

    server.default = Delay(5.0)
    model = _model(server.base_url, timeout_s=4.0, max_retries=0, deadline_s=100.0, clock=clock)
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"timed out after 0.3 s"):
        model.complete(MESSAGES)
    assert time.monotonic() - started < 2.0


def test_openai_chat__stream_checks_the_deadline_between_pieces(server):
    clock = FakeClock()
    server.enqueue(Reply("one two three four five six", pieces=("one", " two", " three", " four", " five", " six")))
    received: list[str] = []
    with pytest.raises(LLMError, match=r"RAG_LLM_DEADLINE_S=30 s \(the answer was still streaming\)"):
        for piece in _model(server.base_url, deadline_s=30.0, clock=clock).stream(MESSAGES):
            received.append(piece)
            if len(received) == 3:
                clock.now = 31.0
    assert received == ["one", " two", " three"]


@pytest.mark.parametrize("kwargs, problem", [({"max_tokens": 0}, "max_tokens"), ({"deadline_s": 0}, "RAG_LLM_DEADLINE_S")])
def test_openai_chat__bad_bounds_are_refused(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        OpenAIChatModel(KEY, MODEL, **kwargs)
