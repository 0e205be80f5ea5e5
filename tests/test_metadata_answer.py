"""Questions about an article itself (author, date, outlet) are answered from its metadata,
citing the exact line of its text that states the fact; content questions are left alone."""

from __future__ import annotations

import pytest

from rag.answer.metadata_answer import MetadataFact, human_date, metadata_draft, metadata_fact, metadata_question
from rag.types import Document, Passage

WILDFIRE = (
    "Wildfire forces thousands to flee hillside towns\n"
    "\n"
    "Crews battle the blaze through a second night.\n"
    "\n"
    "By Jane Doe and Bob Roe\n"
    "Published June 11, 2025\n"
    "\n"
    "SANTA ROSA, Calif. — The fire crossed the ridge on Tuesday, officials said.\n"
    "Residents were told to leave by 6 p.m.\n"
)
SOLDIERS = (
    "Ukraine captures two soldiers near Kursk\n"
    "\n"
    "KYIV, Ukraine, January 12, 2025 (AP) — Ukrainian forces captured two soldiers, the president said.\n"
    "He wrote on Telegram that both were wounded.\n"
)
NO_BYLINE = "Storm closes harbor\n\nThe harbor closed on Monday after a storm, the port said.\n"


def _doc(text: str, doc_id: str = "wildfire.txt", title: str = "Wildfire forces thousands to flee hillside towns",
         source: str = "news/wildfire.txt", **metadata: str) -> Document:
    return Document(doc_id, title, source, text, dict(metadata))


WILDFIRE_DOC = _doc(WILDFIRE, authors="Jane Doe; Bob Roe", published="2025-06-11")
SOLDIERS_DOC = _doc(SOLDIERS, "soldiers.txt", "Ukraine captures two soldiers near Kursk", "soldiers.txt",
                    authors="Ann Lee", published="2025-01-12")


def _passage(document: Document, score: float = 0.9) -> Passage:
    end = len(document.text)
    return Passage(f"{document.doc_id}#0", document.doc_id, document.title, document.source, document.text, 0, end, score)


AUTHOR_QUESTIONS = [
    "Who wrote the report about the captured soldiers?",
    "Who is the author of the article on the wildfire?",
    "Whose byline is on the story?",
    "Who wrote this?",
    "who wrote it",
    "Who are the authors of this article?",
    "Which journalist wrote the story about the fire?",
    "Who reported the North Korea story?",
    "Who was the article about the soldiers written by?",
    "By whom was this piece written?",
    "What is the name of the reporter?",
    "Who is the article's author?",
    "Who actually wrote the news report?",
    "Who wrote about the wildfire?",
    "Who wrote the article and when was it published?",  # the first fact asked wins
    "Who wrote the Ukraine Captures Two North Korean Soldiers article?",  # named by its title
    "Who wrote the “North Korea confirms sending troops to Russia” story?",
]
PUBLISHED_QUESTIONS = [
    "When was the article about the wildfire published?",
    "When was this written?",
    "What date was this article published?",
    "What is the publication date of the story?",
    "When did the story come out?",
    "On what day was the report posted?",
    "How old is this article?",
    "What's the article’s date?",
    "When was the Kursk story published and who wrote it?",
    "When was the Wildfire Sweeps Through Hills Above Harbor Town article published?",
]
OUTLET_QUESTIONS = [
    "Which newspaper published the story on the wildfire?",
    "Which outlet ran this article?",
    "What publication is this article from?",
    "Which site published the report about the soldiers?",
    "Which news agency wrote the story?",
    "Where was this article published?",
    "Who published this article?",
    "Which network published the story?",
    "Who is the publisher of the article?",
]
CONTENT_QUESTIONS = [
    "Who wrote the agreement between Russia and North Korea?",  # a document in the news, not the article
    "When did the soldiers arrive?",
    "Who published the video?",  # decided: a video is content
    "Which newspaper did Zelensky speak to?",
    "When was the agreement signed?",
    "Who wrote the intelligence report on the casualties?",  # "report" only right after its determiner
    "When was the statement published in Rodong Sinmun?",
    "Which newspaper published the front-page statement?",
    "What did the author of the article say about drones?",
    "Who reported that 300 North Korean soldiers had been killed?",
    "Where was the story written?",  # a place, not an outlet
    "Who is the author of the peace plan?",
    "When was the video posted on Telegram?",
    "Who wrote this agreement?",
    "What is the date of the agreement?",
    "Who wrote the letter in the article?",
    "Who told the story of the captured soldiers?",
    "How many soldiers did the report say were killed?",
    "Who covered the costs of the deployment?",
    "Who reported it?",  # "it" is the article only with wrote/authored/penned
    "Who wrote the piece of legislation?",
    "Which newspaper did the article mention on Monday?",
    "When was the NIS report released?",
    "Who wrote the Minsk Agreement?",
    "Who published the Kim Jong Un video?",
]


@pytest.mark.parametrize("question", AUTHOR_QUESTIONS)
def test_metadata_question__author(question):
    assert metadata_question(question) == "author"


@pytest.mark.parametrize("question", PUBLISHED_QUESTIONS)
def test_metadata_question__published(question):
    assert metadata_question(question) == "published"


@pytest.mark.parametrize("question", OUTLET_QUESTIONS)
def test_metadata_question__outlet(question):
    assert metadata_question(question) == "outlet"


@pytest.mark.parametrize("question", CONTENT_QUESTIONS)
def test_metadata_question__content_questions_are_not_metadata(question):
    assert metadata_question(question) is None


def test_metadata_fact__two_authors_cite_the_byline_exactly():
    fact = metadata_fact("author", WILDFIRE_DOC)
    assert fact is not None and fact.value == "Jane Doe and Bob Roe"
    assert fact.start is not None and WILDFIRE[fact.start:fact.end] == "By Jane Doe and Bob Roe"


def test_metadata_fact__three_authors_and_an_upper_case_byline():
    document = _doc("Title of the story\n  BY ANN LEE, BO KIM AND CY PARK  \nBody text here.\n",
                    authors="Ann Lee; Bo Kim; Cy Park")
    fact = metadata_fact("author", document)
    assert fact == MetadataFact("author", "Ann Lee, Bo Kim and Cy Park", fact.start, fact.end)
    assert document.text[fact.start:fact.end] == "BY ANN LEE, BO KIM AND CY PARK"


def test_metadata_fact__author_without_a_byline_comes_from_metadata_alone():
    assert metadata_fact("author", _doc(NO_BYLINE, authors="Sam Poe")) == MetadataFact("author", "Sam Poe")


def test_metadata_fact__published_renders_the_iso_date_and_cites_the_date_line():
    fact = metadata_fact("published", WILDFIRE_DOC)
    assert fact is not None and fact.value == "June 11, 2025"
    assert WILDFIRE[fact.start:fact.end] == "Published June 11, 2025"


def test_metadata_fact__published_date_in_a_dateline_cites_its_head():
    fact = metadata_fact("published", SOLDIERS_DOC)
    assert fact is not None and fact.value == "January 12, 2025"
    assert SOLDIERS[fact.start:fact.end] == "KYIV, Ukraine, January 12, 2025 (AP)"


def test_metadata_fact__a_different_date_in_the_text_is_not_cited():
    fact = metadata_fact("published", _doc(WILDFIRE, published="2025-06-12"))
    assert fact == MetadataFact("published", "June 12, 2025")


@pytest.mark.parametrize("iso, human", [("2025-06-11", "June 11, 2025"), ("2024-02-29", "February 29, 2024"),
                                        ("2025-13-01", "2025-13-01")])
def test_human_date(iso, human):
    assert human_date(iso) == human


@pytest.mark.parametrize("text", ["May 2025\n\nFire crews worked through the night.",
                                  "Fire crews worked through the night."])
def test_metadata_fact__a_first_of_the_month_no_line_states_is_shown_as_its_month(text):
    # "May 2025" is stored as 2025-05-01 (month precision): the answer must not invent the day.
    fact = metadata_fact("published", _doc(text, published="2025-05-01"))
    assert (fact.value, fact.start) == ("May 2025", None)


def test_metadata_fact__a_first_of_the_month_the_text_states_keeps_its_day():
    fact = metadata_fact("published", _doc("May 1, 2025\n\nFire crews worked through the night.",
                                           published="2025-05-01"))
    assert (fact.value, fact.start) == ("May 1, 2025", 0)


def test_metadata_fact__outlet_from_an_ap_dateline():
    fact = metadata_fact("outlet", SOLDIERS_DOC)
    assert fact is not None and fact.value == "The Associated Press"
    assert SOLDIERS[fact.start:fact.end] == "KYIV, Ukraine, January 12, 2025 (AP)"


def test_metadata_fact__outlet_from_a_copyright_line():
    text = NO_BYLINE + "\n© 2025 Harbor Gazette. All rights reserved.\n"
    fact = metadata_fact("outlet", _doc(text))
    assert fact is not None and fact.value == "Harbor Gazette"
    assert text[fact.start:fact.end] == "© 2025 Harbor Gazette. All rights reserved."


def test_metadata_fact__prose_about_copyright_is_no_outlet():
    assert metadata_fact("outlet", _doc("Storm closes harbor\nCopyright laws were changed in 2024.\n")) is None


def test_metadata_fact__outlet_from_a_byline_credit():
    text = "Storm closes harbor\nBy Sam Poe for The Harbor Gazette\nBy Tuesday, crews had worked for three days.\n"
    fact = metadata_fact("outlet", _doc(text, authors="Sam Poe"))
    assert fact is not None and fact.value == "The Harbor Gazette"
    assert text[fact.start:fact.end] == "By Sam Poe for The Harbor Gazette"


@pytest.mark.parametrize("line", ["By Tuesday, crews had worked for three days.", "(c) reduce harbor fees",
                                  "By Sam Poe | Staff writer", "By Sam Poe | June 11, 2025"])
def test_metadata_fact__prose_and_roles_are_no_outlet(line):
    assert metadata_fact("outlet", _doc(f"Storm closes harbor\n{line}\n")) is None


def test_metadata_fact__outlet_from_source_name_or_url_but_not_a_file_path():
    assert metadata_fact("outlet", _doc(NO_BYLINE, source="Reuters")) == MetadataFact("outlet", "Reuters")
    assert metadata_fact("outlet", _doc(NO_BYLINE, source="https://www.apnews.com/a/1")) == MetadataFact("outlet", "apnews.com")
    assert metadata_fact("outlet", _doc(NO_BYLINE, source="harbor.txt")) is None
    assert metadata_fact("outlet", _doc(NO_BYLINE, source="uploads/harbor.jsonl#L3")) is None


def test_metadata_draft__cites_the_byline():
    draft = metadata_draft("Who wrote the article about the wildfire?", [_passage(WILDFIRE_DOC)], {"wildfire.txt": WILDFIRE_DOC}.__getitem__)
    assert draft is not None and not draft.refused
    assert draft.text == "The article “Wildfire forces thousands to flee hillside towns” was written by Jane Doe and Bob Roe [1]."
    (citation,) = draft.citations
    assert (citation.n, citation.doc_id, citation.score) == (1, "wildfire.txt", 0.9)
    assert citation.text == WILDFIRE[citation.start:citation.end] == "By Jane Doe and Bob Roe"


def test_metadata_draft__uses_the_best_passage_document():
    documents = {d.doc_id: d for d in (WILDFIRE_DOC, SOLDIERS_DOC)}
    passages = [_passage(SOLDIERS_DOC, 0.8), _passage(WILDFIRE_DOC, 0.5)]
    draft = metadata_draft("Which agency published the report about the captured soldiers?", passages, documents.__getitem__)
    assert draft is not None and "was published by The Associated Press [1]." in draft.text
    assert draft.citations[0].doc_id == "soldiers.txt"


def test_metadata_draft__the_article_whose_title_the_question_gives():
    documents = {d.doc_id: d for d in (WILDFIRE_DOC, SOLDIERS_DOC)}
    passages = [_passage(WILDFIRE_DOC, 0.9), _passage(SOLDIERS_DOC, 0.5)]
    for question in ("Who wrote the “Ukraine captures two soldiers near Kursk” article?",
                     "Who wrote the Ukraine Captures Two Soldiers Near Kursk story?"):
        draft = metadata_draft(question, passages, documents.__getitem__)
        assert draft is not None and draft.text.startswith("The article “Ukraine captures two soldiers near Kursk”")
        assert "Ann Lee" in draft.text, question
    draft = metadata_draft("Who wrote the Harbor Fire article?", passages, documents.__getitem__)
    assert draft is not None and "Jane Doe" in draft.text  # no title given: the best passage's


def test_who_is_an_author_the_articles_name_only_in_the_byline():
    documents = {d.doc_id: d for d in (WILDFIRE_DOC, SOLDIERS_DOC)}
    passages = [_passage(SOLDIERS_DOC, 0.9), _passage(WILDFIRE_DOC, 0.5)]
    for question, name in (("Who is Jane Doe?", "Jane Doe"), ("Who is Roe?", "Roe")):
        draft = metadata_draft(question, passages, documents.__getitem__)
        assert draft is not None and not draft.refused
        assert draft.text == (f"{name} wrote the article “Wildfire forces thousands to flee hillside towns” [1], "
                              f"which says nothing else about {name}.")
        assert draft.citations[0].text == "By Jane Doe and Bob Roe" and draft.citations[0].doc_id == "wildfire.txt"
    # someone the text itself names (what it says is the answer), or who wrote nothing here
    named = _doc(WILDFIRE + "Jane Doe, who grew up nearby, saw the flames.\n", authors="Jane Doe; Bob Roe")
    assert metadata_draft("Who is Jane Doe?", [_passage(named)], {"wildfire.txt": named}.__getitem__) is None
    assert metadata_draft("Who is Mick Ryan?", passages, documents.__getitem__) is None
    # no byline in the text: from the stored metadata, said so, nothing cited
    unsigned = _doc(NO_BYLINE, "storm.txt", "Storm closes harbor", "storm.txt", authors="Jane Doe")
    draft = metadata_draft("Who is Jane Doe?", [_passage(unsigned)], {"storm.txt": unsigned}.__getitem__)
    assert draft is not None and draft.citations == () and "no byline in its text" in draft.text
    assert draft.warnings and "stored metadata" in draft.warnings[0]
    assert metadata_draft("Who is the author of the article on the wildfire?", passages, documents.__getitem__) is not None


def test_metadata_draft__date_answer():
    draft = metadata_draft("When was this article published?", [_passage(WILDFIRE_DOC)], lambda _: WILDFIRE_DOC)
    assert draft is not None and draft.text.endswith("was published on June 11, 2025 [1].")
    assert draft.citations[0].text == "Published June 11, 2025"


def test_metadata_draft__metadata_only_fact_has_no_citation_and_a_warning():
    document = _doc(NO_BYLINE, "storm.txt", "Storm closes harbor", authors="Sam Poe")
    draft = metadata_draft("Who wrote this?", [_passage(document)], lambda _: document)
    assert draft is not None and not draft.refused and draft.citations == ()
    assert draft.text == ("The article “Storm closes harbor” lists Sam Poe as its author "
                          "(from the article's metadata; no byline in its text).")
    assert "metadata" in draft.warnings[0]


@pytest.mark.parametrize("question, reason", [
    ("Who wrote this?", "the article does not give its author"),
    ("When was this article published?", "the article does not give its publication date"),
    ("Which outlet ran this story?", "the article does not give its outlet"),
])
def test_metadata_draft__refuses_when_the_fact_is_unknown(question, reason):
    document = _doc(NO_BYLINE, "storm.txt", "Storm closes harbor", "storm.txt")
    draft = metadata_draft(question, [_passage(document)], lambda _: document)
    assert draft is not None and draft.refused and draft.citations == ()
    assert draft.reason == reason


def test_metadata_draft__no_passages_is_a_refusal():
    draft = metadata_draft("Who wrote this?", [], lambda _: WILDFIRE_DOC)
    assert draft is not None and draft.refused


def test_metadata_draft__content_questions_return_none():
    def never(_: str) -> Document:
        raise AssertionError("a content question must not look up documents")

    assert metadata_draft("When did the fire cross the ridge?", [_passage(WILDFIRE_DOC)], never) is None
