"""ui.render: everything shown is escaped, quotes are highlighted at the right offsets,
refusals and errors look different from answers."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from rag import Answer, Citation, Fact, Passage
from ui import render

ARTICLE = (
    "Headline of the day\n\n"
    + "Filler sentence number one is here. " * 12
    + "The <b>quoted</b> sentence & more. "
    + "Another filler sentence follows it. " * 12
)
START = ARTICLE.index("The <b>quoted</b>")
END = START + len("The <b>quoted</b> sentence & more.")


def _citation(n=1, text=None, start=START, end=END, title="T <i>itle</i>", source="seeds/a.txt"):
    passage = Passage("doc-1::v::00000", "doc-1", title, source, ARTICLE, 0, len(ARTICLE), 0.5)
    return Citation(n, passage, ARTICLE[start:end] if text is None else text, start, end, 0.9)


def _answer(text="The quoted sentence [1].", citations=None, refused=False, passages=()):
    citations = (_citation(),) if citations is None else citations
    return Answer("q", "q", text, refused, () if refused else citations, tuple(passages), "extractive")


def _passage(title, source, doc_id="d"):
    return Passage("c", doc_id, title, source, "text", 0, 4, 0.5)


def test_chat_text__escapes_html_and_markdown():
    shown = render.chat_text('<script>alert(1)</script> *bold* [1] <img src=x onerror="x()">')
    assert "<" not in shown and ">" not in shown
    assert "&lt;script&gt;" in shown and "\\*bold\\*" in shown and "\\[1\\]" in shown


@given(st.text())
def test_chat_text__round_trips_through_plain_text(text):
    assert render.plain_text(render.chat_text(text)) == text


def test_context_window__cuts_at_sentences_around_the_quote():
    before, quote, after = render.context_window(ARTICLE, START, END)
    assert quote == ARTICLE[START:END]
    assert before.startswith("…Filler sentence") and after.endswith("follows it. …")
    assert len(before) <= render.CONTEXT_CHARS + 1 and len(after) <= render.CONTEXT_CHARS + 2


def test_context_window__short_article_is_shown_whole():
    text = "One. Two is the quote. Three."
    before, quote, after = render.context_window(text, 5, 22)
    assert (before, quote, after) == ("One. ", "Two is the quote.", " Three.")


def test_citation_card__highlights_the_exact_span_escaped():
    card = render.citation_card(_citation(), ARTICLE)
    assert "<mark>The &lt;b&gt;quoted&lt;/b&gt; sentence &amp; more.</mark>" in card
    assert "<b>" not in card and "<i>" not in card
    assert "[1]" in card and "T &lt;i&gt;itle&lt;/i&gt;" in card and "seeds/a.txt" in card
    assert "<details" in card and "Show the whole article" in card
    assert card.count("<mark>") == 2  # in the context and in the whole article


def test_citation_card__offsets_that_do_not_match_show_the_quote_alone():
    card = render.citation_card(_citation(text="something else"), ARTICLE)
    assert "<mark>something else</mark>" in card and "<details" not in card


def test_source_line__links_only_http_urls():
    assert '<a href="https://example.com/a?x=1&amp;y=2"' in render.source_line("https://example.com/a?x=1&y=2")
    js = render.source_line("javascript:alert(1)")
    assert "<a " not in js and "<code>javascript:alert(1)</code>" in js
    assert "<a " not in render.source_line('"><script>x</script>')


def test_sources_html__one_card_per_citation():
    second = _citation(n=2, start=0, end=len("Headline of the day"), title="Other")
    html = render.sources_html(_answer(citations=(_citation(), second)), lambda _: ARTICLE)
    assert "Sources (2)" in html and 'id="rag-source-1"' in html and 'id="rag-source-2"' in html


def test_sources_html__a_missing_document_still_shows_the_quote():
    def missing(doc_id):
        raise KeyError(doc_id)

    html = render.sources_html(_answer(), missing)
    assert "<mark>The &lt;b&gt;quoted" in html


def test_refusal__is_labelled_and_lists_what_was_searched_once():
    passages = [_passage("A <title>", "a.txt"), _passage("A <title>", "a.txt"), _passage("B", "https://b.example/x")]
    answer = _answer("The indexed articles don't say.", refused=True, passages=passages)
    assert render.answer_message(answer).startswith(render.REFUSAL_LABEL)
    html = render.sources_html(answer, lambda _: ARTICLE)
    assert "rag-refusal" in html and "No answer" in html and "Searched:" in html
    assert html.count("<li>") == 2 and "A &lt;title&gt;" in html and "<mark>" not in html


def test_error_message__is_readable_and_escaped():
    message = render.error_message(ValueError("bad <input>"))
    assert message.startswith(render.ERROR_LABEL) and "bad &lt;input&gt;" in message
    assert "rag-error" in render.error_html("bad <input>") and "&lt;input&gt;" in render.error_html("bad <input>")


def test_history_for_rag__plain_text_without_labels_placeholders_or_errors():
    history = [
        {"role": "user", "content": render.chat_text("Who is <X>?")},
        {"role": "assistant", "content": render.answer_message(_answer("X is [1]."))},
        {"role": "user", "content": [{"type": "text", "text": "And Y?"}]},
        {"role": "assistant", "content": f"{render.REFUSAL_LABEL} {render.chat_text('No.')}"},
        {"role": "user", "content": "Z?"},
        {"role": "assistant", "content": render.error_message(ValueError("boom"))},
    ]
    assert render.history_for_rag(history) == [
        {"role": "user", "content": "Who is <X>?"},
        {"role": "assistant", "content": "X is [1]."},
        {"role": "user", "content": "And Y?"},
        {"role": "assistant", "content": "No."},
        {"role": "user", "content": "Z?"},
        {"role": "assistant", "content": ""},
    ]


def test_citation_card__the_fact_is_bold_inside_the_quote_escaped():
    fact_start = ARTICLE.index("<b>quoted</b>")
    fact = Fact("<b>quoted</b>", 1, fact_start, fact_start + len("<b>quoted</b>"))
    card = render.citation_card(_citation(), ARTICLE, (fact,))
    assert '<mark>The <strong class="rag-fact">&lt;b&gt;quoted&lt;/b&gt;</strong> sentence &amp; more.</mark>' in card


def test_citation_card__each_fact_of_a_compound_answer_is_bold_in_its_quote():
    first, second = ARTICLE.index("<b>quoted</b>"), ARTICLE.index("sentence &")
    facts = (Fact("<b>quoted</b>", 1, first, first + 13), Fact("sentence", 1, second, second + 8))
    card = render.citation_card(_citation(), ARTICLE, facts)
    assert ('<mark>The <strong class="rag-fact">&lt;b&gt;quoted&lt;/b&gt;</strong> '
            '<strong class="rag-fact">sentence</strong> &amp; more.</mark>') in card


def test_citation_card__a_fact_of_another_citation_or_outside_the_quote_is_ignored():
    fact_start = ARTICLE.index("<b>quoted</b>")
    elsewhere = Fact("Filler", 1, 20, 26)
    other = Fact("<b>quoted</b>", 2, fact_start, fact_start + 13)
    for fact in (elsewhere, other):
        assert "rag-fact" not in render.citation_card(_citation(), ARTICLE, (fact,))


def test_sources_html__a_partial_answer_shows_the_card_of_what_the_articles_report():
    partial = Answer("q", "q", "The articles don't say how many. What they report: The quoted sentence [1].", True,
                     (_citation(),), (), "extractive", partial=True)
    html = render.sources_html(partial, lambda doc_id: ARTICLE)
    assert "rag-card" in html and "<mark>" in html and "Not in the articles" not in html


def test_sources_html__an_llm_answers_supporting_sentence_is_underlined_and_unsupported_ones_listed():
    from rag import Support, Verdict

    sentence = "The <b>quoted</b> sentence & more."
    support = Support(1, "a", START, START + len(sentence), sentence)
    verdicts = (
        Verdict("The quoted sentence.", (1,), True, "supported by [1]", (1,), (support,)),
        Verdict("It cost <b>9</b> euros.", (1,), False, "number '9' is not in [1]"),
    )
    answer = Answer("q", "q", "The quoted sentence [1]. It cost <b>9</b> euros [1].", False, (_citation(),), (),
                    "openai:m", warnings=("unsupported: 'It cost <b>9</b> euros.' (number '9' is not in [1])",),
                    verdicts=verdicts)
    html_out = render.sources_html(answer, lambda doc_id: ARTICLE)
    assert '<u class="rag-support">The &lt;b&gt;quoted&lt;/b&gt; sentence &amp; more.</u>' in html_out
    assert '<div class="rag-unsupported">' in html_out and "It cost &lt;b&gt;9&lt;/b&gt; euros." in html_out
    assert html_out.count("number &#x27;9&#x27; is not in [1]") == 1  # listed once, not again as a note
    message = render.answer_message(answer)
    assert message.index(render.UNSUPPORTED_LABEL) > message.index("euros")
    assert "<b>" not in message


# -- citation chips, the fact in the answer, icons, confidence, the library ------------------


def test_answer_message__checked_citations_become_chips_others_stay_text():
    answer = _answer("Aged 20 and 26 [1]. See also [7] and <a class=\"rag-chip\">[1]</a>.")
    message = render.answer_message(answer)
    chip = render.citation_chip(1)
    assert message.count(chip) == 2, "both [1] markers of the checked citation are chips"
    assert 'href="#rag-source-1"' in chip and 'class="rag-chip"' in chip
    assert "\\[7\\]" in message and "#rag-source-7" not in message, "a number no citation has stays text"
    assert "&lt;a class=\"rag-chip\"&gt;" in message, "model text that looks like a chip is escaped"
    assert render.plain_text(message) == answer.text, "the chat history gets the [n] text back"


def test_answer_message__the_fact_is_highlighted_in_the_answer_escaped():
    text = "The soldiers were <aged> 20 and 26 [1]."
    answer = replace(_answer(text), fact=Fact("<aged> 20 and 26", 1, 0, 16))
    message = render.answer_message(answer)
    assert '<mark class="rag-fact">&lt;aged&gt; 20 and 26</mark>' in message
    assert render.plain_text(message) == text


def test_answer_message__each_fact_is_highlighted_once_clear_of_the_others():
    text = "Kell held 22 and 29 sailors; all 22 and 29 were freed in Kell [1]."
    facts = (Fact("22 and 29", 1, 0, 9), Fact("Kell", 1, 0, 4), Fact("22", 1, 0, 2), Fact("absent", 1, 0, 6))
    message = render.answer_message(replace(_answer(text), facts=facts))
    assert message.count('<mark class="rag-fact">') == 3
    assert message.startswith('<mark class="rag-fact">Kell</mark> held <mark class="rag-fact">22 and 29</mark>')
    assert 'all <mark class="rag-fact">22</mark> and 29' in message  # the first "22" clear of "22 and 29"
    assert render.plain_text(message) == text


def test_labels__use_css_icons_not_emoji():
    for label in (render.REFUSAL_LABEL, render.ERROR_LABEL, render.UNSUPPORTED_LABEL):
        assert 'class="rag-icon' in label
        assert not any(ord(ch) > 0x2000 for ch in label), f"no emoji or symbol that needs a font: {label!r}"


def test_history_for_rag__drops_the_icons_and_chips():
    refused = f"{render.REFUSAL_LABEL} {render.chat_text('No.')}"
    answered = render.answer_message(_answer("X is 5 [1]."))
    history = render.history_for_rag([{"role": "assistant", "content": refused}, {"role": "assistant", "content": answered}])
    assert [m["content"] for m in history] == ["No.", "X is 5 [1]."]


def test_citation_card__has_a_back_button():
    card = render.citation_card(_citation(), ARTICLE)
    assert '<button type="button" class="rag-back"' in card


def test_confidence__a_meter_and_a_word_from_the_evidence_and_what_is_missing():
    from rag import Evidence

    def shown(p, missing=()):
        evidence = Evidence(p, 0.5, 0.5, 0.5, 1.0, missing=missing)
        return render.sources_html(replace(_answer(), evidence=evidence), lambda _: ARTICLE)

    assert 'rag-confidence-high' in shown(0.95) and "width:95%" in shown(0.95)
    assert 'rag-confidence-medium' in shown(0.8) and 'rag-confidence-low' in shown(0.66)
    assert "The article never mentions “&lt;Zorg&gt;”." in shown(0.7, ("<Zorg>",))
    assert "rag-confidence" not in render.sources_html(_answer(), lambda _: ARTICLE), "no evidence, no cue"


def test_library_html__counts_lists_newest_first_and_searches_escaped():
    from rag import DocumentInfo

    docs = [
        DocumentInfo("a", "Old <b>story</b>", "seeds/old.txt", published="2020-01-02"),
        DocumentInfo("b", "New story", "https://www.example.com/x", published="2024-05-06"),
        DocumentInfo("c", "Undated note", "notes.md"),
    ]
    listing = render.library_html(docs)
    assert "3 articles indexed" in listing
    assert listing.index("New story") < listing.index("Old &lt;b&gt;story") < listing.index("Undated note")
    assert "example.com" in listing and "2024-05-06" in listing and "<b>story" not in listing
    found = render.library_html(docs, "story 2020")
    assert "1 match" in found and "Old &lt;b&gt;story" in found and "New story" not in found
    assert "No article matches." in render.library_html(docs, "zzz")


def test_article_html__shows_the_text_escaped():
    from rag import Document, DocumentInfo

    doc = Document("a", "T <i>", "https://news.example.org/a", "Body <script>x</script>")
    shown = render.article_html(doc, DocumentInfo("a", "T <i>", doc.source, published="2024-01-01"))
    assert "Body &lt;script&gt;" in shown and "<script>" not in shown and "T &lt;i&gt;" in shown
    assert "news.example.org" in shown and "2024-01-01" in shown


def test_library_html__each_title_is_a_button_that_names_its_article_escaped():
    from rag import DocumentInfo

    doc = DocumentInfo('x"><img src=x onerror=alert(1)>', "<script>alert(2)</script> & co", "seeds/x.txt")
    listing = render.library_html([doc])
    button = ('<button type="button" class="rag-lib-open" data-doc-id="x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" '
              'title="Read this article">&lt;script&gt;alert(2)&lt;/script&gt; &amp; co</button>')
    assert button in listing
    assert '<tr class="rag-lib-row" data-doc-id="x&quot;&gt;' in listing
    assert "<script>" not in listing and "<img" not in listing
