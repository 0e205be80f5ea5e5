"""`rag.ask`, `rag.retrieve`, `rag.get_document`, `rag.add`, `rag.conversation`: the default
assistant, built on first use from the environment's settings. For anything else, build your
own `Assistant(settings)`."""

from __future__ import annotations

import threading
from os import PathLike
from typing import Callable, Sequence

from rag.answer.assistant import AnswerStream, Assistant, Conversation, FiltersLike
from rag.answer.history import HistoryLike
from rag.types import Answer, Document, IngestReport, Passage

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


def conversation(history: HistoryLike = ()) -> Conversation:
    """A `Conversation` on the default assistant: `.ask(...)` in turn, follow-ups included."""
    return default_assistant().conversation(history)


def add(
    paths: str | PathLike[str] | Sequence[str | PathLike[str]],
    *,
    replace: bool = False,
    follow_links: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Index these files and folders with the default assistant's model (see `Assistant.add`);
    the next `ask` searches them too."""
    return default_assistant().add(paths, replace=replace, follow_links=follow_links, progress=progress)
