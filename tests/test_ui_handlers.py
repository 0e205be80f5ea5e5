"""ui.app.ChatHandlers without a server: example questions, the library, an empty question."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rag import Document, DocumentInfo, Settings, seeds_dir
from ui.app import EXAMPLES, ChatHandlers


class _Assistant:
    answerer_name = "extractive"

    def __init__(self, documents):
        self.documents = documents

    def list_documents(self):
        return self.documents

    def get_document(self, doc_id):
        info = next(d for d in self.documents if d.doc_id == doc_id)
        return Document(doc_id, info.title, info.source, f"Text of <{info.title}>.")


def _handlers(documents):
    return ChatHandlers(_Assistant(documents), Settings(_env_file=None), reveal_delay=0)


SEED = next(seeds_dir().glob("*.txt"))
MINE = [
    DocumentInfo("uploads/a.txt", "Old council vote", "uploads/a.txt", published="2021-03-01"),
    DocumentInfo("uploads/b.txt", "Harbour reopens", "https://www.example.com/b", published="2024-06-01"),
]


def test_examples__the_demo_questions_only_over_the_demo_articles():
    demo = DocumentInfo(f"seeds/{SEED.name}", "Demo", f"seeds/{SEED.name}", source_file=str(SEED))
    assert _handlers([demo, *MINE]).examples() == EXAMPLES
    mine = _handlers(MINE).examples()
    assert mine == ["What does the article “Harbour reopens” report?", "What does the article “Old council vote” report?"]
    assert not set(mine) & set(EXAMPLES)
    assert _handlers([]).examples() == []


def test_library__lists_searches_and_opens_escaped():
    handlers = _handlers(MINE)
    listing, opener = handlers.library("harbour")
    assert "2 articles indexed" in listing and "1 match" in listing and "Old council vote" not in listing
    assert opener["choices"] == [("Harbour reopens — example.com · 2024-06-01", "uploads/b.txt")]
    article = handlers.open_article("uploads/b.txt")
    assert "Text of &lt;Harbour reopens&gt;." in article and "2024-06-01" in article
    assert "Choose an article" in handlers.open_article(None)


def test_remove_from_the_library__is_refused_unless_enabled():
    message, *_ = _handlers(MINE).remove_opened("uploads/a.txt", "", [], SimpleNamespace(username="anna"))
    assert "switched off" in message


def test_empty_question__is_not_asked_and_says_why():
    with pytest.warns(UserWarning, match="Type a question in the box first"):  # gr.Warning: a notice in the page
        updates = list(_handlers(MINE).respond("   ", [], 5, []))
    assert len(updates) == 1 and updates[0][0] == [] and updates[0][2] == ""
