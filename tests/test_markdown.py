"""Markdown articles: titles without their '#', image lines gone, captions, links and emphasis
reduced to their words; bullets, arithmetic and code left alone. The stored text is the
reduced text, and every chunk offset slices it exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest import ingest_paths
from ingest.clean import clean_markdown, markdown_text
from tests.helpers import assert_consistent, open_store
from tests.test_clean import assert_whole_lines

ARTICLE_MD = """\
# Kursk Offensive Stalls as Winter Sets In

![Troops near Kursk](https://example.com/img/kursk.jpg "Kursk")

*Soldiers dig in near Kursk on Monday. Photo: Jane Roe/AP*

By Jane Doe

The **offensive** stalled, the [defence ministry](https://gov.example/a_(b) "source") said on Monday. It was _not_ expected.

**Related:** [Seoul says 300 soldiers died](https://example.com/seoul)

## Background

* first item
* second *item*
- a third one

Troops counted 2 * 3 * 4 = 24 crates, 2*3*4 in the log, and file_name_here stays as `a*b*c`.

#Kursk trended on Monday.
"""

ARTICLE_TEXT = """\
Kursk Offensive Stalls as Winter Sets In

Soldiers dig in near Kursk on Monday. Photo: Jane Roe/AP

By Jane Doe

The offensive stalled, the defence ministry said on Monday. It was not expected.

Background

* first item
* second item
- a third one

Troops counted 2 * 3 * 4 = 24 crates, 2*3*4 in the log, and file_name_here stays as `a*b*c`.

#Kursk trended on Monday.
"""


def test_markdown_article_is_reduced_to_its_words() -> None:
    result = clean_markdown(ARTICLE_MD)
    assert result.title == "Kursk Offensive Stalls as Winter Sets In"
    assert result.text == ARTICLE_TEXT
    assert result.authors == ("Jane Doe",)
    assert result.dropped == (
        '![Troops near Kursk](https://example.com/img/kursk.jpg "Kursk")',
        "Related: Seoul says 300 soldiers died",
    )
    assert_whole_lines(markdown_text(ARTICLE_MD).text, result)


@pytest.mark.parametrize(("raw", "title"), [
    ("# Brexit Day\n\nThe UK left the EU.\n", "Brexit Day"),  # two words: still the title, not debris
    ("## Brexit Day\n\nThe UK left the EU.\n", "Brexit Day"),
    ("# Brexit Day #\n\nThe UK left the EU.\n", "Brexit Day"),  # closing hashes
    ("Brexit Day\n==========\n\nThe UK left the EU.\n", "Brexit Day"),  # Setext
    ("Brexit Day\n----------\n\nThe UK left the EU.\n", "Brexit Day"),
    ("# [Brexit Day](https://example.com)\r\n\r\nThe UK left the EU.\r\n", "Brexit Day"),
])
def test_markdown_title_has_no_markup(raw: str, title: str) -> None:
    result = clean_markdown(raw)
    assert result.title == title
    assert result.text.startswith(title)
    assert "#" not in result.text and "==" not in result.text and "--" not in result.text


def test_markdown_title_is_the_first_level_one_heading() -> None:
    result = clean_markdown("The UK left the EU.\n\n## Brexit *Day*\n\n# The Real Title\n\nBody.\n")
    assert result.title == "The Real Title"
    assert result.text == "The UK left the EU.\n\nBrexit Day\n\nThe Real Title\n\nBody.\n"


@pytest.mark.parametrize("line", [
    "Troops counted 2 * 3 * 4 = 24 crates on Monday.",
    "The log read 2*3*4 and a_b_c on Monday.",
    "Prices rose 5 % * 2 and fell *, a typo in the source.",
    "Use `**kwargs` and `_private` in the code.",
    "#MeToo trended again on Monday.",
    "An escaped \\*star\\* stays a star: *.",
])
def test_markdown_text_leaves_arithmetic_names_and_code_alone(line: str) -> None:
    expected = line.replace("\\*", "*")
    assert markdown_text(line + "\n").text == expected + "\n"


@pytest.mark.parametrize(("line", "words"), [
    ("**Bold** start and *it* here, __strong__ and _em_.", "Bold start and it here, strong and em."),
    ("*A caption line, Photo: AP*", "A caption line, Photo: AP"),
    ("_A caption line, Photo: AP_", "A caption line, Photo: AP"),
    ("See [the report](https://x.org/r?a=1) and [the annex][2].", "See the report and the annex."),
    ("Inline ![chart](c.png) image.", "Inline  image."),
    ("(*quoted*) and \"**said**\"", "(quoted) and \"said\""),
])
def test_markdown_text_unwraps_links_and_emphasis(line: str, words: str) -> None:
    assert markdown_text(line + "\n").text == words + "\n"


def test_markdown_lines_that_are_only_markup_are_dropped_without_leaving_gaps() -> None:
    raw = (
        "# A Title Of Four Words\n\nFirst paragraph.\n\n![a](a.jpg)\n\n"
        "[![b](b.jpg)](https://x.org)\n\n---\n\n[1]: https://x.org\n\nSecond paragraph.\n"
    )
    result = clean_markdown(raw)
    assert result.text == "A Title Of Four Words\n\nFirst paragraph.\n\nSecond paragraph.\n"


def test_markdown_fenced_code_is_left_as_is() -> None:
    raw = "# A Title Of Four Words\n\n```\n# not a heading, **not bold**\n```\n\nBody text.\n"
    assert "# not a heading, **not bold**\n" in markdown_text(raw).text


MD_LINE = st.one_of(
    st.sampled_from(["", "# Head", "## Sub head", "====", "---", "* item", "![a](b)", "*cap*",
                     "[x](y)", "**b** c", "2 * 3", "```", "Related: X", "Body text."]),
    st.text(alphabet=st.sampled_from("ab #*_[]()!`-=\\ \t"), max_size=30),
)


@given(st.lists(st.tuples(MD_LINE, st.sampled_from(["\n", "\r\n", ""])), max_size=12))
def test_markdown_text_keeps_lines_one_to_one(parts: list[tuple[str, str]]) -> None:
    raw = "".join(line + ending for line, ending in parts)
    markup = markdown_text(raw)
    source_lines = raw.splitlines(keepends=True)
    lines = markup.text.splitlines(keepends=True)
    assert len(lines) == len(source_lines)
    for line, source in zip(lines, source_lines):
        assert line[len(line.rstrip("\r\n")):] == source[len(source.rstrip("\r\n")):]
    assert_whole_lines(markup.text, clean_markdown(raw))


def test_ingest__markdown_and_text_articles_are_stored_clean(tmp_path: Path, settings, fake_embedder) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "kursk.md").write_text(ARTICLE_MD, encoding="utf-8")
    body = " ".join(f"Sentence number {n} of the article is here." for n in range(60))
    (folder / "plain.txt").write_text(
        "Markets Rally as Inflation Cools\n\nRelated: Stocks slide again\n\n"
        f"{body}\n\nRead more: Why prices rise\n\nSign up for our newsletter\n\n"
        "Related to the case, the court said it would rule on Monday.\n", encoding="utf-8")

    report = ingest_paths([folder], settings, embedder=fake_embedder)

    assert report.problems == () and len(report.new) == 2
    store = open_store(settings, fake_embedder.name)
    kursk = store.get_document("news/kursk.md")
    assert kursk.title == "Kursk Offensive Stalls as Winter Sets In"
    assert kursk.text == ARTICLE_TEXT
    plain = store.get_document("news/plain.txt")
    assert plain.text == (
        f"Markets Rally as Inflation Cools\n\n{body}\n\n"
        "Related to the case, the court said it would rule on Monday.\n"
    )
    assert_consistent(store)  # every chunk's offsets slice the stored (cleaned) text
