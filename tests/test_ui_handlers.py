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
ANNA = SimpleNamespace(username="anna")  # a logged-in user


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
    message, *_ = _handlers(MINE).remove_opened("uploads/a.txt", "", [], [], ANNA)
    assert "switched off" in message


def test_empty_question__is_not_asked_and_says_why():
    with pytest.warns(UserWarning, match="Type a question in the box first"):  # gr.Warning: a notice in the page
        updates = list(_handlers(MINE).respond("   ", [], 5, []))
    assert len(updates) == 1 and updates[0][0] == [] and updates[0][2] == ""


# -- the library: rows open articles; a removal in either tab refreshes every listing ---------------


def _removing(assistant):
    """A stand-in for `ui.manage.remove_articles` that takes the articles off the fake index."""
    from ui.manage import RemovalOutcome

    def remove(doc_ids, _assistant, _settings, user):
        assistant.documents = [d for d in assistant.documents if d.doc_id not in doc_ids]
        return RemovalOutcome(f"Removed {', '.join(doc_ids)} for {user}.", ok=True, removed=tuple(doc_ids))

    return remove


def test_open_row__the_clicked_article_goes_to_the_opener():
    import gradio as gr

    handlers = _handlers(MINE)
    assert handlers.open_row(gr.SelectData(None, {"index": "uploads/b.txt", "value": "uploads/b.txt"}))["value"] == "uploads/b.txt"


def test_remove_from_the_library__refreshes_the_remove_choice_the_listing_and_the_reader(monkeypatch):
    handlers = _handlers(list(MINE))
    monkeypatch.setattr("ui.app.remove_articles", _removing(handlers.assistant))
    marked = ["uploads/a.txt", "uploads/b.txt"]
    message, articles, doomed, listing, opener, reader = handlers.remove_opened("uploads/a.txt", "", ["uploads/a.txt"], marked, ANNA)
    assert message == "Removed uploads/a.txt for anna."
    assert articles["choices"] == doomed["choices"] == [("Harbour reopens", "uploads/b.txt")]
    assert articles["value"] == [] and doomed["value"] == ["uploads/b.txt"], "what is still indexed stays ticked"
    assert "1 article indexed" in listing and "Old council vote" not in listing
    assert opener["choices"] == [("Harbour reopens — example.com · 2024-06-01", "uploads/b.txt")] and opener["value"] is None
    assert "Choose an article" in reader


def test_remove_in_the_ask_tab__the_library_follows(monkeypatch):
    handlers = _handlers(list(MINE))
    monkeypatch.setattr("ui.app.remove_articles", _removing(handlers.assistant))
    handlers.remove(["uploads/a.txt"], [], ANNA)
    listing, opener, reader = handlers.library_refresh("", "uploads/a.txt")  # the removed article was open
    assert "1 article indexed" in listing and "Old council vote" not in listing
    assert opener["choices"] == [("Harbour reopens — example.com · 2024-06-01", "uploads/b.txt")] and opener["value"] is None
    assert "Choose an article" in reader
    listing, opener, reader = handlers.library_refresh("council", "uploads/b.txt")  # another one stays open
    assert "0 matches" in listing and "value" not in opener and reader == {"__type__": "update"}


def _refreshed(demo, elem_id: str, event: str) -> set[str]:
    """The elem_ids an event of `elem_id` updates, with every step chained after it (`.then`)."""
    config = demo.get_config_file()
    names = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    steps = [d for d in config["dependencies"] if [names.get(t[0]) for t in d["targets"]] == [elem_id]
             and d["targets"][0][1] == event]
    for d in config["dependencies"]:
        if any(d.get("trigger_after") == s["id"] for s in steps):
            steps.append(d)
    return {names.get(o) for s in steps for o in s["outputs"]}


def test_wiring__a_change_to_the_index_in_one_tab_refreshes_the_other_tabs_lists():
    from ui.app import build_app

    settings = Settings(_env_file=None, ui_allow_remove=True, ui_uploads=True)
    demo = build_app(_Assistant(list(MINE)), settings, reveal_delay=0)
    library = {"rag-library-list", "rag-library-open", "rag-library-article"}
    assert library <= _refreshed(demo, "rag-remove", "click")
    assert {"rag-articles", "rag-remove-choice"} | library <= _refreshed(demo, "rag-library-remove", "click")
    assert {"rag-articles", "rag-remove-choice"} <= _refreshed(demo, "rag-upload", "upload")
    assert library <= _refreshed(demo, "rag-tab-library", "select"), "shown again, the library is current"
    assert _refreshed(demo, "rag-library-list", "select") == {"rag-library-open"}, "a row opens its article"
