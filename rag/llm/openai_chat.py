"""`ChatModel` over the OpenAI API (or any OpenAI-compatible server).

Retries are the `openai` SDK's own (`max_retries` = RAG_LLM_MAX_RETRIES): timeouts, connection
errors, HTTP 408/409/429/5xx, waiting what the server's Retry-After asks (seconds, an HTTP date
or the `retry-after-ms` header, up to 2 minutes; a longer one is not retried) or else backing off
exponentially with jitter. Two things remain hand-made here, because the SDK has neither:

* Asking again after a reply the SDK takes for a success but that holds no answer: a body that
  is not JSON, is cut off or has no answer text, and a stream that breaks or ends before its
  first piece (`_retrying`). They share the RAG_LLM_MAX_RETRIES budget with the SDK's retries:
  every HTTP request counts as an attempt. A stream that breaks after its first piece is not
  asked again (its pieces are already out): `LLMError`.
* The whole-call deadline, `deadline_s` (RAG_LLM_DEADLINE_S): the SDK's timeout is per request,
  so a call could otherwise take (retries + 1) timeouts plus the waits between them. Every
  request the SDK sends has its timeouts capped at the time left and is not sent past the
  deadline (an httpx request hook, `_hold_to_deadline`); a wait before the SDK's next retry that
  would end past the deadline is not started (`_SDKClient`); the clock is read between stream
  pieces and body chunks. Past the deadline the call raises `LLMError` naming the setting. One
  read that blocks can end late by at most its own timeout, which is never more than the time
  that was left when its request was sent.

Every call is also bounded in output: `max_tokens` (RAG_LLM_MAX_TOKENS) goes with every
request. A compatible server may ignore it, so reading also stops once the reply passes
`max_tokens * CHARS_PER_TOKEN` characters. A reply stopped either way raises `LLMReplyCutError`
holding the text so far (a stream yields that text first); a non-streamed body too big to hold
a reply of that size is an `LLMError`.

Every failure surfaces as `rag.errors.LLMError` saying what to do next.
"""

from __future__ import annotations

import json
import logging
import random
import sys
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import openai

from rag.llm.chat import ChatMessage
from rag.config import Settings
from rag.errors import ConfigurationError, InvalidInputError, LLMError, LLMReplyCutError

if TYPE_CHECKING:
    from rag.llm.local_llm import LocalServer

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_DELAY_S = 20.0  # cap on the wait before asking again after an unusable reply
# The client-side output cap: a reply over max_tokens * CHARS_PER_TOKEN characters was not
# capped by the server. English runs about 4 characters a token; 8 leaves room for long ones.
CHARS_PER_TOKEN = 8
# The most bytes one character of content can take in a JSON body (an escaped surrogate
# pair, "\ud83d\ude00"), and room for the rest of the body around the content.
JSON_BYTES_PER_CHAR = 12
ENVELOPE_BYTES = 64 * 1024
_OFFLINE_HINT = "try again later or unset OPENAI_API_KEY to use the offline answerer."


class _Transient(Exception):
    """An unusable reply, worth asking again; `what` names it for logs and the final message."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class _OutOfTime(openai.OpenAIError):
    """Ends the SDK's request loop at the deadline. An `OpenAIError` because the SDK passes its
    own exceptions through unretried; any other raised from a request hook would count as a
    connection error and be retried."""

    def __init__(self, doing: str) -> None:
        super().__init__(doing)
        self.doing = doing


@dataclass(frozen=True)
class _Deadline:
    """The moment, on `clock`, by which one call must be over."""

    seconds: float
    ends_at: float
    clock: Callable[[], float]

    def remaining(self) -> float:
        return self.ends_at - self.clock()

    def check(self, doing: str) -> None:
        if self.remaining() <= 0:
            raise self.exceeded(doing)

    def exceeded(self, doing: str) -> LLMError:
        logger.warning("LLM call stopped at its deadline of %g s (%s)", self.seconds, doing)
        return LLMError(
            f"The LLM service did not finish the answer within RAG_LLM_DEADLINE_S={self.seconds:g} s "
            f"({doing}); ask again, or raise RAG_LLM_DEADLINE_S if long answers are expected."
        )


@dataclass
class _Call:
    """One `complete` or `stream` call: its deadline and the HTTP requests sent so far."""

    deadline: _Deadline
    timeout_s: float
    allowed: int  # attempts: max_retries + 1
    attempts: int = 0
    timeout: float = 0.0  # the last request's timeout, after the deadline cap

    def tried(self) -> str:
        return f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"

    def before_sdk_retry(self, wait: float, failure: BaseException | None) -> None:
        """Called with the SDK's wait before its next retry; `_OutOfTime` if that wait would
        end past the deadline."""
        what = self.describe(failure)
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise _OutOfTime(f"{what} after {self.tried()}")
        if wait >= remaining:
            raise _OutOfTime(f"{what} after {self.tried()}, no time left to retry")
        logger.warning(
            "LLM call failed (%s), attempt %d of %d; the openai SDK retries in %.2f s",
            what, self.attempts, self.allowed, wait,
        )

    def describe(self, failure: BaseException | None) -> str:
        """What went wrong, for logs and messages, from the SDK's or httpx's exception."""
        if isinstance(failure, httpx.HTTPStatusError):
            return f"HTTP {failure.response.status_code}"
        if isinstance(failure, openai.APIStatusError):
            return f"HTTP {failure.status_code}"
        if isinstance(failure, (httpx.TimeoutException, openai.APITimeoutError)):
            return f"timed out after {self.timeout:.3g} s"
        if isinstance(failure, openai.APIConnectionError):
            failure = failure.__cause__ or failure
        return f"could not connect: {failure}" if failure is not None else "a failed request"


# The call the current thread is making; read by the hooks inside the SDK's request loop.
_CALL: ContextVar[_Call | None] = ContextVar("rag_llm_call", default=None)


def _hold_to_deadline(request: httpx.Request) -> None:
    """httpx request hook, run for every request the SDK sends (each of its retries too):
    counts the attempt and caps its timeouts at the time left, or refuses it past the deadline."""
    call = _CALL.get()
    if call is None:
        return
    remaining = call.deadline.remaining()
    if remaining <= 0:
        raise _OutOfTime(f"no time left for attempt {call.attempts + 1}")
    call.attempts += 1
    call.timeout = min(call.timeout_s, remaining)
    request.extensions["timeout"] = httpx.Timeout(call.timeout).as_dict()


class _SDKClient(openai.OpenAI):
    """The SDK's client, its waits between retries held to the call's deadline.

    `_calculate_retry_timeout` is the SDK's "how long before the next retry" (Retry-After or
    backoff), called from inside its retry loop while the failure is being handled: the one
    SDK internal this module relies on (pinned by
    tests/test_openai_chat.py::test_openai_chat__an_sdk_wait_past_the_deadline_is_not_started)."""

    def _calculate_retry_timeout(self, *args: Any, **kwargs: Any) -> float:
        wait: float = super()._calculate_retry_timeout(*args, **kwargs)
        call = _CALL.get()
        if call is not None:
            call.before_sdk_retry(wait, sys.exc_info()[1])
        return wait


class _HTTPClient(openai.DefaultHttpxClient):
    """The SDK's default httpx client (its limits and redirects), with the deadline hook;
    closed when collected, as the SDK's own is."""

    def __init__(self) -> None:
        super().__init__(event_hooks={"request": [_hold_to_deadline]})

    def __del__(self) -> None:
        with suppress(Exception):
            self.close()


class OpenAIChatModel:
    """Chat completions through the `openai` client, which retries timeouts, connection
    errors and 408/409/429/5xx itself; unusable replies are asked again here. Then `LLMError`.
    Replies are capped at `max_tokens` and whole calls at `deadline_s` (see the module
    docstring). `backoff_s` and `sleep` are the waits before asking again after an unusable
    reply; `clock` is the deadline's."""

    def __init__(
        self,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 3,
        *,
        backoff_s: float = 1.0,
        max_tokens: int = 1024,
        deadline_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        _check_arguments(api_key, model, timeout_s, max_retries, backoff_s, max_tokens, deadline_s)
        self.name = f"openai:{model}"
        self.model, self.timeout_s, self.max_retries, self.backoff_s = model, timeout_s, max_retries, backoff_s
        self.max_tokens, self.deadline_s = max_tokens, deadline_s
        self.max_chars = max_tokens * CHARS_PER_TOKEN
        self._clock, self._sleep = clock, sleep
        self._client = _SDKClient(
            api_key=api_key,
            base_url=base_url,
            timeout=httpx.Timeout(timeout_s),
            max_retries=max_retries,
            http_client=_HTTPClient(),
        )
        self.base_url = str(self._client.base_url).rstrip("/")
        self._server: LocalServer | None = None  # set by `for_local_server`
    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIChatModel:
        """The model configured by OPENAI_API_KEY, OPENAI_BASE_URL and RAG_LLM_*."""
        if settings.openai_api_key is None:
            raise ConfigurationError("No OpenAI API key: set OPENAI_API_KEY to use the OpenAI answerer.")
        return cls(
            api_key=settings.openai_api_key.get_secret_value(),
            model=settings.llm_model,
            base_url=settings.openai_base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            max_tokens=settings.llm_max_tokens,
            deadline_s=settings.llm_deadline_s,
        )

    @classmethod
    def for_local_server(cls, server: LocalServer, settings: Settings) -> OpenAIChatModel:
        """The same client, talking to the llama.cpp server `RAG_ANSWERER=local` started."""
        model = cls(
            api_key="local",  # llama.cpp's server wants none; the SDK wants a string
            model=server.model.name,
            base_url=server.base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            max_tokens=settings.llm_max_tokens,
            deadline_s=settings.llm_deadline_s,
        )
        model.name = f"local:{server.model.name}"
        model._server = server  # its server lives as long as this client
        return model

    def close(self) -> None:
        """Release the HTTP connections, and stop the local server this client was built for."""
        self._client.close()
        if self._server is not None:
            self._server.close()

    def complete(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> str:
        """The whole reply; `LLMReplyCutError` (with the text so far) if it hit the output cap."""
        request, call = self._request(messages, temperature), self._call()
        content, reason = self._retrying(lambda client: self._complete_once(client, request, call), call)
        if reason == "length":
            raise self._cut(content, "the service stopped it there")
        if len(content) > self.max_chars:
            raise self._cut(content[: self.max_chars], self._ignored_cap())
        return content

    def stream(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> Iterator[str]:
        """The reply in pieces; asked again only until the first piece has been yielded. After
        the pieces, `LLMReplyCutError` if the reply hit the output cap."""
        request, call = self._request(messages, temperature), self._call()
        first, rest = self._retrying(lambda client: self._start_stream(client, request, call), call)
        if first is None:
            return
        deadline = call.deadline
        try:
            yield first
            yield from rest
        except _Transient as failure:
            if deadline.remaining() <= 0:  # its last read was cut short by the deadline
                raise deadline.exceeded(f"the stream stalled: {failure.what}") from failure
            raise LLMError(
                f"The answer stream from the LLM service broke off ({failure.what}) after it had "
                "started; the answer is incomplete, ask again."
            ) from failure
        finally:
            rest.close()  # a consumer that stops early releases the connection now, not at GC

    def _request(self, messages: Sequence[ChatMessage], temperature: float) -> dict[str, Any]:
        wire = [{"role": m.role, "content": m.content} for m in messages]
        # `max_tokens`, not the newer `max_completion_tokens`: OpenAI-compatible servers
        # (vLLM, llama.cpp, Ollama) know this one, and OpenAI takes it for chat models.
        return {"model": self.model, "messages": wire, "temperature": temperature, "max_tokens": self.max_tokens}

    def _call(self) -> _Call:
        deadline = _Deadline(self.deadline_s, self._clock() + self.deadline_s, self._clock)
        return _Call(deadline, self.timeout_s, self.max_retries + 1)

    def _complete_once(self, client: openai.OpenAI, request: dict[str, Any], call: _Call) -> tuple[str, str | None]:
        # Not the SDK's parsed reply: it reads the whole body first, however big or slow;
        # reading the body here lets the output cap and the deadline stop it part-way.
        with self._translated(call), client.chat.completions.with_streaming_response.create(**request) as response:
            body = self._read_body(response.iter_bytes(), call.deadline)
        return _completion_text(body)

    def _read_body(self, chunks: Iterable[bytes], deadline: _Deadline) -> bytes:
        limit = self.max_chars * JSON_BYTES_PER_CHAR + ENVELOPE_BYTES
        parts: list[bytes] = []
        size = 0
        for chunk in chunks:
            deadline.check("the reply was still arriving")
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                raise LLMError(
                    f"The LLM service at {self.base_url} sent a reply of over {limit:,} bytes though "
                    f"max_tokens={self.max_tokens} was asked: it ignores RAG_LLM_MAX_TOKENS. Ask with "
                    "streaming (which is cut at the cap) or use a service that honours max_tokens."
                )
        return b"".join(parts)

    def _start_stream(
        self, client: openai.OpenAI, request: dict[str, Any], call: _Call
    ) -> tuple[str | None, Generator[str, None, None]]:
        with self._translated(call):
            chunks = client.chat.completions.create(**request, stream=True)
        pieces = self._pieces(chunks, call.deadline)
        # Pulling the first piece here lets a stream that dies before saying anything be asked again.
        return next(pieces, None), pieces

    def _pieces(self, chunks: openai.Stream[Any], deadline: _Deadline) -> Generator[str, None, None]:
        """Content pieces within the deadline and the output cap; `_Transient` if the stream
        ends without a finish_reason."""
        deltas = _deltas(chunks)
        received: list[str] = []
        size, finish_reason = 0, None
        try:
            for content, reason in deltas:
                deadline.check("the answer was still streaming")
                finish_reason = finish_reason or reason
                piece = content[: self.max_chars - size]
                if piece:
                    received.append(piece)
                    size += len(piece)
                    yield piece
                if len(piece) < len(content):
                    raise self._cut("".join(received), self._ignored_cap())
        finally:
            deltas.close()
        # openai 2.x ends the iteration silently when the body ends early without `[DONE]`.
        if finish_reason is None:
            raise _Transient("the stream ended without a finish_reason")
        if finish_reason == "length":
            raise self._cut("".join(received), "the service stopped it there")

    def _cut(self, partial: str, why: str) -> LLMReplyCutError:
        logger.warning("The model's reply was cut at max_tokens=%d (%s)", self.max_tokens, why)
        return LLMReplyCutError(
            f"The model's reply was cut at RAG_LLM_MAX_TOKENS={self.max_tokens} tokens ({why}); "
            "raise RAG_LLM_MAX_TOKENS for longer answers.",
            partial,
        )

    def _ignored_cap(self) -> str:
        return f"the service ignored it, so it was cut after {self.max_chars:,} characters"

    @contextmanager
    def _translated(self, call: _Call) -> Iterator[None]:
        """SDK exceptions → `LLMError` (the SDK's retries are spent, or the deadline passed) or
        `_Transient` (an unusable reply: ask again)."""
        try:
            yield
        except _OutOfTime as exc:
            raise call.deadline.exceeded(exc.doing) from exc
        except (openai.APIConnectionError, openai.APIStatusError) as exc:  # APITimeoutError too
            raise self._gave_up(exc, call) from exc
        except httpx.TimeoutException as exc:  # reading the body
            raise _Transient(f"timed out after {call.timeout:.3g} s") from exc
        except (json.JSONDecodeError, httpx.HTTPError, openai.APIError) as exc:
            raise _Transient(f"a malformed reply: {type(exc).__name__}") from exc

    def _gave_up(self, exc: openai.APIConnectionError | openai.APIStatusError, call: _Call) -> LLMError:
        if isinstance(exc, openai.APIStatusError) and not _retried_by_the_sdk(exc.status_code):
            return self._refused(exc)
        what = call.describe(exc)
        if call.deadline.remaining() <= 0:
            return call.deadline.exceeded(f"{what} after {call.tried()}")
        return self._kept_failing(what, call)

    def _kept_failing(self, what: str, call: _Call) -> LLMError:
        logger.warning("LLM call failed (%s) after %s; giving up", what, call.tried())
        return LLMError(
            f"The LLM service at {self.base_url} kept failing ({what}) after {call.tried()}; {_OFFLINE_HINT}"
        )

    def _refused(self, exc: openai.APIStatusError) -> LLMError:
        status = exc.status_code
        body = exc.body if isinstance(exc.body, dict) else {}
        detail = body.get("message") or exc.message
        if status == 401:
            return LLMError("The LLM service rejected the API key (401). Check OPENAI_API_KEY.")
        if status == 403:
            return LLMError(f"The API key may not use model '{self.model}' (403): {detail}. Check OPENAI_API_KEY.")
        if status == 404:
            return LLMError(
                f"The LLM service at {self.base_url} has no model '{self.model}' (404). "
                "Check RAG_LLM_MODEL and OPENAI_BASE_URL."
            )
        return LLMError(f"The LLM service at {self.base_url} refused the request (HTTP {status}): {detail}")

    def _retrying(self, attempt: Callable[[openai.OpenAI], T], call: _Call) -> T:
        """`attempt(client)` until its reply is usable, the attempts run out or the deadline
        passes. Hand-made because the SDK has no notion of an unusable reply (see the module
        docstring); status codes, timeouts and connection errors are retried by the SDK inside
        each attempt, from the same budget of attempts."""
        token = _CALL.set(call)
        try:
            client: openai.OpenAI = self._client
            while True:
                try:
                    return attempt(client)
                except _Transient as failure:
                    self._before_retry(failure, call)
                client = self._client.with_options(max_retries=call.allowed - call.attempts - 1)
        finally:
            _CALL.reset(token)

    def _before_retry(self, failure: _Transient, call: _Call) -> None:
        """Wait before asking again after an unusable reply, or raise `LLMError` if there is
        no attempt left to make."""
        tried, deadline = call.tried(), call.deadline
        if deadline.remaining() <= 0:
            raise deadline.exceeded(f"{failure.what} after {tried}") from failure
        if call.attempts >= call.allowed:
            raise self._kept_failing(failure.what, call) from failure
        # Jitter spreads out clients that failed together so they don't retry in lockstep.
        delay = min(self.backoff_s * 2 ** max(call.attempts - 1, 0), MAX_DELAY_S) * random.uniform(0.5, 1.0)
        if delay >= deadline.remaining():
            raise deadline.exceeded(f"{failure.what} after {tried}, no time left to retry") from failure
        logger.warning(
            "LLM reply unusable (%s), attempt %d of %d; asking again in %.2f s",
            failure.what, call.attempts, call.allowed, delay,
        )
        self._sleep(delay)


def _retried_by_the_sdk(status: int) -> bool:
    """The statuses the openai SDK retries (unless the server says `x-should-retry: false` or
    asks for a wait over 2 minutes); when one still surfaces, its retries are spent."""
    return status in (408, 409, 429) or status >= 500


def _check_arguments(
    api_key: str, model: str, timeout_s: float, max_retries: int, backoff_s: float, max_tokens: int, deadline_s: float
) -> None:
    if not api_key or not api_key.strip():
        raise InvalidInputError("api_key is empty: set OPENAI_API_KEY.")
    if not model or not model.strip():
        raise InvalidInputError("model name is empty: set RAG_LLM_MODEL (e.g. gpt-4o-mini).")
    if not timeout_s > 0:
        raise InvalidInputError(f"timeout_s must be > 0 seconds, got {timeout_s!r}.")
    if max_retries < 0:
        raise InvalidInputError(f"max_retries must be >= 0, got {max_retries!r}.")
    if backoff_s < 0:
        raise InvalidInputError(f"backoff_s must be >= 0 seconds, got {backoff_s!r}.")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise InvalidInputError(f"max_tokens must be a whole number >= 1 (RAG_LLM_MAX_TOKENS), got {max_tokens!r}.")
    if not deadline_s > 0:
        raise InvalidInputError(f"deadline_s must be > 0 seconds (RAG_LLM_DEADLINE_S), got {deadline_s!r}.")


def _completion_text(body: bytes) -> tuple[str, str | None]:
    """The content and finish_reason of a chat completion's JSON body."""
    try:
        data = json.loads(body)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise _Transient(f"a malformed reply: {type(exc).__name__}") from exc
    choices = data.get("choices") if isinstance(data, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    reason = choice.get("finish_reason")
    reason = reason if isinstance(reason, str) else None
    # An empty answer is no answer (a streamed one that ends before its first piece is asked
    # again too), unless the token cap cut it: asking again would be cut the same way.
    if not isinstance(content, str) or (not content.strip() and reason != "length"):
        raise _Transient("a reply without any answer text")
    return content, reason


def _deltas(chunks: openai.Stream[Any]) -> Generator[tuple[str, str | None], None, None]:
    """Each stream chunk's content and finish_reason; `_Transient` when the stream breaks."""
    try:
        for chunk in chunks:
            choices = chunk.choices or ()
            content = "".join(c.delta.content or "" for c in choices if c.delta is not None)
            yield content, next((c.finish_reason for c in choices if c.finish_reason), None)
    except (httpx.HTTPError, json.JSONDecodeError, openai.APIError) as exc:
        raise _Transient(f"{type(exc).__name__}: {exc}") from exc
    finally:
        chunks.close()
