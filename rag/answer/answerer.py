"""What `Assistant` asks of an answerer, and the one place that picks which answerer to use.

Two answerers satisfy `Answerer`: the offline `ExtractiveAnswerer` (quotes sentences) and
`LLMAnswerer` (a model writes, its citations are checked). `Assistant` makes the same calls
on either, so which one answers is decided here (`uses_llm`, `build_answerer`) and nowhere
else. When either refuses is `rag.answer.refusal`'s business.
"""

from __future__ import annotations

from typing import Callable, Iterator, Protocol, Sequence, runtime_checkable

from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.llm_answer import LLMAnswerer
from rag.config import Settings
from rag.llm.chat import ChatModel
from rag.types import Draft, Passage


class DraftStream(Protocol):
    """An answer being written: iterate for its pieces as they arrive, then `draft(text)`
    with the pieces joined gives the checked draft."""

    def __iter__(self) -> Iterator[str]: ...

    def draft(self, text: str) -> Draft: ...


@runtime_checkable
class Answerer(Protocol):
    """Turns a question and its retrieved passages into a `Draft`: cited text, or a refusal
    with its reason."""

    def answer(self, question: str, passages: Sequence[Passage], asked: str | None = None) -> Draft:
        """`question` is the standalone question; `asked`, the user's own words when a
        follow-up was expanded."""
        ...

    def stream(self, question: str, passages: Sequence[Passage], asked: str | None = None) -> DraftStream | None:
        """The answer as it is written, or None when nothing can be shown before the whole
        draft is done (`Assistant.ask_stream` then shows the finished answer in one piece)."""
        ...


def uses_llm(settings: Settings, chat_model_given: bool) -> bool:
    """True when a language model answers: RAG_ANSWERER=openai or local, or auto with a
    chat model given (or already built) or an OpenAI key set."""
    mode = settings.answerer
    has_llm = chat_model_given or settings.openai_api_key is not None
    return mode in ("openai", "local") or (mode == "auto" and has_llm)


def build_answerer(
    use_llm: bool, chat_model: Callable[[], ChatModel], offline: Callable[[], ExtractiveAnswerer]
) -> Answerer:
    """The answerer to use: an `LLMAnswerer` on `chat_model()` when `use_llm` (see `uses_llm`),
    else `offline()`, the caller's shared extractive answerer (also its LLM fallback).
    Callables, so only the chosen one is built (a local model means starting a server)."""
    return LLMAnswerer(chat_model()) if use_llm else offline()
