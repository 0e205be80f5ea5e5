"""Removing articles from the chat UI: off unless the operator enables it
(RAG_UI_ALLOW_REMOVE=true, which `rag ui` accepts only with a login, RAG_UI_AUTH), and
then only for a logged-in user. Every removal is logged with the user's name."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

from ingest import remove_documents
from rag import Assistant, IndexLockedError, RagError, Settings
from ui.render import chat_text, name_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RemovalOutcome:
    """What a removal did: a markdown message, whether it fully worked, and what went."""

    message: str
    ok: bool
    removed: tuple[str, ...] = ()


def remove_articles(doc_ids: Sequence[str], assistant: Assistant, settings: Settings, user: str | None) -> RemovalOutcome:
    """Remove `doc_ids` for `user`; the message to show, and whether it worked."""
    if not settings.ui_allow_remove:
        return RemovalOutcome("Removing articles is switched off here (RAG_UI_ALLOW_REMOVE).", ok=False)
    if not user:
        return RemovalOutcome("Only logged-in users can remove articles.", ok=False)
    if not doc_ids:
        return RemovalOutcome("Choose the articles to remove first.", ok=False)
    try:
        report = remove_documents(list(doc_ids), settings, model_name=assistant.embedder.name)
    except IndexLockedError:
        return RemovalOutcome("The index is busy (another ingest is running). Please try again in a moment.", ok=False)
    except RagError as exc:
        return RemovalOutcome(f"Could not remove the articles: {chat_text(str(exc))}", ok=False)
    logger.warning("User %r removed %s", user, ", ".join(report.removed) or "nothing")
    assistant.refresh()
    lines = [f"Removed {len(report.removed)} article{'s' if len(report.removed) != 1 else ''}: "
             + ", ".join(f"**{name_text(d)}**" for d in report.removed) + "."] if report.removed else []
    lines += [f"- **{name_text(d)}** is not in the index (already removed?)." for d in report.not_found]
    return RemovalOutcome("\n".join(lines), ok=report.ok, removed=report.removed)
