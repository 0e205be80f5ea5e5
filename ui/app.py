"""The Gradio chat app: `build_app(assistant, settings)` and `launch_app(...)`.

Only wiring lives here: answers come from `rag.Assistant`, uploads go through
`ui.uploads`, and everything shown is rendered by `ui.render` (escaped text).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import logging  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from typing import Generator, Iterator, Sequence  # noqa: E402

import gradio as gr  # noqa: E402

from rag import Answer, Assistant, DocumentInfo, Filters, RagError, Settings, seeds_dir  # noqa: E402
from ui import render, theme  # noqa: E402
from ui.manage import remove_articles  # noqa: E402
from ui.uploads import SUPPORTED_SUFFIXES, UploadProgress, add_articles  # noqa: E402

logger = logging.getLogger(__name__)

EXAMPLES = [  # about the demo articles (seeds/): shown only when they are indexed
    "How old were the captured soldiers?",
    "Has Russia retaken the Kursk region?",
    "Who helped interrogate the prisoners, and why?",
    "What did Kim Jong Un pledge to build?",
]
EMPTY_QUESTION = "Type a question in the box first: it is empty."
CONCURRENCY_LIMIT = 8
REVEAL_STEPS = 16  # an answer that arrives in one piece is shown in this many steps
REVEAL_DELAY_S = 0.02
MAX_K = 20


class ChatHandlers:
    """The event handlers, bound to one assistant; safe to call from many threads."""

    def __init__(self, assistant: Assistant, settings: Settings, reveal_delay: float = REVEAL_DELAY_S) -> None:
        self.assistant = assistant
        self.settings = settings
        self.reveal_delay = reveal_delay

    def respond(self, question: str, history: list | None, k: float, doc_ids: Sequence[str] | None, shown: dict | None = None) -> Iterator[tuple]:
        """Stream an answer into the chat, then show its sources (and remember them, so
        that clicking the answer later shows them again)."""
        messages, shown = list(history or []), dict(shown or {})
        if not (question or "").strip():
            gr.Warning(EMPTY_QUESTION, duration=5, title="Nothing to ask")
            yield list(messages), gr.update(), "", shown
            return
        prior = render.history_for_rag(messages)
        messages += [_message("user", render.chat_text(question)), _message("assistant", render.SEARCHING)]
        yield list(messages), render.pending_html(), "", shown
        try:
            answer = yield from self._stream(question, prior, k, doc_ids, messages, shown)
            text, panel = render.answer_message(answer), render.sources_html(answer, self.document_text)
        except RagError as exc:
            text, panel = render.error_message(exc), render.error_html(str(exc))
        except Exception as exc:  # never a traceback in the chat
            logger.exception("Answering %r failed", question)
            error = RuntimeError(f"Something went wrong ({type(exc).__name__}). Please try again.")
            text, panel = render.error_message(error), render.error_html(str(error))
        messages[-1] = _message("assistant", text)
        shown = {**shown, len(messages) - 1: panel}
        yield list(messages), panel, "", shown

    def _stream(
        self, question: str, prior: list, k: float, doc_ids, messages: list, shown: dict
    ) -> Generator[tuple, None, Answer]:
        stream = self.assistant.ask_stream(question, history=prior, k=_clamp_k(k), filters=_filters(doc_ids))
        text = ""
        try:
            for piece in stream:
                for part in self._reveal(piece):
                    text += part
                    messages[-1] = _message("assistant", render.chat_text(text))
                    yield list(messages), render.pending_html(), "", shown
            answer: Answer = stream.answer
        finally:
            # A user who stops the answer closes this generator at its `yield`: let go of the
            # model's reply now (a local server stops generating), not when Python collects it.
            stream.close()
        return answer

    def _reveal(self, piece: str) -> Iterator[str]:
        """A long piece in a few word-aligned steps, so a one-piece answer still streams in."""
        words = re.findall(r"\s*\S+\s*", piece) or [piece]
        size = max(1, -(-len(words) // REVEAL_STEPS))
        for i in range(0, len(words), size):
            if i and self.reveal_delay:
                time.sleep(self.reveal_delay)
            yield "".join(words[i : i + size])

    def clear(self) -> tuple:
        return [], render.empty_html(), "", {}

    def select(self, shown: dict | None, event: gr.SelectData) -> str | dict:
        """Clicking an earlier answer shows its sources again."""
        index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        panel = (shown or {}).get(index)
        return panel if panel is not None else gr.update()

    def upload(self, files: list | None, selected: Sequence[str] | None, progress=gr.Progress()) -> tuple:
        """Save and ingest the uploaded files; refresh the article filter."""
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]

        if not self.settings.ui_uploads:  # the panel is not built; refuse a hand-made call too
            return "Adding articles is switched off here (RAG_UI_UPLOADS=false).", gr.update(), None
        shown = UploadProgress(lambda fraction, description: progress(fraction, desc=description))
        outcome = add_articles(paths, self.assistant, self.settings, progress=shown)
        return outcome.message, self.article_filter(selected), None

    def remove(self, doc_ids: Sequence[str] | None, selected: Sequence[str] | None, request: gr.Request) -> tuple:
        """Remove the chosen articles: only when the operator enabled it, for a logged-in user."""
        user = getattr(request, "username", None) if request is not None else None
        outcome = remove_articles(list(doc_ids or []), self.assistant, self.settings, user)
        articles = self.article_filter(selected)  # one listing serves both dropdowns
        doomed = {**articles, "value": []} if "choices" in articles else gr.update(value=[])
        return outcome.message, articles, doomed

    def article_filter(self, selected: Sequence[str] | None = None) -> dict:
        try:
            choices = self._list_articles()
        except RagError as exc:  # the index is unreachable: keep the filter as the user set it
            logger.warning("Could not refresh the article filter: %s", exc)
            return gr.update()
        known = {doc_id for _, doc_id in choices}
        return gr.update(choices=choices, value=[s for s in (selected or []) if s in known])

    def article_choices(self) -> list[tuple[str, str]]:
        """(title, doc_id) of every indexed article, for the filter; none if unreachable."""
        try:
            return self._list_articles()
        except RagError:
            return []

    def _list_articles(self) -> list[tuple[str, str]]:
        documents = self.assistant.list_documents()
        return [(d.title or d.doc_id, d.doc_id) for d in documents]

    def _documents(self) -> list[DocumentInfo]:
        try:
            return list(self.assistant.list_documents())
        except RagError as exc:
            logger.warning("Could not list the articles: %s", exc)
            return []

    def library(self, query: str | None) -> tuple:
        """The library's count and list for `query`, and the matching articles to open."""
        return _library_view(self._documents(), query)

    def library_refresh(self, query: str | None, opened: str | None) -> tuple:
        """The library as the index is now (it changed elsewhere: a removal, an upload): listing,
        opener, and the reader emptied when the article it shows has gone."""
        documents = self._documents()
        listing, opener = _library_view(documents, query)
        if not opened or any(d.doc_id == opened for d in documents):
            return listing, opener, gr.update()
        return listing, {**opener, "value": None}, render.article_html(None)

    def open_row(self, event: gr.SelectData) -> dict:
        """A click on a library row (`LIBRARY_JS` sends its doc id): the opener takes that
        article, and the opener's change shows it in the reader, as if chosen there."""
        return gr.update(value=str(event.value)) if event.value else gr.update()

    def open_article(self, doc_id: str | None) -> str:
        """One article to read, escaped."""
        if not doc_id:
            return render.article_html(None)
        info = next((d for d in self._documents() if d.doc_id == doc_id), None)
        try:
            document = self.assistant.get_document(doc_id)
        except Exception:  # removed meanwhile, or the index is unreachable
            return render.panel('<p class="rag-empty">This article is no longer in the index.</p>', "Article")
        return render.article_html(document, info)

    def remove_opened(
        self, doc_id: str | None, query: str | None, selected: Sequence[str] | None, marked: Sequence[str] | None,
        request: gr.Request,
    ) -> tuple:
        """The library's *Remove* button: `remove` (operator-enabled, logged-in) for the open
        article. Then every listing shows the index as it is: the filter, the *Remove articles*
        choice (`marked`: what is ticked there, kept if still indexed), the library and reader."""
        message, articles, _ = self.remove([doc_id] if doc_id else [], selected, request)
        listing, opener, reader = self.library_refresh(query, doc_id)
        return message, articles, self.article_filter(marked), listing, opener, reader

    def examples(self) -> list[str]:
        """Example questions: the demo's when its articles are indexed, else ones about the
        newest articles' titles (never questions about articles that are not there)."""
        documents = self._documents()
        demo = _demo_names()
        if any(_is_demo(d, demo) for d in documents):
            return list(EXAMPLES)
        newest = sorted((d for d in documents if d.title), key=lambda d: d.published or "", reverse=True)
        return [f"What does the article “{d.title}” report?" for d in newest[:3]]

    def document_text(self, doc_id: str) -> str | None:
        return self.assistant.get_document(doc_id).text


def _message(role: str, content: str) -> dict:
    return {"role": role, "content": content}


def _demo_names() -> frozenset[str]:
    """The demo articles' file names and stems (seeds/): read once per listing, not per article."""
    try:
        return frozenset(n for p in seeds_dir().glob("*.txt") for n in (p.name, p.stem))
    except RagError:
        return frozenset()


def _is_demo(d: DocumentInfo, names: frozenset[str]) -> bool:
    """Whether `d` is one of the demo articles (`names`: `_demo_names()`, their long file names)."""
    paths = (d.doc_id, d.source_file, d.source)
    return any(path and path.replace("\\", "/").rsplit("/", 1)[-1] in names for path in paths)


def _library_view(documents: Sequence[DocumentInfo], query: str | None) -> tuple:
    """The library's count and list for `query`, and the opener's choices: the matching articles."""
    choices = [(_library_label(d), d.doc_id) for d in documents if render.matches(d, query or "")]
    return render.library_html(documents, query or ""), gr.update(choices=choices)


def _library_label(d: DocumentInfo) -> str:
    host = render.url_host(d.source)
    extra = " · ".join(x for x in (host, d.published or "") if x)
    return f"{d.title or d.doc_id} — {extra}" if extra else (d.title or d.doc_id)


def _clamp_k(k: float | None) -> int:
    if k is None:
        return 5
    try:
        return max(1, min(MAX_K, int(k)))
    except (TypeError, ValueError):
        return 5


def _filters(doc_ids: Sequence[str] | None) -> Filters | None:
    chosen = tuple(d for d in (doc_ids or []) if d)
    return Filters(doc_ids=chosen) if chosen else None


def build_app(assistant: Assistant, settings: Settings, reveal_delay: float = REVEAL_DELAY_S) -> gr.Blocks:
    """The chat UI over `assistant`: chat, sources panel, settings and uploads."""
    handlers = ChatHandlers(assistant, settings, reveal_delay)
    with gr.Blocks(title="newsrag — ask the news") as demo:
        gr.HTML(MASTHEAD, elem_id="rag-masthead", padding=False)
        with gr.Tabs(elem_id="rag-tabs"):
            with gr.Tab("Ask", id="ask", elem_id="rag-tab-ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=320):
                        chat = _chat_column(handlers.examples())
                    with gr.Column(scale=2, min_width=300):
                        sources = gr.HTML(render.empty_html(), elem_id="rag-sources", css_template=render.CSS)
                        k, articles = _settings_panel(handlers, settings)
                        uploads = _upload_panel() if settings.ui_uploads else None
                        removal = _remove_panel(handlers) if settings.ui_allow_remove else None
            with gr.Tab("Library", id="library", elem_id="rag-tab-library") as library_tab:
                library = _library_panel(handlers, settings)
        # Wired once every panel exists: a change to the index in one tab refreshes the other's lists.
        doomed = removal[0] if removal is not None else None
        _wire(demo, handlers, chat, sources, k, articles)
        _wire_library(handlers, library_tab, library, articles, doomed)
        if uploads is not None:
            _wire_uploads(handlers, articles, *uploads, doomed)
        if removal is not None:
            _wire_removal(handlers, articles, *removal, library)
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT)
    return demo


MASTHEAD = (
    '<div class="rag-brand">news<b>rag</b></div>'
    '<div class="rag-tagline">Questions answered from the indexed news articles — every answer quotes its sources. '
    "Click a number in an answer to see the passage it cites.</div>"
)

# The library listing's script (gr.HTML `js_on_load`, run once per page): a click on a row, or
# Enter/Space on its title (a <button>), sends the row's doc id as the listing's `select` event
# (`ChatHandlers.open_row`). It listens on the component's element, so it outlives every new
# listing a search renders; the id is read from an escaped attribute, never run as code.
LIBRARY_JS = """
element.addEventListener('click', (event) => {
  const row = event.target instanceof Element ? event.target.closest('[data-doc-id]') : null;
  const docId = row && element.contains(row) ? row.getAttribute('data-doc-id') : null;
  if (docId) trigger('select', {index: docId, value: docId});
});
"""


def _library_panel(handlers: ChatHandlers, settings: Settings) -> dict:
    listing, _ = handlers.library("")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            search = gr.Textbox(
                show_label=False, placeholder="Search titles, outlets, dates…", elem_id="rag-library-search",
            )
            table = gr.HTML(listing, elem_id="rag-library-list", css_template=render.CSS, js_on_load=LIBRARY_JS)
        with gr.Column(scale=4, min_width=300):
            opener = gr.Dropdown(
                choices=[(_library_label(d), d.doc_id) for d in handlers._documents()], value=None,
                label="Open an article", elem_id="rag-library-open", filterable=True,
            )
            reader = gr.HTML(render.article_html(None), elem_id="rag-library-article", css_template=render.CSS)
            remove = status = None
            if settings.ui_allow_remove:
                remove = gr.Button("Remove this article from the index", variant="stop", size="sm", elem_id="rag-library-remove")
                status = gr.Markdown(elem_id="rag-library-remove-status")
    return {"search": search, "table": table, "opener": opener, "reader": reader, "remove": remove, "status": status}


def _wire_library(handlers: ChatHandlers, tab, library: dict, articles, doomed) -> None:
    """The library's events; `doomed` is the *Remove articles* choice (None when removal is off)."""
    search, table, opener, reader = library["search"], library["table"], library["opener"], library["reader"]
    search.change(handlers.library, [search], [table, opener], api_visibility="private", queue=False)
    # Shown again: whatever changed the index meanwhile (an upload, a removal) is in the listing.
    tab.select(handlers.library_refresh, [search, opener], [table, opener, reader], api_visibility="private", queue=False)
    table.select(handlers.open_row, None, [opener], api_visibility="private", queue=False)
    opener.change(handlers.open_article, [opener], [reader], api_visibility="private", queue=False)
    if library["remove"] is not None and doomed is not None:
        library["remove"].click(
            handlers.remove_opened, [opener, search, articles, doomed],
            [library["status"], articles, doomed, table, opener, reader],
            api_visibility="private", concurrency_limit=1, concurrency_id="ingest",
        )


def _chat_column(examples: list[str]) -> dict:
    chatbot = gr.Chatbot(
        label="Chat", show_label=False, height=540, elem_id="rag-chat", sanitize_html=True, render_markdown=True,
        allow_tags=False, latex_delimiters=[], feedback_options=None, buttons=["copy"],
        placeholder="Answers appear here, each with numbered links to the passages it quotes.",
    )
    with gr.Row(equal_height=True):
        # No max_length: a long paste is not cut silently; the counter and the refusal say how long it is.
        question = gr.Textbox(
            show_label=False, placeholder="Ask a question about the articles…", scale=6, lines=1, max_lines=6,
            elem_id="rag-question", submit_btn="Ask",
        )
        clear = gr.Button("New chat", scale=1, min_width=90, variant="secondary", size="sm", elem_id="rag-clear")
    gr.HTML('<div id="rag-counter" aria-live="polite"></div>', padding=False, container=False)
    if examples:
        with gr.Column(elem_id="rag-examples"):
            gr.Examples(examples, inputs=question, label="Try one")
    return {"chatbot": chatbot, "question": question, "clear": clear}


def _settings_panel(handlers: ChatHandlers, settings: Settings) -> tuple:
    with gr.Accordion("Settings", open=False):
        k = gr.Slider(1, MAX_K, value=_clamp_k(settings.top_k), step=1, label="Passages to search (k)")
        articles = gr.Dropdown(
            choices=handlers.article_choices(), value=[], multiselect=True, label="Only these articles",
            info="Leave empty to search every article.", elem_id="rag-articles",
        )
        gr.Textbox(handlers.assistant.answerer_name, label="Answerer", interactive=False)
    return k, articles


def _upload_panel() -> tuple[gr.File, gr.Markdown]:
    with gr.Accordion("Add articles", open=False):
        files = gr.File(
            label=f"Upload {', '.join(SUPPORTED_SUFFIXES)}", file_count="multiple",
            file_types=list(SUPPORTED_SUFFIXES), elem_id="rag-upload",
        )
        status = gr.Markdown(elem_id="rag-upload-status")
    return files, status


def _remove_panel(handlers: ChatHandlers) -> tuple[gr.Dropdown, gr.Button, gr.Markdown]:
    with gr.Accordion("Remove articles", open=False):
        doomed = gr.Dropdown(
            choices=handlers.article_choices(), value=[], multiselect=True, label="Articles to remove",
            info="Removed from the index for everyone. Only logged-in users can do this.", elem_id="rag-remove-choice",
        )
        button = gr.Button("Remove from the index", variant="stop", elem_id="rag-remove")
        status = gr.Markdown(elem_id="rag-remove-status")
    return doomed, button, status


def _wire_uploads(handlers: ChatHandlers, articles, files, status, doomed) -> None:
    """`/upload` keeps its three outputs (an API); the *Remove articles* choice (`doomed`,
    None when removal is off) follows. The library catches up when its tab is shown."""
    event = files.upload(
        handlers.upload, [files, articles], [status, articles, files],
        api_name="upload", concurrency_limit=1, concurrency_id="ingest",
    )
    if doomed is not None:
        event.then(handlers.article_filter, [doomed], [doomed], api_visibility="private", queue=False)


def _wire_removal(handlers: ChatHandlers, articles, doomed, button, status, library: dict) -> None:
    """`/remove` keeps its three outputs (an API); the library's listing, opener and reader follow."""
    button.click(
        handlers.remove, [doomed, articles], [status, articles, doomed],
        api_name="remove", concurrency_limit=1, concurrency_id="ingest",
    ).then(
        handlers.library_refresh, [library["search"], library["opener"]],
        [library["table"], library["opener"], library["reader"]], api_visibility="private", queue=False,
    )


def _wire(demo: gr.Blocks, handlers: ChatHandlers, chat: dict, sources, k, articles) -> None:
    chatbot, question, shown = chat["chatbot"], chat["question"], gr.State({})
    question.submit(
        handlers.respond, [question, chatbot, k, articles, shown], [chatbot, sources, question, shown],
        api_name="ask", show_progress="hidden",
    )
    chat["clear"].click(handlers.clear, None, [chatbot, sources, question, shown], api_name="clear", queue=False)
    chatbot.select(handlers.select, [shown], [sources], api_visibility="private", queue=False)
    demo.load(handlers.article_filter, [articles], [articles], api_visibility="private")


def launch_app(
    demo: gr.Blocks,
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    auth: tuple[str, str] | None = None,
    max_file_mb: float = 20.0,
) -> tuple[str, str | None]:
    """Start serving `demo` in the background; (local URL, public share URL or None).
    Uploads larger than `max_file_mb` (RAG_MAX_FILE_MB) are refused by the server."""
    _, local_url, share_url = demo.launch(
        server_name=host, server_port=port, share=share, auth=auth, prevent_thread_lock=True,
        max_file_size=f"{max(1, round(max_file_mb))}mb",
        show_error=False, quiet=True, footer_links=["api"], theme=theme.theme(), css=render.CSS + theme.PAGE_CSS,
        js=theme.PAGE_JS,
    )
    return local_url, share_url
