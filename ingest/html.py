"""Extract the visible article text and metadata of a news web page.

The tree is walked with `lxml.etree.iterwalk`, never recursively, so pathological
nesting cannot raise RecursionError.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator

import lxml.html
from lxml import etree

from ingest.dates import iso_date
from rag.errors import InvalidInputError

SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "object",
    "embed", "form", "button", "select", "input", "textarea", "nav", "header",
    "footer", "aside", "menu", "head", "title", "meta", "link",
})
BLOCK_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
    "blockquote", "pre", "div", "section", "article", "main", "figure", "figcaption",
    "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "address",
    "hr", "details", "summary", "fieldset", "legend", "center", "hgroup", "body",
})
BOILERPLATE_TOKENS = frozenset({
    "nav", "navbar", "navigation", "menu", "footer", "sidebar", "related", "share",
    "sharing", "social", "comment", "advert", "advertisement", "ad", "ads", "promo",
    "newsletter", "cookie", "subscribe", "subscription", "breadcrumb", "sponsored",
})
# Content containers often carry modifier classes such as "has-comments";
# dropping them on that basis would throw away the whole article.
TOKEN_FILTER_EXEMPT = frozenset({"html", "body", "main", "article"})
TITLE_SEPARATORS = re.compile(r"\s+(?:\||–|—|·|::)\s+[^|–—·]*$")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.IGNORECASE)
Elements = list[etree._Element]
Meta = dict[str, list[str]]


@dataclass(frozen=True)
class HtmlArticle:
    """Visible article text (blocks separated by blank lines) and page metadata."""

    text: str
    title: str | None
    authors: tuple[str, ...]
    published: str | None
    url: str | None


def _squash(value: str | None) -> str:
    return _SPACES.sub(" ", value or "").strip()


def _has_boilerplate_token(value: str) -> bool:
    """True if a class/id has a boilerplate word, matched on word boundaries."""
    tokens = _NON_ALNUM.split(_CAMEL.sub(r"\1 \2", value).lower())
    return any(t in BOILERPLATE_TOKENS or t.rstrip("s") in BOILERPLATE_TOKENS for t in tokens)


def _is_skipped(el: etree._Element) -> bool:
    """True for elements whose whole subtree is invisible or boilerplate."""
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions, entities
        return True
    tag = tag.lower()
    if tag in SKIP_TAGS or "hidden" in el.attrib or _DISPLAY_NONE.search(el.get("style", "")):
        return True
    if el.get("aria-hidden", "").strip().lower() == "true":
        return True
    if tag in TOKEN_FILTER_EXEMPT:
        return False
    return _has_boilerplate_token(el.get("class", "") + " " + el.get("id", ""))


class _Blocks:
    """Accumulates text pieces into lines, lines into blocks."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self._lines: list[list[str]] = [[]]

    def add(self, text: str | None) -> None:
        if text:
            self._lines[-1].append(text)

    def line_break(self) -> None:
        self._lines.append([])

    def flush(self, keep_lines: bool) -> None:
        """Close the current block; `keep_lines` preserves <pre> layout."""
        lines = ["".join(pieces) for pieces in self._lines]
        self._lines = [[]]
        if keep_lines:
            block = "\n".join(line.rstrip() for line in "\n".join(lines).splitlines()).strip("\n")
        else:
            block = "\n".join(s for s in (_squash(line) for line in lines) if s)
        if block.strip():
            self.blocks.append(block)


def visible_blocks(container: etree._Element) -> list[str]:
    """Visible text blocks under `container`, walked iteratively."""
    out = _Blocks()
    pre_depth = 0  # counted on skipped <pre> too, so start/end always pair up
    walker = etree.iterwalk(container, events=("start", "end"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in BLOCK_TAGS:
                out.flush(pre_depth > 0)
            pre_depth += tag == "pre"
            if _is_skipped(el):
                walker.skip_subtree()
            elif tag == "br":
                out.line_break()
            else:
                out.add(el.text)
            continue
        if tag in BLOCK_TAGS:
            out.flush(pre_depth > 0)
        pre_depth -= tag == "pre"
        if el is not container:  # the container's tail lies outside it
            out.add(el.tail)
    out.flush(pre_depth > 0)
    return out.blocks


def _scan_page(body: etree._Element) -> tuple[Elements, Elements, Elements]:
    """Visible <article>s, main containers and <h1>s, outside boilerplate."""
    articles: Elements = []
    mains: Elements = []
    h1s: Elements = []
    walker = etree.iterwalk(body, events=("start",))
    for _, el in walker:
        if _is_skipped(el) and el is not body:
            walker.skip_subtree()
            continue
        tag = el.tag.lower()
        if tag == "article":
            articles.append(el)
        elif tag == "main" or "main" in el.get("role", "").lower().split():
            mains.append(el)
        elif tag == "h1":
            h1s.append(el)
    return articles, mains, h1s


def _choose_container(body: etree._Element, articles: Elements, mains: Elements) -> etree._Element:
    """Longest visible <article>, else <main>, else [role=main], else <body>."""
    if articles:
        return max(articles, key=lambda a: sum(map(len, visible_blocks(a))))
    main_tags = [m for m in mains if m.tag.lower() == "main"]
    return (main_tags or mains or [body])[0]


def _parse(raw: str) -> etree._Element | None:
    """Parse tolerant HTML; None for a document with no content at all."""
    if not isinstance(raw, str):
        raise InvalidInputError(f"extract_html expects str, got {type(raw).__name__}")
    if not raw.strip():
        return None
    # Bytes plus an explicit encoding: str input with an XML declaration is
    # rejected by lxml, and a stale <meta charset> must not re-decode the text.
    parser = lxml.html.HTMLParser(
        encoding="utf-8", huge_tree=True, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(raw.encode("utf-8", "replace"), parser)
    except etree.LxmlError as exc:
        raise InvalidInputError(f"HTML could not be parsed: {exc}") from exc
    limits = [e.message for e in parser.error_log if e.type_name == "ERR_RESOURCE_LIMIT"]
    if limits:
        # libxml2 silently drops everything past a limit (e.g. 2048 nested
        # elements); refuse rather than store a truncated article.
        raise InvalidInputError(f"HTML is malformed beyond parser limits: {limits[0]}")
    return root


def _meta_index(root: etree._Element) -> Meta:
    """Map lower-cased meta name/property/itemprop to their contents, in order."""
    index: Meta = {}
    for meta in root.iter("meta"):
        content = _squash(meta.get("content"))
        for attr in ("name", "property", "itemprop"):
            key = meta.get(attr, "").strip().lower()
            if key and content:
                index.setdefault(key, []).append(content)
    return index


def _json_ld_objects(root: etree._Element) -> Iterator[dict[str, Any]]:
    """Top-level JSON-LD objects, including those listed under "@graph"."""
    for script in root.iter("script"):
        if "ld+json" not in script.get("type", "").lower():
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):  # broken or absurdly nested JSON
            continue
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, dict):
                yield item
                yield from (g for g in item.get("@graph", []) if isinstance(g, dict))


def _ld_author_names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = [v.get("name") if isinstance(v, dict) else v for v in values]
    return [_squash(n) for n in names if isinstance(n, str)]


def _authors(root: etree._Element, meta: Meta, ld: list[dict[str, Any]]) -> tuple[str, ...]:
    found = meta.get("author", []) + meta.get("article:author", [])
    found += [_squash(a.text_content()) for a in root.iter("a")
              if "author" in a.get("rel", "").lower().split()]
    for obj in ld:
        found += _ld_author_names(obj.get("author"))
    seen: dict[str, str] = {}
    for name in found:
        # article:author is often a profile URL rather than a name
        if name and not name.startswith(("http://", "https://")):
            seen.setdefault(name.casefold(), name)
    return tuple(seen.values())


def _published(container: etree._Element, root: etree._Element,
               meta: Meta, ld: list[dict[str, Any]]) -> str | None:
    candidates = list(meta.get("article:published_time", []))
    for scope in (container, root):
        candidates += [t.get("datetime", "") for t in scope.iter("time") if t.get("datetime")]
    candidates += [o["datePublished"] for o in ld if isinstance(o.get("datePublished"), str)]
    candidates += meta.get("date", []) + meta.get("pubdate", [])
    return next((d for d in map(iso_date, candidates) if d), None)


def _url(root: etree._Element, meta: Meta) -> str | None:
    for link in root.iter("link"):
        if "canonical" in link.get("rel", "").lower().split() and link.get("href", "").strip():
            return link.get("href").strip()
    return next(iter(meta.get("og:url", [])), None)


def _title(root: etree._Element, headline: str | None,
           meta: Meta) -> str | None:
    """og:title, else the headline <h1>, else <title> without its site suffix."""
    og_title = meta.get("og:title")
    if og_title:
        return og_title[0]
    if headline:
        return headline
    page_title = _squash(root.findtext("head/title"))
    return (TITLE_SEPARATORS.sub("", page_title) or page_title) or None


def _headline(container: etree._Element, page_h1s: Elements) -> str | None:
    """First non-empty <h1> of the container, else of the visible page."""
    texts = (_squash(h1.text_content()) for h1 in [*container.iter("h1"), *page_h1s])
    return next((t for t in texts if t), None)


def extract_html(raw: str) -> HtmlArticle:
    """Visible article text and metadata of one news page.

    Raises InvalidInputError (a ValueError) for non-str or unparseable input.
    """
    root = _parse(raw)
    if root is None:
        return HtmlArticle("", None, (), None, None)
    body = root.find("body")
    body = root if body is None else body
    articles, mains, h1s = _scan_page(body)
    container = _choose_container(body, articles, mains)
    blocks = visible_blocks(container)
    meta, ld = _meta_index(root), list(_json_ld_objects(root))
    headline = _headline(container, h1s)
    title = _title(root, headline, meta)
    # Stored text should open with the headline even when the <h1> sits
    # outside the container (or in its skipped <header>).
    if blocks and title and (meta.get("og:title") or headline) and not {title, headline} & set(blocks):
        blocks.insert(0, title)
    return HtmlArticle(
        text="\n\n".join(blocks),
        title=title,
        authors=_authors(root, meta, ld),
        published=_published(container, root, meta, ld),
        url=_url(root, meta),
    )
