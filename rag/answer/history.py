"""Accepting conversation history in the shapes callers already have."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Mapping, Sequence, Union

from rag.errors import InvalidInputError
from rag.text.unicode import require_unicode
from rag.types import Turn

HistoryLike = Sequence[Union[Turn, tuple, Mapping[str, object]]]


def to_turns(history: HistoryLike | None) -> list[Turn]:
    """Turns from `Turn`s, (question, answer) pairs, {"question", "answer"} dicts, or
    chat messages ({"role": "user" | "assistant", "content": ...}, as Gradio sends them)."""
    if history is not None and (isinstance(history, (str, bytes, Mapping)) or not isinstance(history, Iterable)):
        raise InvalidInputError(
            f"history must be a list of earlier turns, not {type(history).__name__}: use Turn, "
            "(question, answer), or chat messages."
        )
    turns: list[Turn] = []
    for item in history or ():
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, tuple) and 1 <= len(item) <= 2:
            turns.append(Turn(str(item[0]), str(item[1]) if len(item) > 1 and item[1] else ""))
        elif isinstance(item, Mapping) and "question" in item:
            turns.append(Turn(str(item["question"]), str(item.get("answer") or "")))
        elif isinstance(item, Mapping) and "role" in item:
            _add_message(turns, str(item["role"]), _content_text(item.get("content")))
        else:
            raise InvalidInputError(
                f"Cannot read history item {item!r}: use Turn, (question, answer), or chat messages."
            )
    for number, turn in enumerate(turns, start=1):
        require_unicode(turn.question, f"The question of history turn {number}")
        require_unicode(turn.answer, f"The answer of history turn {number}")
    return turns


def _add_message(turns: list[Turn], role: str, content: str) -> None:
    if role == "user":
        turns.append(Turn(content))
    elif role == "assistant" and turns and not turns[-1].answer:
        turns[-1] = Turn(turns[-1].question, content)


def _content_text(content: object) -> str:
    # Gradio may send content as a list of parts ({"type": "text", "text": ...}).
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) if isinstance(part, Mapping) else str(part) for part in content)
    return "" if content is None else str(content)
