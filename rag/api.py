"""`rag.ask`, `rag.retrieve`, `rag.get_document`: the default assistant, built on first use
from the environment's settings. For anything else, build your own `Assistant(settings)`."""

from __future__ import annotations

import threading

from rag.answer.assistant import AnswerStream, Assistant, FiltersLike
from rag.answer.history import HistoryLike
from rag.types import Answer, Document, Passage

_default: Assistant | None = None
_default_lock = threading.Lock()


def default_assistant() -> Assistant:
    """The shared assistant behind the module-level functions (settings from the environment)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Assistant()
        return _default


def ask(question: str, history: HistoryLike = (), k: int | None = None, filters: FiltersLike = None) -> Answer:
    """Answer `question` from the indexed articles, with `[n]` citations, or refuse."""
    return default_assistant().ask(question, history=history, k=k, filters=filters)


def ask_stream(
    question: str, history: HistoryLike = (), k: int | None = None, filters: FiltersLike = None
) -> AnswerStream:
    """Like `ask`, streaming the text; the checked `Answer` is `.answer` at the end."""
    return default_assistant().ask_stream(question, history=history, k=k, filters=filters)


def retrieve(query: str, k: int | None = None, filters: FiltersLike = None) -> list[Passage]:
    """The passages that best match `query`, best first."""
    return default_assistant().retrieve(query, k=k, filters=filters)


def get_document(doc_id: str) -> Document:
    """The stored article with the full text that passage offsets refer to."""
    return default_assistant().get_document(doc_id)
