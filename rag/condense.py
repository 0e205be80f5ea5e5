"""Turning a follow-up ("How old were they?") into a question that stands on its own."""

from __future__ import annotations

import logging
import re
from typing import Sequence

from rag.chat import ChatMessage, ChatModel
from rag.errors import LLMError
from rag.lexical import question_terms
from rag.prompts import CONDENSE_SYSTEM_PROMPT, CONDENSE_USER_TEMPLATE
from rag.types import Turn

logger = logging.getLogger(__name__)

_REFERS_BACK = re.compile(
    r"\b(?:they|them|their|theirs|he|him|his|she|her|hers|it|its|this|that|these|those|there|"
    r"the same|the other|either|both)\b|^\s*(?:and|also|what about|how about|why|so)\b",
    re.IGNORECASE,
)
_SHORT_QUESTION_WORDS = 5
HISTORY_TURNS = 3


def needs_context(question: str, history: Sequence[Turn]) -> bool:
    """True when the question leans on earlier turns: a pronoun, or too short to stand alone."""
    return bool(history) and (
        bool(_REFERS_BACK.search(question)) or len(question.split()) <= _SHORT_QUESTION_WORDS
    )


def condense_offline(question: str, history: Sequence[Turn]) -> str:
    """The question plus the key terms of the previous questions that it does not repeat."""
    if not needs_context(question, history):
        return question
    present = set(question_terms(question))
    carried: list[str] = []
    for turn in reversed(history[-HISTORY_TURNS:]):
        for word in re.findall(r"[\w’'-]+", turn.question):
            terms = question_terms(word)
            if terms and terms[0] not in present and word not in carried:
                carried.append(word)
                present.add(terms[0])
        if carried:
            break  # the most recent question with new terms is the one being followed up
    return f"{question} ({' '.join(carried)})" if carried else question


def condense_with_llm(question: str, history: Sequence[Turn], model: ChatModel) -> str:
    """The model's rewrite; the offline rewrite if the model fails or rambles."""
    if not needs_context(question, history):
        return question
    conversation = "\n".join(
        f"User: {turn.question}\nAssistant: {turn.answer}" for turn in history[-HISTORY_TURNS:]
    )
    messages = [
        ChatMessage("system", CONDENSE_SYSTEM_PROMPT),
        ChatMessage("user", CONDENSE_USER_TEMPLATE.format(conversation=conversation, question=question)),
    ]
    try:
        rewritten = model.complete(messages).strip().strip('"')
    except LLMError as exc:
        logger.warning("Could not condense the follow-up with the LLM (%s); using key terms", exc)
        return condense_offline(question, history)
    if not rewritten or len(rewritten) > 4 * len(question) + 200:
        return condense_offline(question, history)
    return rewritten
