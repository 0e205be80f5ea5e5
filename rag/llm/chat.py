"""The chat-model contract the answerers use, whatever serves the model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@runtime_checkable
class ChatModel(Protocol):
    """A chat-completion model. Implementations retry transient failures themselves and
    raise `rag.errors.LLMError` with a readable message when they give up. A model with an
    output cap raises `rag.errors.LLMReplyCutError` (an `LLMError` holding the text so far)
    for a reply it cut there; a stream raises it after yielding that text."""

    name: str

    def complete(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> str:
        """The whole reply."""
        ...

    def stream(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> Iterator[str]:
        """The reply in pieces as they arrive; LLMError if the stream breaks off."""
        ...


def build_chat_model(settings) -> ChatModel:
    """The OpenAI-compatible chat model `settings` describe: with RAG_ANSWERER=local, the
    client of a llama.cpp server started for RAG_LOCAL_MODEL (it lives as long as this
    process); else OPENAI_API_KEY, OPENAI_BASE_URL, RAG_LLM_MODEL (ConfigurationError when no
    key is set)."""
    from rag.llm.openai_chat import OpenAIChatModel

    if settings.answerer == "local":
        from rag.llm.local_llm import LocalServer

        return OpenAIChatModel.for_local_server(LocalServer.from_settings(settings), settings)
    return OpenAIChatModel.from_settings(settings)
