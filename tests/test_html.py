"""Tests for ingest.html.extract_html: visible text, metadata, hostile input."""

from __future__ import annotations

import time

import pytest
from lxml import etree

from ingest.html import HtmlArticle, extract_html, visible_blocks

NEWS_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Rivers rise after storm | The Daily Planet</title>
  <meta property="og:title" content="Rivers rise after record storm">
  <meta property="og:url" content="https://example.com/og-url">
  <meta name="author" content="Jane Doe">
  <meta property="article:author" content="https://facebook.com/janedoe">
  <link rel="canonical" href="https://example.com/news/rivers-rise">
  <style>.ad { color: red } p::before { content: "styled" }</style>
  <script type="application/ld+json">
  {"@context": "https://schema.org", "@type": "NewsArticle",
   "headline": "Rivers rise after record storm",
   "author": [{"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "Omar Haddad"}],
   "datePublished": "2024-10-23T08:15:00+02:00"}
  </script>
</head>
<body class="article-page comments-open">
  <div id="cookie-banner">We use cookies. <button>Accept</button></div>
  <header class="site-header">
    <a href="/" class="logo">The Daily Planet</a>
    <nav><ul class="menu">
      <li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li>
    </ul></nav>
  </header>
  <div class="header-image"><img src="storm.jpg" alt="Alt text is not visible"></div>
  <main>
    <article class="story">
      <h1>Rivers rise after record storm</h1>
      <p class="byline">By <a rel="author" href="/staff/jane">Jane Doe</a> and Omar Haddad</p>
      <time datetime="2024-10-23T08:15:00+02:00">23 October 2024</time>
      <p>Heavy rain caused the <a href="/rivers">River Thames</a> to rise
         by <em>two metres</em> overnight, officials said.</p>
      <script>document.write("<p>evil</p>");</script>
      <div class="share-buttons"><a href="#">Share on X</a><button>Copy link</button></div>
      <figure>
        <img src="river.jpg" alt="A flooded street" onerror="alert(1)">
        <figcaption>Flooded streets in Reading &amp; Oxford.</figcaption>
      </figure>
      <p>&#8220;It&#8217;s the worst since&nbsp;1947,&#8221; said a spokesperson.</p>
      <div class="ad-slot">Buy now!</div>
      <h2>What happens next</h2>
      <ul>
        <li>Sandbags are being handed out.</li>
        <li>Schools are <strong>closed</strong> on Thursday.</li>
      </ul>
      <div class="loaded">Residents were told to stay indoors.</div>
      <aside><h3>Related</h3><a href="/x">Earlier storm coverage</a></aside>
    </article>
  </main>
  <section class="newsletter-signup"><p>Subscribe to our newsletter</p></section>
  <footer><p>&copy; 2024 The Daily Planet</p></footer>
</body>
</html>
"""

EXPECTED_TEXT = """\
Rivers rise after record storm

By Jane Doe and Omar Haddad

23 October 2024

Heavy rain caused the River Thames to rise by two metres overnight, officials said.

Flooded streets in Reading & Oxford.

\u201cIt\u2019s the worst since 1947,\u201d said a spokesperson.

What happens next

Sandbags are being handed out.

Schools are closed on Thursday.

Residents were told to stay indoors."""

BOILERPLATE_WORDS = [
    "evil", "document.write", "styled", "color: red", "World", "Sport", "Daily Planet",
    "cookies", "Accept", "Share on X", "Copy link", "Buy now", "Related",
    "Earlier storm", "newsletter", "alert", "Alt text", "A flooded street", "@context",
]


def test_news_page_text_is_exactly_the_article() -> None:
    assert extract_html(NEWS_PAGE).text == EXPECTED_TEXT


def test_news_page_metadata() -> None:
    article = extract_html(NEWS_PAGE)
    assert article.title == "Rivers rise after record storm"
    assert article.authors == ("Jane Doe", "Omar Haddad")  # profile URL dropped
    assert article.published == "2024-10-23"
    assert article.url == "https://example.com/news/rivers-rise"


@pytest.mark.parametrize("word", BOILERPLATE_WORDS)
def test_news_page_has_no_boilerplate(word: str) -> None:
    assert word not in extract_html(NEWS_PAGE).text


def test_text_format_has_no_stray_whitespace() -> None:
    text = extract_html(NEWS_PAGE).text
    assert "\n\n\n" not in text and text == text.strip()
    assert all(line == line.strip() and "  " not in line for line in text.split("\n"))


def test_entities_are_decoded() -> None:
    page = "<p>Fish &amp; chips&nbsp;cost &pound;5 &#8212; it&#8217;s &lt;cheap&gt;</p>"
    assert extract_html(page).text == "Fish & chips cost \u00a35 \u2014 it\u2019s <cheap>"


def test_pre_keeps_lines_and_br_breaks_lines() -> None:
    page = (
        "<body><p>Intro  text</p><pre>def f():\n    return  1\n</pre>"
        "<p>Line one<br>Line   two</p></body>"
    )
    assert extract_html(page).text == (
        "Intro text\n\ndef f():\n    return  1\n\nLine one\nLine two"
    )


def test_inline_elements_stay_on_one_line_blocks_split() -> None:
    page = (
        "<body><div>Alpha <b>beta</b><i>gamma</i><div>Delta</div>epsilon</div>"
        "<table><tr><td>Cell 1</td><td>Cell <span>2</span></td></tr></table>"
        "<dl><dt>Term</dt><dd>Definition</dd></dl></body>"
    )
    assert extract_html(page).text.split("\n\n") == [
        "Alpha betagamma", "Delta", "epsilon", "Cell 1", "Cell 2", "Term", "Definition",
    ]


def test_skipped_inline_element_keeps_surrounding_text_together() -> None:
    page = "<body><p>Before <span hidden>secret</span><button>x</button> after</p></body>"
    assert extract_html(page).text == "Before after"


@pytest.mark.parametrize("hider", [
    'hidden', 'aria-hidden="true"', 'style="color:red; display : none"',
    'class="sidebar"', 'id="comments"', 'class="socialLinks"', 'class="ad"', 'id="ad-top"',
])
def test_hidden_and_boilerplate_elements_are_skipped(hider: str) -> None:
    page = f"<body><p>Kept</p><div {hider}><p>Dropped</p></div></body>"
    assert extract_html(page).text == "Kept"


@pytest.mark.parametrize("cls", ["header-image", "loaded", "download", "shadow", "menuetto"])
def test_boilerplate_tokens_match_whole_words_only(cls: str) -> None:
    page = f'<body><div class="{cls}">Kept</div></body>'
    assert extract_html(page).text == "Kept"


def test_scripts_and_event_handlers_never_leak() -> None:
    page = (
        '<body><p>Safe<img src="x" onerror="alert(1)"></p>'
        "<script>alert(1)</script><script>var s = '</p><p>leak';</script>"
        "<noscript>Enable JS</noscript><!-- comment text --><?php echo 'pi'; ?></body>"
    )
    text = extract_html(page).text
    assert text == "Safe"
    for word in ("alert", "leak", "Enable JS", "comment", "pi"):
        assert word not in text


def test_falls_back_to_main_then_role_main_then_body() -> None:
    main = "<body><div>Chrome</div><main><p>Main text</p></main></body>"
    role = '<body><div>Chrome</div><div role="main"><p>Role text</p></div></body>'
    body = "<body><div>Only body</div></body>"
    assert extract_html(main).text == "Main text"
    assert extract_html(role).text == "Role text"
    assert extract_html(body).text == "Only body"


def test_longest_article_wins() -> None:
    page = (
        "<body><article><p>Short teaser</p></article>"
        "<article><p>The real story, which is much longer than the teaser.</p></article></body>"
    )
    assert extract_html(page).text == "The real story, which is much longer than the teaser."


def test_headline_outside_article_is_prepended_once() -> None:
    page = "<body><div><h1>Big  headline</h1></div><article><p>Story body.</p></article></body>"
    article = extract_html(page)
    assert article.title == "Big headline"
    assert article.text == "Big headline\n\nStory body."


def test_page_title_suffix_is_stripped_and_not_prepended() -> None:
    page = "<html><head><title>Storm news | The Site</title></head><body><p>Body.</p></body></html>"
    article = extract_html(page)
    assert article.title == "Storm news"
    assert article.text == "Body."


def test_metadata_fallbacks() -> None:
    page = """<html><head><meta property="og:url" content="https://e.com/a">
      <meta name="date" content="March 5, 2023"></head>
      <body><script type="application/ld+json">{"@graph": [{"author": "Ann Lee"}]}</script>
      <script type="application/ld+json">{broken json</script><p>Text</p></body></html>"""
    article = extract_html(page)
    assert article.url == "https://e.com/a"
    assert article.published == "2023-03-05"
    assert article.authors == ("Ann Lee",)
    assert article.title is None


def test_incomplete_dates_are_not_invented() -> None:
    page = '<head><meta name="date" content="2023"></head><body><p>Text</p></body>'
    assert extract_html(page).published is None


@pytest.mark.parametrize("raw", ["", "   \n\t ", "<!-- only a comment -->", "<html></html>",
                                 "<head><title>T</title></head>"])
def test_empty_documents_give_empty_text(raw: str) -> None:
    assert extract_html(raw).text == ""


def test_only_boilerplate_gives_empty_text() -> None:
    page = """<html><head><meta property="og:title" content="Home"></head><body>
      <header><nav><a href="/">Home</a></nav></header><div class="cookie-notice">Cookies</div>
      <aside>Trending</aside><footer>(c) Site</footer><script>var x = 1;</script></body></html>"""
    assert extract_html(page).text == ""


def test_broken_markup_is_tolerated() -> None:
    page = "<body><p>One <b>two</i> three<p>Four</div></span>"
    assert extract_html(page).text == "One two three\n\nFour"


def test_non_string_input_raises_value_error() -> None:
    with pytest.raises(ValueError, match="expects str"):
        extract_html(b"<p>bytes</p>")  # type: ignore[arg-type]


def test_result_is_frozen() -> None:
    with pytest.raises(AttributeError):
        extract_html("<p>x</p>").text = "y"  # type: ignore[misc]
    assert isinstance(extract_html("<p>x</p>"), HtmlArticle)


def test_deeply_nested_html_fails_cleanly_and_quickly() -> None:
    depth = 100_000
    page = "<body><p>before</p>" + "<div>" * depth + "deep" + "</div>" * depth + "</body>"
    start = time.monotonic()
    # The parser stops at its own depth limit and would drop the rest of the
    # page, so we expect a clear ValueError rather than truncated text.
    with pytest.raises(ValueError, match="parser limits"):
        extract_html(page)
    assert time.monotonic() - start < 10


def test_deeply_nested_html_under_parser_limit_is_extracted() -> None:
    page = "<body>" + "<div>" * 2000 + "deep" + "</div>" * 2000 + "<p>after</p></body>"
    assert extract_html(page).text == "deep\n\nafter"


def test_walker_is_iterative_on_100k_levels() -> None:
    # Built by hand: the parser caps depth, but the walker must not rely on that.
    root = etree.Element("body")
    chain = [root]  # keep proxies alive; lxml frees detached chains slowly
    for _ in range(100_000):
        chain.append(etree.SubElement(chain[-1], "span"))
    chain[-1].text = "deep"
    chain[50_000].tail = "tail"
    start = time.monotonic()
    assert visible_blocks(root) == ["deeptail"]
    assert time.monotonic() - start < 10


def test_deeply_nested_json_ld_is_ignored() -> None:
    page = ('<body><script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000
            + "</script><p>Text</p></body>")
    assert extract_html(page).text == "Text"
