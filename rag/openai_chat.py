"""`ChatModel` over the OpenAI API (or any OpenAI-compatible server), with our own retries."""

from __future__ import annotations

import json
import logging
import math
import random
import time
from contextlib import contextmanager
from typing import Any, Callable, Generator, Iterator, Sequence, TypeVar

import httpx
import openai
from openai.types.chat import ChatCompletion

from rag.chat import ChatMessage
from rag.config import Settings
from rag.errors import ConfigurationError, InvalidInputError, LLMError

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_DELAY_S = 20.0  # cap on backoff and on a server's Retry-After: answers are interactive
_OFFLINE_HINT = "try again later or unset OPENAI_API_KEY to use the offline answerer."


class _Transient(Exception):
    """A failure worth another attempt; `what` names it for logs and the final message."""

    def __init__(self, what: str, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after


class OpenAIChatModel:
    """Chat completions through the `openai` client; retries 408/429/5xx, timeouts and
    connection errors with exponential backoff, then raises `LLMError`."""

    def __init__(
        self,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 3,
        *,
        backoff_s: float = 1.0,
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
        self.name = f"openai:{model}"
        self.model, self.timeout_s, self.max_retries, self.backoff_s = model, timeout_s, max_retries, backoff_s
        # max_retries=0: the SDK's own retries would multiply ours and hide them from our logs.
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)
        self.base_url = str(self._client.base_url).rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> "OpenAIChatModel":
        """The model configured by OPENAI_API_KEY, OPENAI_BASE_URL and RAG_LLM_*."""
        if settings.openai_api_key is None:
            raise ConfigurationError("No OpenAI API key: set OPENAI_API_KEY to use the OpenAI answerer.")
        return cls(
            api_key=settings.openai_api_key.get_secret_value(),
            model=settings.llm_model,
            base_url=settings.openai_base_url,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )

    def close(self) -> None:
        """Release the HTTP connections."""
        self._client.close()

    def complete(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> str:
        """The whole reply."""
        request = self._request(messages, temperature)
        return self._retrying(lambda: self._complete_once(request))

    def stream(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> Iterator[str]:
        """The reply in pieces; retried only until the first piece has been yielded."""
        request = self._request(messages, temperature)
        first, rest = self._retrying(lambda: self._start_stream(request))
        if first is None:
            return
        try:
            yield first
            yield from rest
        except _Transient as failure:
            raise LLMError(
                f"The answer stream from the LLM service broke off ({failure.what}) after it had "
                "started; the answer is incomplete, ask again."
            ) from failure
        finally:
            rest.close()  # a consumer that stops early releases the connection now, not at GC

    def _request(self, messages: Sequence[ChatMessage], temperature: float) -> dict[str, Any]:
        wire = [{"role": m.role, "content": m.content} for m in messages]
        return {"model": self.model, "messages": wire, "temperature": temperature}

    def _complete_once(self, request: dict[str, Any]) -> str:
        with self._translated():
            reply = self._client.chat.completions.create(**request)
        # A non-JSON content type makes the SDK return the raw text instead of a ChatCompletion.
        choices = getattr(reply, "choices", None) if isinstance(reply, ChatCompletion) else None
        content = getattr(getattr(choices[0], "message", None), "content", None) if choices else None
        if not isinstance(content, str):
            raise _Transient("a reply without any answer text")
        return content

    def _start_stream(self, request: dict[str, Any]) -> tuple[str | None, Generator[str, None, None]]:
        with self._translated():
            chunks = self._client.chat.completions.create(**request, stream=True)
        pieces = _pieces(chunks)
        # Pulling the first piece here lets a stream that dies before saying anything be retried.
        return next(pieces, None), pieces

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """SDK exceptions → `_Transient` (retry) or `LLMError` (give up at once)."""
        try:
            yield
        except openai.APITimeoutError as exc:
            raise _Transient(f"timed out after {self.timeout_s:g} s") from exc
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

    def _retrying(self, attempt: Callable[[], T]) -> T:
        attempts = self.max_retries + 1
        for number in range(1, attempts + 1):
            try:
                return attempt()
            except _Transient as failure:
                if number == attempts:
                    raise LLMError(
                        f"The LLM service at {self.base_url} kept failing ({failure.what}) after "
                        f"{attempts} attempt{'s' if attempts > 1 else ''}; {_OFFLINE_HINT}"
                    ) from failure
                delay = self._delay(number, failure.retry_after)
                logger.warning(
                    "LLM call failed (%s), attempt %d of %d; retrying in %.2f s",
                    failure.what, number, attempts, delay,
                )
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_DELAY_S)
        # Jitter spreads out clients that failed together so they don't retry in lockstep.
        return min(self.backoff_s * 2 ** (attempt - 1), MAX_DELAY_S) * random.uniform(0.5, 1.0)


def _pieces(chunks: openai.Stream[Any]) -> Generator[str, None, None]:
    """Content deltas; `_Transient` if the stream ends without a finish_reason."""
    finished = False
    try:
        for chunk in chunks:
            for choice in chunk.choices or ():
                finished = finished or choice.finish_reason is not None
                if choice.delta is not None and choice.delta.content:
                    yield choice.delta.content
    except (httpx.HTTPError, json.JSONDecodeError, openai.APIError) as exc:
        raise _Transient(f"{type(exc).__name__}: {exc}") from exc
    finally:
        chunks.close()
    # openai 2.x ends the iteration silently when the body ends early without `[DONE]`.
    if not finished:
        raise _Transient("the stream ended without a finish_reason")


def _retry_after(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (the HTTP-date form is rare here and ignored)."""
    try:
        seconds = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None
