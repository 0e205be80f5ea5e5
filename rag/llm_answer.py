"""The LLM answerer: numbered sources in, a checked and cited answer out."""

from __future__ import annotations

from typing import Iterator, Sequence

from rag.chat import ChatMessage, ChatModel
from rag.citations import check_citations
from rag.prompts import (
    ANSWER_SYSTEM_PROMPT,
    ANSWER_USER_TEMPLATE,
    NOT_IN_SOURCES,
    SOURCE_TEMPLATE,
    escape_source_text,
)
from rag.types import Draft, Passage


def answer_messages(question: str, passages: Sequence[Passage]) -> list[ChatMessage]:
    """The system rules and the user message with the sources as delimited data."""
    sources = "\n".join(
        SOURCE_TEMPLATE.format(n=n, title=escape_source_text(p.title).replace('"', "'"), text=escape_source_text(p.text))
        for n, p in enumerate(passages, start=1)
    )
    return [
        ChatMessage("system", ANSWER_SYSTEM_PROMPT),
        ChatMessage("user", ANSWER_USER_TEMPLATE.format(sources=sources, question=question)),
    ]


class LLMAnswerer:
    def __init__(self, model: ChatModel) -> None:
        self._model = model
        self.name = model.name

    def answer(self, question: str, passages: Sequence[Passage]) -> Draft:
        return self.finish(self._model.complete(answer_messages(question, passages)), passages)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        return self._model.stream(answer_messages(question, passages))

    def finish(self, reply: str, passages: Sequence[Passage]) -> Draft:
        """Parse and check the reply's citations; a refusal stays a refusal."""
        if NOT_IN_SOURCES in reply:
            return Draft("", (), True, "the model said the sources do not cover it")
        checked = check_citations(reply, passages)
        if not checked.citations:
            return Draft("", (), True, "the model's answer could not be tied to any source", checked.warnings)
        return Draft(checked.text, checked.citations, False, "", checked.warnings)
