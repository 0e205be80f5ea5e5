"""Pure functions that turn answers, citations, refusals and errors into safe HTML/markdown.

Every piece of article text or model output passes through `html.escape` (and, for the
chat, a markdown escape) before it reaches the page: it is shown as text, never run.
"""

from __future__ import annotations

import html
import re
from typing import Callable, Iterable, Sequence

from rag import Answer, Citation, Document, DocumentInfo, Fact, Passage, Support
from rag.text.unicode import printable
from rag.answer.citations import ANSWER_MARKER, answer_sentences, marker_numbers
from rag.answer.verify import unsupported_note
from rag.text.sentences import sentence_spans

CONTEXT_CHARS = 300
MAX_ARTICLE_CHARS = 100_000
# Icons are CSS shapes (see CSS), not emoji: they render without an emoji font.
REFUSAL_ICON = '<span class="rag-icon rag-icon-refusal" aria-hidden="true"></span>'
WARNING_ICON = '<span class="rag-icon rag-icon-warning" aria-hidden="true"></span>'
REFUSAL_LABEL = f"{REFUSAL_ICON} **Not in the articles.**"
ERROR_LABEL = f"{WARNING_ICON} **Couldn't answer:**"
SEARCHING = "_Searching the articles…_"
UNSUPPORTED_LABEL = f"{WARNING_ICON} **[unsupported: the cited source does not say this]**"

_MD_SPECIAL = re.compile(r"([\\`*_~|#\[\]$])")
_MD_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_CHIP = re.compile(r'<a class="rag-chip"[^>]*>(\d+)</a>')
_TAG = re.compile(r"<[^>]*>")  # only ever ours: `chat_text` escapes every "<" of the text

DocText = Callable[[str], "str | None"]


# -- chat messages (markdown) ------------------------------------------------------


def chat_text(text: str) -> str:
    """Text shown literally by a markdown renderer: markdown and HTML specials escaped."""
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def name_text(name: str) -> str:
    """A doc id or file name for a chat message: on one line (control and bidi characters
    escaped), then escaped like `chat_text`."""
    return chat_text(printable(name))


def plain_text(display: str) -> str:
    """The inverse of `chat_text`: the original text back from a chat message (our own
    markup dropped: a citation chip becomes its `[n]` again)."""
    display = _TAG.sub("", _CHIP.sub(r"[\1]", display))
    return _MD_UNESCAPE.sub(r"\1", html.unescape(display))


def citation_chip(n: int) -> str:
    """A clickable `[n]`: scrolls to source card n and flashes it (the page's script, by the
    href: Gradio's sanitizer keeps only class, href and title)."""
    return f'<a class="rag-chip" href="#rag-source-{n}" title="Show source {n}">{n}</a>'


def _with_chips(text: str, cited: frozenset[int]) -> str:
    """`chat_text(text)` with each `[n]` of a checked citation as a chip; other brackets stay text."""
    parts = ANSWER_MARKER.split(text)  # text, marker body ("1" or "1, 2"), text, ...
    out = []
    for i, part in enumerate(parts):
        numbers = marker_numbers(f"[{part}]") if i % 2 else []
        if numbers and all(n in cited for n in numbers):
            out.append("".join(citation_chip(n) for n in numbers))
        else:
            out.append(chat_text(f"[{part}]" if i % 2 else part))
    return "".join(out)


def rich_text(text: str, cited: frozenset[int] = frozenset(), facts: Sequence[str] = ()) -> str:
    """Answer text for the chat: escaped, `[n]` of the checked citations as chips, and each
    short answer (the facts: one per part of a compound question) highlighted where it first
    stands in the text clear of the others."""
    spans: list[tuple[int, int]] = []
    for fact in facts:
        at = text.find(fact) if fact.strip() else -1
        while at >= 0 and any(at < end and start < at + len(fact) for start, end in spans):
            at = text.find(fact, at + 1)
        if at >= 0:
            spans.append((at, at + len(fact)))
    out, done = [], 0
    for at, end in sorted(spans):
        out.append(f"{_with_chips(text[done:at], cited)}<mark class=\"rag-fact\">{_with_chips(text[at:end], cited)}</mark>")
        done = end
    return "".join(out) + _with_chips(text[done:], cited)


def answer_message(answer: Answer) -> str:
    """The chat message for a finished answer; refusals are labelled as such, and each
    sentence the verifier found unsupported by what it cites is marked where it stands."""
    cited = frozenset(c.n for c in answer.citations)
    facts = [f.text for f in answer.facts]
    if answer.refused:
        return f"{REFUSAL_LABEL} {rich_text(answer.text, cited, facts)}"
    sentences = answer_sentences(answer.text)
    if not any(not v.supported for v in answer.verdicts) or len(sentences) != len(answer.verdicts):
        return rich_text(answer.text, cited, facts)
    return " ".join(
        rich_text(sentence, cited, facts) + ("" if verdict.supported else f" {UNSUPPORTED_LABEL}")
        for sentence, verdict in zip(sentences, answer.verdicts)
    )


def error_message(error: Exception) -> str:
    """A readable chat message for an error: its text, no traceback."""
    return f"{ERROR_LABEL} {chat_text(str(error) or type(error).__name__)}"


def history_for_rag(messages: Iterable[object]) -> list[dict[str, str]]:
    """Chat messages as plain text, without the UI's labels, placeholders and errors."""
    result: list[dict[str, str]] = []
    for message in messages or ():
        role, content = _role_and_text(message)
        if role not in ("user", "assistant") or content == SEARCHING:
            continue
        if role == "assistant" and content.startswith(ERROR_LABEL):
            content = ""
        content = content.removeprefix(REFUSAL_LABEL).strip()
        result.append({"role": role, "content": plain_text(content)})
    return result


def _role_and_text(message: object) -> tuple[str, str]:
    if isinstance(message, dict):
        role, content = message.get("role"), message.get("content")
    else:
        role, content = getattr(message, "role", None), getattr(message, "content", None)
    if isinstance(content, list):  # Gradio may send a list of parts
        content = " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(role), "" if content is None else str(content)


# -- the sources panel (HTML) --------------------------------------------------------


def context_window(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> tuple[str, str, str]:
    """(before, quote, after): the quote with about `width` characters either side, cut at
    sentence boundaries (`sentence_spans`, as the article is split everywhere else), with
    "…" where the article goes on."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    lo, hi = max(0, start - width), min(len(text), end + width)
    before, after = text[lo:start], text[end:hi]
    if lo > 0:
        # The first sentence of the window is cut off by it: start at the next one.
        starts = [s for s, _ in sentence_spans(text, lo, end)[1:] if s <= start]
        before = "…" + (text[starts[0] : start] if starts else before)
    if hi < len(text):
        # The last sentence of the window is cut off by it: end with the one before.
        ends = [e for _, e in sentence_spans(text, end, hi)[:-1]]
        after = (text[end : ends[-1]] if ends else after) + " …"
    return before, text[start:end], after


def highlighted(text: str, start: int, end: int) -> str:
    """HTML of `text` with text[start:end] in a <mark>; everything escaped."""
    before, quote, after = text[:start], text[start:end], text[end:]
    return f"{html.escape(before)}<mark>{html.escape(quote)}</mark>{html.escape(after)}"


def citation_card(
    citation: Citation, doc_text: str | None, facts: Sequence[Fact] = (), support: Sequence[Support] = ()
) -> str:
    """One source card: number, title, source, the highlighted quote in context (the short
    answers inside it in bold; for an LLM answer, the sentences that back its claims
    underlined), and the whole article behind a <details> toggle."""
    head = (
        f'<div class="rag-card" id="rag-source-{citation.n}">'
        f'<div class="rag-card-head"><span class="rag-num">[{citation.n}]</span> '
        f'<span class="rag-title">{html.escape(citation.title or citation.doc_id)}</span>'
        '<button type="button" class="rag-back" title="Back to where the answer cites it">Back to the answer</button></div>'
        f"{source_line(citation.source)}"
    )
    if not doc_text or doc_text[citation.start : citation.end] != citation.text:
        body = f'<blockquote class="rag-quote"><mark>{html.escape(citation.text)}</mark></blockquote>'
        return head + body + "</div>"
    before, quote, after = context_window(doc_text, citation.start, citation.end)
    body = (
        f'<blockquote class="rag-quote">{html.escape(before)}<mark>{_with_facts(quote, citation, facts, support)}</mark>'
        f"{html.escape(after)}</blockquote>"
    )
    return head + body + whole_article(doc_text, citation.start, citation.end) + "</div>"


def _with_facts(quote: str, citation: Citation, facts: Sequence[Fact], support: Sequence[Support] = ()) -> str:
    """The escaped quote with, inside it (offsets into the document), its facts in <strong>
    and the sentences backing an LLM answer's claims in <u>."""
    spans = [(s.start, s.end, '<u class="rag-support">', "</u>") for s in support if s.n == citation.n]
    for fact in facts:
        if fact.citation == citation.n:
            spans.append((fact.start, fact.end, '<strong class="rag-fact">', "</strong>"))
    spans = sorted(
        (start - citation.start, end - citation.start, opening, closing) for start, end, opening, closing in spans
        if citation.start <= start < end <= citation.end
    )
    out, at = [], 0
    for lo, hi, opening, closing in spans:
        if lo < at:  # overlapping spans: the first one shown wins
            continue
        out.append(f"{html.escape(quote[at:lo])}{opening}{html.escape(quote[lo:hi])}{closing}")
        at = hi
    return "".join(out) + html.escape(quote[at:])


def whole_article(text: str, start: int, end: int) -> str:
    """The full article (capped), cited span highlighted, collapsed by default."""
    note = ""
    if len(text) > MAX_ARTICLE_CHARS:
        text, note = text[:MAX_ARTICLE_CHARS], '<p class="rag-note">(article truncated)</p>'
        start, end = min(start, len(text)), min(end, len(text))
    return (
        '<details class="rag-article"><summary>Show the whole article</summary>'
        f'<div class="rag-article-text">{highlighted(text, start, end)}</div>{note}</details>'
    )


def source_line(source: str) -> str:
    """The file or URL of a source; only http(s) URLs become links."""
    if not source:
        return ""
    shown = html.escape(source)
    if re.match(r"https?://", source, re.IGNORECASE):
        link = f'<a href="{html.escape(source, quote=True)}" target="_blank" rel="noopener noreferrer">{shown}</a>'
        return f'<div class="rag-source">{link}</div>'
    return f'<div class="rag-source"><code>{shown}</code></div>'


def sources_html(answer: Answer, doc_text: DocText) -> str:
    """The sources panel for an answer: cards for citations, or the refusal's search."""
    if answer.refused and not answer.partial:
        return refusal_html(answer)
    if not answer.citations:
        return panel('<p class="rag-empty">This answer cites no passages.</p>')
    support = [span for verdict in answer.verdicts for span in verdict.support]
    cards = "".join(citation_card(c, _safe_text(doc_text, c.doc_id), answer.facts, support) for c in answer.citations)
    unsupported = [v for v in answer.verdicts if not v.supported]
    flagged = "".join(
        f'<li><span class="rag-claim">{html.escape(v.claim)}</span> — {html.escape(v.reason)}</li>' for v in unsupported
    )
    if flagged:
        flagged = f'<div class="rag-unsupported"><p>Not supported by the sources they cite:</p><ul>{flagged}</ul></div>'
    notes = {unsupported_note(v) for v in unsupported}
    warnings = "".join(f'<p class="rag-warning">{html.escape(w)}</p>' for w in answer.warnings if w not in notes)
    return panel(confidence_html(answer) + flagged + cards + warnings, f"Sources ({len(answer.citations)})")


def confidence_html(answer: Answer) -> str:
    """How sure the offline answerer is that its quote answers the question (its
    `Evidence.probability`), as a meter and a word, and any names or numbers of the question
    the article never mentions; nothing when there is no such judgement (LLM answers)."""
    evidence = answer.evidence
    if evidence is None or answer.refused:
        return ""
    p = max(0.0, min(1.0, evidence.probability))
    level, words = (("high", "The quote very likely answers the question.") if p >= 0.9 else
                    ("medium", "The quote probably answers the question: check it.") if p >= 0.75 else
                    ("low", "A weak match: read the quote before relying on it."))
    missing = ""
    if evidence.missing:
        names = ", ".join(f"“{html.escape(m)}”" for m in evidence.missing)
        missing = f'<div class="rag-missing">The article never mentions {names}.</div>'
    return (
        f'<div class="rag-confidence rag-confidence-{level}" title="probability {p:.2f}">'
        f'<span class="rag-meter" aria-hidden="true"><span style="width:{round(p * 100)}%"></span></span>'
        f'<span class="rag-confidence-text">Evidence: <b>{level}</b> ({p:.0%}). {words}</span>{missing}</div>'
    )


def refusal_html(answer: Answer) -> str:
    """A refusal: clearly labelled, with what was searched (titles and sources)."""
    searched = searched_articles(answer.passages)
    items = "".join(
        f'<li><span class="rag-title">{html.escape(title)}</span>{source_line(source)}</li>'
        for title, source in searched
    )
    listing = f"<p>Searched:</p><ul>{items}</ul>" if items else "<p>No passage matched the search.</p>"
    body = (
        '<div class="rag-card rag-refusal"><div class="rag-card-head">Not in the articles</div>'
        f"<p>{html.escape(answer.text)}</p>{listing}</div>"
    )
    return panel(body, "No answer")


def searched_articles(passages: Iterable[Passage]) -> list[tuple[str, str]]:
    """(title, source) of each searched article once, in retrieval order."""
    seen: dict[tuple[str, str], None] = {}
    for p in passages:
        seen.setdefault((p.title or p.doc_id, p.source), None)
    return list(seen)


def error_html(message: str) -> str:
    body = f'<div class="rag-card rag-error"><div class="rag-card-head">Error</div><p>{html.escape(message)}</p></div>'
    return panel(body, "Error")


def pending_html() -> str:
    return panel('<p class="rag-empty">Searching the articles…</p>')


def empty_html() -> str:
    return panel('<p class="rag-empty">Ask a question: the passages its answer cites appear here.</p>')


def panel(body: str, heading: str = "Sources") -> str:
    return f'<div class="rag-sources"><h3>{html.escape(heading)}</h3>{body}</div>'


# -- the article library (HTML) -------------------------------------------------------


def url_host(source: str) -> str:
    """A URL's host without "www." ("" when `source` is not an http(s) URL)."""
    match = re.match(r"https?://([^/?#]+)", source or "", re.IGNORECASE)
    return match.group(1).removeprefix("www.") if match else ""


def outlet(source: str) -> str:
    """Where an article comes from, short: a URL's host, else the file name."""
    return url_host(source) or (source or "").replace("\\", "/").rsplit("/", 1)[-1]


def matches(doc: DocumentInfo, query: str) -> bool:
    """Whether every word of `query` is in the article's title, source, date or id."""
    haystack = " ".join((doc.title, doc.source, doc.published or "", doc.doc_id)).casefold()
    return all(word in haystack for word in query.casefold().split())


def library_html(documents: Sequence[DocumentInfo], query: str = "") -> str:
    """How many articles are indexed and, newest first, those matching `query`: title, outlet, date."""
    shown = sorted((d for d in documents if matches(d, query)), key=lambda d: d.published or "", reverse=True)
    total = len(documents)
    count = f"{total:,} article{'s' if total != 1 else ''} indexed"
    if query.strip():
        count += f" · {len(shown):,} match{'es' if len(shown) != 1 else ''} “{html.escape(query.strip())}”"
    rows = "".join(
        f'<tr class="rag-lib-row" data-doc-id="{html.escape(d.doc_id, quote=True)}"><td class="rag-lib-title">{library_opener(d)}</td>'
        f'<td class="rag-lib-outlet" title="{html.escape(d.source, quote=True)}">{html.escape(outlet(d.source))}</td><td class="rag-lib-date">{html.escape(d.published or "—")}</td></tr>'
        for d in shown
    )
    table = (
        '<table class="rag-library-table"><thead><tr><th>Title</th><th>Outlet</th><th>Date</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>" if rows else '<p class="rag-empty">No article matches.</p>'
    )
    return f'<div class="rag-library"><p class="rag-library-count">{count}</p>{table}</div>'


def library_opener(d: DocumentInfo) -> str:
    """A row's title as a real button (focusable, Enter and Space click it) that names its
    article by `data-doc-id`: the listing's script (`ui.app.LIBRARY_JS`) opens it in the reader."""
    doc_id = html.escape(d.doc_id, quote=True)
    return (f'<button type="button" class="rag-lib-open" data-doc-id="{doc_id}" title="Read this article">'
            f"{html.escape(d.title or d.doc_id)}</button>")


def article_html(document: Document | None, info: DocumentInfo | None = None) -> str:
    """One article to read: title, outlet, date and its text, all escaped."""
    if document is None:
        return '<div class="rag-reader"><p class="rag-empty">Choose an article to read it here.</p></div>'
    text = document.text
    note = ""
    if len(text) > MAX_ARTICLE_CHARS:
        text, note = text[:MAX_ARTICLE_CHARS], '<p class="rag-note">(article truncated)</p>'
    date = info.published if info is not None and info.published else ""
    host = url_host(document.source)
    meta = " · ".join(html.escape(x) for x in (host, date) if x)
    return (
        f'<article class="rag-reader"><h3 class="rag-reader-title">{html.escape(document.title or document.doc_id)}</h3>'
        f'<div class="rag-reader-meta">{meta}</div>{source_line(document.source)}'
        f'<div class="rag-reader-text">{html.escape(text)}</div>{note}</article>'
    )


def _safe_text(doc_text: DocText, doc_id: str) -> str | None:
    try:
        return doc_text(doc_id)
    except Exception:  # a deleted document must not break the panel
        return None


CSS = """
.rag-sources h3 { margin: 0 0 .5em 0; font-size: 1.05em; }
.rag-card { border: 1px solid #d0d7de; border-radius: 8px; padding: .6em .8em; margin-bottom: .7em; background: #fff; color: #1f2328; }
.rag-card-head { font-weight: 600; margin-bottom: .2em; }
.rag-num { color: #0969da; }
.rag-source { font-size: .85em; color: #57606a; margin-bottom: .4em; word-break: break-all; }
.rag-quote { margin: .3em 0; padding: .3em .6em; border-left: 3px solid #0969da; white-space: pre-wrap; font-size: .92em; }
.rag-quote mark, .rag-article-text mark { background: #fff3a3; color: inherit; padding: 0 .1em; }
.rag-fact { font-weight: 700; text-decoration: underline; text-decoration-thickness: 2px; }
.rag-article summary { cursor: pointer; font-size: .85em; color: #0969da; }
.rag-article-text { white-space: pre-wrap; font-size: .88em; max-height: 24em; overflow-y: auto; }
.rag-refusal { border-color: #d4a72c; background: #fff8c5; }
.rag-error { border-color: #cf222e; background: #ffebe9; }
.rag-empty, .rag-note { color: #57606a; font-style: italic; }
.rag-warning { color: #9a6700; font-size: .85em; }
.rag-unsupported { border-left: 4px solid #cf222e; background: #ffebe9; padding: .3em .8em; margin-bottom: .8em; }
.rag-unsupported .rag-claim { font-weight: 600; }
.rag-lib-row { cursor: pointer; }
.rag-lib-row:hover { background: #f3efe7; }
.rag-lib-open { all: unset; cursor: pointer; font: inherit; text-align: left; overflow-wrap: anywhere; }
.rag-lib-open:hover { text-decoration: underline; }
.rag-lib-open:focus-visible { outline: 2px solid #0969da; outline-offset: 2px; border-radius: 2px; }
"""
