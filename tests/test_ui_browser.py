"""The chat UI in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
ask, read the answer and its source card, upload an article full of HTML, and check that
none of it runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.ui_helpers import artifacts_dir, running_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
]
SCREENSHOT_COPY = Path("/tmp/ui-screenshot.png")
SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=2">'
GLORPNIK = (
    "Glorpnik museum opens with hostile signs\n\n"
    f"The Glorpnik museum in Ventria displayed two signs, {SCRIPT} and {IMG}, beside its oldest painting.\n\n"
    "Curators said the signs were part of the Glorpnik lantern exhibit.\n"
)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def app(tmp_path_factory, real_embedder):
    from ingest.seeding import add_demo

    with running_app(tmp_path_factory.mktemp("ui-browser") / "index", real_embedder) as running:
        # Asked for, as by `rag demo`: the demo articles stay when a test uploads one of its own.
        add_demo(running["settings"], embedder=real_embedder)
        running["assistant"].refresh()
        yield running


@pytest.fixture(scope="module")
def page(app):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(app["url"])
        page.locator("#rag-question textarea").wait_for(timeout=30_000)
        yield page
        browser.close()


ANSWERED = """n => {
    const bots = document.querySelectorAll('#rag-chat .bot');
    const panel = document.querySelector('#rag-sources').innerText;
    return bots.length > n && !panel.includes('Searching the articles')
        && !bots[bots.length - 1].innerText.includes('Searching the articles');
}"""


def _ask(page, question: str) -> None:
    before = page.locator("#rag-chat .bot").count()
    box = page.locator("#rag-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(ANSWERED, arg=before, timeout=30_000)


def _last_bot_message(page) -> str:
    return page.locator("#rag-chat .bot").last.inner_text()


def test_browser__asks_and_shows_a_highlighted_source_card(page, tmp_path):
    _ask(page, "How old were the captured soldiers?")
    assert "20 and 26" in _last_bot_message(page)
    assert page.locator("#rag-chat .bot").last.locator("a.rag-chip").first.inner_text() == "1"
    card = page.locator("#rag-source-1")
    assert "Ukraine Captures Two North Korean Soldiers" in card.inner_text()
    assert card.locator("mark").first.inner_text().startswith("The soldiers, aged 20 and 26")
    assert page.locator("#rag-source-1 details .rag-article-text").is_hidden(), "whole article is collapsed"
    page.locator("#rag-source-1 details summary").click()
    assert "Kursk" in page.locator("#rag-source-1 details .rag-article-text").inner_text()
    shot = tmp_path / "ui-answer.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, SCREENSHOT_COPY)


def test_browser__refusal_looks_different(page):
    _ask(page, "What is the capital of France?")
    assert "Not in the articles." in _last_bot_message(page)
    assert page.locator("#rag-sources .rag-refusal").is_visible()
    assert "Searched:" in page.locator("#rag-sources").inner_text()


def test_browser__clicking_an_earlier_answer_shows_its_sources_again(page):
    page.locator("#rag-chat .bot").first.click()
    page.locator("#rag-source-1").wait_for(timeout=10_000)
    assert "Ukraine Captures Two North Korean Soldiers" in page.locator("#rag-sources").inner_text()


def test_browser__html_in_articles_answers_and_questions_is_shown_as_text(page, tmp_path):
    article = tmp_path / "glorpnik.txt"
    article.write_text(GLORPNIK, encoding="utf-8")
    page.get_by_text("Add articles").click()
    page.locator("#rag-upload input[type=file]").set_input_files(str(article))
    page.locator("#rag-upload-status").get_by_text("Added 1 article").wait_for(timeout=60_000)
    _ask(page, 'What signs did the Glorpnik museum display? <img src=x onerror="window.__xss=3">')
    page.locator("#rag-source-1 details summary").click()
    page.wait_for_timeout(300)  # give any injected handler the chance to run
    assert page.evaluate("typeof window.__xss") == "undefined"
    answer, sources = _last_bot_message(page), page.locator("#rag-sources").inner_text()
    assert SCRIPT in answer and IMG in answer, "the answer quotes the tags as text"
    assert SCRIPT in sources and IMG in sources, "the source card shows the HTML as text"
    assert 'onerror="window.__xss=3"' in page.locator("#rag-chat .user").last.inner_text()
    assert page.locator("#rag-chat script, #rag-sources script, #rag-chat img[src='x'], #rag-sources img[src='x']").count() == 0
    page.screenshot(path=str(tmp_path / "ui-xss.png"), full_page=True)


def test_browser__an_unsupported_llm_sentence_is_shown_as_unsupported(page, tmp_path_factory, real_embedder):
    """An LLM answer (scripted server over HTTP) with one supported and one invented sentence:
    the chat marks the invented one where it stands, the sources panel names it and why."""
    import rag
    from rag.llm.openai_chat import OpenAIChatModel
    from tests.openai_server import FakeOpenAIServer
    from tests.ui_helpers import clean_environment, free_port
    from ui.app import build_app, launch_app

    question = "How old were the captured soldiers?"
    with FakeOpenAIServer(models=("test-model",)) as server, clean_environment():
        settings = rag.Settings(data_dir=tmp_path_factory.mktemp("ui-verify") / "index")
        model = OpenAIChatModel("sk-test", "test-model", base_url=server.base_url, max_retries=0)
        assistant = rag.Assistant(settings, embedder=real_embedder, chat_model=model)
        assistant.list_documents()
        n = next(i for i, p in enumerate(assistant.retrieve(question), 1) if "aged 20 and 26" in p.text)
        server.enqueue(f"The captured soldiers were aged 20 and 26 [{n}]. Both of them were aged 45 and 61 [{n}].")
        demo = build_app(assistant, settings)
        url, _ = launch_app(demo, host="127.0.0.1", port=free_port())
        # the module's browser (one Playwright per thread), a page of its own on this app
        llm_page = page.context.browser.new_page(viewport={"width": 1440, "height": 1000})
        try:
            llm_page.goto(url)
            llm_page.locator("#rag-question textarea").wait_for(timeout=30_000)
            _ask(llm_page, question)
            message = _last_bot_message(llm_page)
            supported, _, rest = message.partition("aged 20 and 26")
            assert "unsupported" not in supported and "unsupported" not in rest.split("Both of them")[0]
            assert "unsupported" in rest.split("45 and 61")[1]
            flagged = llm_page.locator("#rag-sources .rag-unsupported")
            assert flagged.is_visible() and "Both of them were aged 45 and 61" in flagged.inner_text()
            assert "number '45'" in flagged.inner_text()
        finally:
            llm_page.close()
            demo.close()


IN_VIEW = """el => { const r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= (window.innerHeight || document.documentElement.clientHeight) + 1; }"""
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 1000}


def _click_chip_and_check_its_card(page, n: int = 1) -> None:
    chip = page.locator("#rag-chat .bot").last.locator(f"a.rag-chip[href='#rag-source-{n}']").first
    chip.click()
    card = page.locator(f"#rag-source-{n}")
    page.wait_for_function("n => document.querySelector('#rag-source-' + n)?.classList.contains('rag-active')", arg=n, timeout=5_000)
    classes = card.get_attribute("class") or ""
    assert "rag-active" in classes and "rag-flash" in classes, classes
    assert card.evaluate("el => getComputedStyle(el).outlineStyle") == "solid", "the active card is outlined"
    page.wait_for_function(IN_VIEW, arg=card.element_handle(), timeout=5_000)  # scrolled to it
    assert page.locator(".rag-card.rag-active").count() == 1
    card.locator(".rag-back").click()
    page.wait_for_function(IN_VIEW, arg=chip.element_handle(), timeout=5_000)  # and back


def test_browser__a_citation_chip_scrolls_to_its_card_and_flashes_it(page):
    page.set_viewport_size(DESKTOP)
    _ask(page, "How old were the captured soldiers?")
    _click_chip_and_check_its_card(page)
    assert page.locator("#rag-chat button[aria-label='Clear']").is_hidden(), "one clear button (New chat), not two"
    assert page.locator("#rag-chat .bot").last.locator("mark.rag-fact").inner_text() == "20 and 26", "the fact is highlighted"
    assert "20 and 26" in page.locator("#rag-source-1 .rag-quote strong.rag-fact").inner_text()
    page.screenshot(path=str(artifacts_dir() / "desktop-chat.png"))


def test_browser__an_empty_question_says_why_and_a_long_one_is_counted_not_cut(page):
    page.set_viewport_size(DESKTOP)
    box = page.locator("#rag-question textarea")
    box.fill("")
    box.press("Enter")
    page.get_by_text("Type a question in the box first").first.wait_for(timeout=10_000)
    box.fill("x" * 5000)
    assert len(box.input_value()) == 5000, "a long paste is not cut"
    counter = page.locator("#rag-counter")
    counter.get_by_text("too long").wait_for(timeout=5_000)
    assert "5,000 / 2,000" in counter.inner_text()
    box.fill("")


def test_browser__icons_are_css_shapes_that_render_without_an_emoji_font(page):
    _ask(page, "What is the capital of France?")
    icon = page.locator("#rag-chat .bot").last.locator(".rag-icon-refusal")
    box = icon.bounding_box()
    assert box is not None and box["width"] > 8 and box["height"] > 8
    assert icon.evaluate("el => getComputedStyle(el).borderTopStyle") == "solid"


def test_browser__the_library_counts_searches_and_opens_articles(page, app):
    page.set_viewport_size(DESKTOP)
    total = len(app["assistant"].list_documents())
    page.get_by_role("tab", name="Library").click()
    listing = page.locator("#rag-library-list")
    listing.get_by_text(f"{total} articles indexed").wait_for(timeout=10_000)
    assert listing.locator("tbody tr").count() == total
    page.locator("#rag-library-search textarea, #rag-library-search input").first.fill("captures")
    listing.get_by_text("1 match").wait_for(timeout=10_000)
    assert "Ukraine Captures Two North Korean Soldiers" in listing.inner_text()
    opener = page.locator("#rag-library-open input")
    opener.click()
    page.get_by_role("option", name="Ukraine Captures").first.click()
    reader = page.locator("#rag-library-article")
    reader.get_by_text("Kursk").first.wait_for(timeout=10_000)
    assert "Ukraine Captures Two North Korean Soldiers" in reader.locator(".rag-reader-title").inner_text()
    page.screenshot(path=str(artifacts_dir() / "desktop-library.png"))
    page.get_by_role("tab", name="Ask").click()


def test_browser__a_click_on_a_library_row_or_enter_on_its_title_opens_the_article(page):
    page.set_viewport_size(DESKTOP)
    page.get_by_role("tab", name="Library").click()
    listing, reader = page.locator("#rag-library-list"), page.locator("#rag-library-article")
    page.locator("#rag-library-search textarea, #rag-library-search input").first.fill("captures")
    listing.get_by_text("1 match").wait_for(timeout=10_000)  # rows of a new listing open too
    listing.locator("tr.rag-lib-row td.rag-lib-date").first.click()  # anywhere on the row
    reader.get_by_text("Kursk").first.wait_for(timeout=10_000)
    assert "Ukraine Captures Two North Korean Soldiers" in reader.locator(".rag-reader-title").inner_text()
    assert "Ukraine Captures" in page.locator("#rag-library-open input").input_value(), "the opener names it too"
    page.locator("#rag-library-search textarea, #rag-library-search input").first.fill("")
    title = listing.get_by_role("button", name="North Korea confirms sending troops")
    title.focus()
    title.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#rag-library-article .rag-reader-title')?.innerText.startsWith('North Korea confirms')",
        timeout=10_000,
    )
    page.get_by_role("tab", name="Ask").click()


def test_browser__phone_width_chips_still_reach_their_card(page):
    phone = page.context.browser.new_page(viewport=PHONE)
    try:
        phone.goto(page.url)
        phone.locator("#rag-question textarea").wait_for(timeout=30_000)
        _ask(phone, "How old were the captured soldiers?")
        chat, sources = phone.locator("#rag-chat").bounding_box(), phone.locator("#rag-sources").bounding_box()
        assert chat and sources and sources["y"] >= chat["y"] + chat["height"] - 1, "sources are below the chat"
        assert "on the right" not in phone.locator("body").inner_text()
        _click_chip_and_check_its_card(phone)
        phone.screenshot(path=str(artifacts_dir() / "phone-chat.png"), full_page=True)
    finally:
        phone.close()
