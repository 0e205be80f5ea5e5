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

