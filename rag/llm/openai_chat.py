"""`ChatModel` over the OpenAI API (or any OpenAI-compatible server), with our own retries.

Every call is bounded twice:

* Output: `max_tokens` (RAG_LLM_MAX_TOKENS) goes with every request. A compatible server
  may ignore it, so reading also stops once the reply passes `max_tokens * CHARS_PER_TOKEN`
  characters. A reply stopped either way raises `LLMReplyCutError` holding the text so far
  (a stream yields that text first); a non-streamed body too big to hold a reply of that
  size is an `LLMError`.
* Time: the whole call (every attempt, every backoff wait, the whole stream or body) is
  given `deadline_s` (RAG_LLM_DEADLINE_S). Each attempt's HTTP timeout is capped at the
  time left, a backoff wait that would end past the deadline is not started, and the
  clock is read between stream pieces and body chunks; past the deadline the call raises
  `LLMError` naming the setting. One read that blocks can end late by at most its own
  timeout, which is never more than the time that was left when its attempt began.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
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
MAX_DELAY_S = 20.0  # cap on backoff and on a server's Retry-After: answers are interactive
# The client-side output cap: a reply over max_tokens * CHARS_PER_TOKEN characters was not
# capped by the server. English runs about 4 characters a token; 8 leaves room for long ones.
CHARS_PER_TOKEN = 8
# The most bytes one character of content can take in a JSON body (an escaped surrogate
# pair, "\ud83d\ude00"), and room for the rest of the body around the content.
JSON_BYTES_PER_CHAR = 12
ENVELOPE_BYTES = 64 * 1024
_OFFLINE_HINT = "try again later or unset OPENAI_API_KEY to use the offline answerer."


class _Transient(Exception):
    """A failure worth another attempt; `what` names it for logs and the final message."""

    def __init__(self, what: str, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after


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


class OpenAIChatModel:
    """Chat completions through the `openai` client; retries 408/429/5xx, timeouts and
    connection errors with exponential backoff, then raises `LLMError`. Replies are capped
    at `max_tokens` and whole calls at `deadline_s` (see the module docstring)."""

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
        # max_retries=0: the SDK's own retries would multiply ours and hide them from our logs.
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)
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
        request, deadline = self._request(messages, temperature), self._deadline()
        content, reason = self._retrying(lambda timeout: self._complete_once(request, timeout, deadline), deadline)
        if reason == "length":
            raise self._cut(content, "the service stopped it there")
        if len(content) > self.max_chars:
            raise self._cut(content[: self.max_chars], self._ignored_cap())
        return content

    def stream(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> Iterator[str]:
        """The reply in pieces; retried only until the first piece has been yielded. After the
        pieces, `LLMReplyCutError` if the reply hit the output cap."""
        request, deadline = self._request(messages, temperature), self._deadline()
        first, rest = self._retrying(lambda timeout: self._start_stream(request, timeout, deadline), deadline)
        if first is None:
            return
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

    def _deadline(self) -> _Deadline:
        return _Deadline(self.deadline_s, self._clock() + self.deadline_s, self._clock)

    def _complete_once(self, request: dict[str, Any], timeout: float, deadline: _Deadline) -> tuple[str, str | None]:
        # Not the SDK's parsed reply: it reads the whole body first, however big or slow;
        # reading the body here lets the output cap and the deadline stop it part-way.
        with self._translated(timeout), self._client.chat.completions.with_streaming_response.create(
            **request, timeout=timeout
        ) as response:
            body = self._read_body(response.iter_bytes(), deadline)
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
        self, request: dict[str, Any], timeout: float, deadline: _Deadline
    ) -> tuple[str | None, Generator[str, None, None]]:
        with self._translated(timeout):
            chunks = self._client.chat.completions.create(**request, stream=True, timeout=timeout)
        pieces = self._pieces(chunks, deadline)
        # Pulling the first piece here lets a stream that dies before saying anything be retried.
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
    def _translated(self, timeout: float) -> Iterator[None]:
        """SDK exceptions → `_Transient` (retry) or `LLMError` (give up at once)."""
        try:
            yield
        except (openai.APITimeoutError, httpx.TimeoutException) as exc:
            raise _Transient(f"timed out after {timeout:.3g} s") from exc
        except openai.APIConnectionError as exc:
            raise _Transient(f"could not connect: {exc.__cause__ or exc}") from exc
        except openai.APIStatusError as exc:
            raise self._status_failure(exc) from exc
        except (json.JSONDecodeError, httpx.HTTPError, openai.APIError) as exc:
            raise _Transient(f"a malformed reply: {type(exc).__name__}") from exc

    def _status_failure(self, exc: openai.APIStatusError) -> Exception:
        status = exc.status_code
        if status in (408, 429) or status >= 500:
            return _Transient(f"HTTP {status}", _retry_after(exc.response))
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

    def _retrying(self, attempt: Callable[[float], T], deadline: _Deadline) -> T:
        """`attempt(timeout)` until it succeeds, the attempts run out or the deadline passes;
        each timeout is capped at the time left."""
        attempts = self.max_retries + 1
        for number in range(1, attempts + 1):
            timeout = min(self.timeout_s, deadline.remaining())
            if timeout <= 0:  # a backoff wait overslept
                raise deadline.exceeded(f"no time left for attempt {number}")
            try:
                return attempt(timeout)
            except _Transient as failure:
                self._before_retry(failure, number, attempts, deadline)
        raise AssertionError("unreachable")

    def _before_retry(self, failure: _Transient, number: int, attempts: int, deadline: _Deadline) -> None:
        """Wait before attempt `number + 1`, or raise `LLMError` if there is none to make."""
        tried = f"{number} attempt{'s' if number > 1 else ''}"
        if deadline.remaining() <= 0:
            raise deadline.exceeded(f"{failure.what} after {tried}") from failure
        if number == attempts:
            raise LLMError(
                f"The LLM service at {self.base_url} kept failing ({failure.what}) after {tried}; {_OFFLINE_HINT}"
            ) from failure
        delay = self._delay(number, failure.retry_after)
        if delay >= deadline.remaining():
            raise deadline.exceeded(f"{failure.what} after {tried}, no time left to retry") from failure
        logger.warning(
            "LLM call failed (%s), attempt %d of %d; retrying in %.2f s", failure.what, number, attempts, delay
        )
        self._sleep(delay)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_DELAY_S)
        # Jitter spreads out clients that failed together so they don't retry in lockstep.
        return min(self.backoff_s * 2 ** (attempt - 1), MAX_DELAY_S) * random.uniform(0.5, 1.0)


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
    if not isinstance(content, str):
        raise _Transient("a reply without any answer text")
    reason = choice.get("finish_reason")
    return content, reason if isinstance(reason, str) else None


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


def _retry_after(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (the HTTP-date form is rare here and ignored)."""
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None
