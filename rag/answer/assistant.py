"""`Assistant`: answers questions from one index, in named steps.

    clean the question -> condense a follow-up -> retrieve -> refuse early? ->
    number the sources -> generate (extractive or LLM) -> parse and check citations

Every refusal rule, threshold and wording is `rag.answer.refusal`'s; which answerer
generates is `rag.answer.answerer`'s.

Heavy parts (model, Chroma, BM25) load on first use; if the index is empty then, the
`rag.bootstrap` plugins (the `ingest` package registers the demo articles) fill it.
`Assistant.add` ingests through the `rag.ingest` plugin (`ingest.api.add_paths`) with the
same loaded model. `Conversation` keeps the turns of one chat; `AnswerStream` is a streamed
answer.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from os import PathLike
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from rag.index.bm25 import Bm25Index, bm25_for_reader
from rag.llm.chat import ChatModel
from rag.llm.factory import build_chat_model
from rag.index.chroma import make_chroma_client
from rag.answer.condense import condense_offline, condense_with_llm
from rag.config import Settings
from rag.index.embeddings import Embedder, build_embedder, embedder_name, reading_name
from rag.index.sentence_store import SENTENCE_STORE_FILE, SentenceStore
from rag.index.memory import release_free_memory
from rag.errors import ConfigurationError, DocumentNotFoundError, EmptyIndexError, InvalidInputError, LLMError, RagError
from rag.answer.answer_model import load_answer_model
from rag.answer.answerer import Answerer, DraftStream, build_answerer, uses_llm
from rag.answer.extractive import Candidate, ExtractiveAnswerer
from rag.filters import filter_arguments
from rag.answer.guard import clean_question
from rag.answer.history import HistoryLike, to_turns
from rag.text.lexical import best_sentence_coverage
from rag.answer.metadata_answer import metadata_draft
from rag.answer.refusal import (
    NOTHING_SUPPORTED_REASON,
    Refusal,
    refusal_for_draft,
    refuse_before_search,
    refuse_nothing_retrieved,
    refuse_weak_coverage,
)
from rag.answer.question_parts import combine_answers, searched_parts, split_question, take_in_turn
from rag.answer.retrieval import FusionConfig, HybridRetriever
from rag.index.store import IndexState, IndexStore
from rag.text.unicode import require_unicode
from rag.types import Answer, Document, DocumentInfo, Draft, Filters, IngestReport, Passage, ReadAhead, Turn, Verdict
from rag.answer.verify import OfflineVerifier, keep_supported, unsupported_note

logger = logging.getLogger(__name__)

FiltersLike = Filters | Mapping[str, object] | None


_READ_AHEAD_CHUNKS = 500  # chunks whose texts are read from the index at a time


@dataclass(frozen=True)
class _Prepared:
    question: str
    standalone: str
    passages: tuple[Passage, ...]
    early: Answer | None  # a refusal decided before generation
    parts: tuple[str, ...] = ()  # a question asking several things, answered offline part by part


class AnswerStream:
    """Iterate for pieces of the answer text as they arrive; then read `.answer`.

    `.answer` may be read at any time: if the stream has not been read to its end, it reads
    the rest first (those pieces are not shown, but they are part of the answer). Stopping
    an iteration early (a `break`) only pauses the stream: iterating again, or `.answer`,
    goes on from there. `close()` ends it for good (the rest of a model's reply is never
    read); `.answer` then raises `RagError`, as does anything after an error, which is
    raised again. One stream is read by one thread.
    """

    def __init__(self, pieces: Iterable[str], finish: Callable[[str], Answer]) -> None:
        self._source = pieces
        self._pieces = iter(pieces)
        self._finish = finish
        self._received: list[str] = []
        self._answer: Answer | None = None
        self._error: Exception | None = None
        self._closed = False

    def __iter__(self) -> Iterator[str]:
        while (piece := self._next()) is not None:
            yield piece

    @property
    def answer(self) -> Answer:
        """The checked `Answer` (reads the rest of the stream first, if need be)."""
        while self._next() is not None:
            pass
        assert self._answer is not None
        return self._answer

    def close(self) -> None:
        """Stop reading: the rest of the reply is dropped, and there will be no `.answer`."""
        if self._answer is not None or self._closed:
            return
        self._closed = True
        for part in (self._pieces, self._source):
            close = getattr(part, "close", None)
            if close is not None:
                close()

    def _next(self) -> str | None:
        """The next piece, or None once the stream is over (its answer made, once)."""
        if self._answer is not None:
            return None
        if self._error is not None:
            raise self._error
        if self._closed:
            raise RagError("This answer stream was closed before its end, so it has no answer; ask again.")
        try:
            piece = next(self._pieces, None)
            if piece is None:
                self._answer = self._finish("".join(self._received))
                return None
        except Exception as exc:  # the same error again on every later read, never a half answer
            self._error = exc
            raise
        except BaseException:  # interrupted (Ctrl-C): the reply's generator is gone
            self._closed = True
            raise
        self._received.append(piece)
        return piece


class Conversation:
    """Questions asked in turn, each a follow-up of the ones before (after `llm`'s
    `Conversation`): `assistant.conversation()`, then `.ask(...)` or `.ask_stream(...)`.

    Every question is asked as `Assistant.ask(question, history=conversation.turns)`
    would ask it, and then appended as a `Turn` (the question as given, the answer's text;
    a refusal too, as a chat shows it). A question that raises is not appended. A stream's
    turn is appended when it has finished (read to the end, or `.answer` read); a closed or
    failed stream adds nothing.

    Not thread-safe: keep one conversation per user (or thread). The `Assistant` behind it
    is shared safely by any number of conversations.
    """

    def __init__(self, assistant: Assistant, history: HistoryLike = ()) -> None:
        self.assistant = assistant
        self._turns: list[Turn] = to_turns(history)

    @property
    def turns(self) -> tuple[Turn, ...]:
        """The earlier exchanges, oldest first."""
        return tuple(self._turns)

    def ask(self, question: str, *, k: int | None = None, filters: FiltersLike = None) -> Answer:
        """`Assistant.ask` with this conversation's turns as history; the turn is appended."""
        answer = self.assistant.ask(question, history=self.turns, k=k, filters=filters)
        self._turns.append(Turn(question, answer.text))
        return answer

    def ask_stream(self, question: str, *, k: int | None = None, filters: FiltersLike = None) -> AnswerStream:
        """`Assistant.ask_stream` with this conversation's turns as history; the turn is
        appended once the stream has finished."""
        stream = self.assistant.ask_stream(question, history=self.turns, k=k, filters=filters)

        def finished(_: str) -> Answer:
            answer = stream.answer
            self._turns.append(Turn(question, answer.text))
            return answer

        return AnswerStream(stream, finished)

    def reset(self) -> None:
        """Forget every turn: the next question starts a new conversation."""
        self._turns.clear()


class Assistant:
    """Answers questions about the articles indexed under `settings`."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        chat_model: ChatModel | None = None,
        auto_seed: bool = True,
        on_seed: Callable[[str], None] | None = None,
    ) -> None:
        """`on_seed`, if given, is called with one plain line for the user just before an
        empty index is filled with the demo articles (the library itself only logs it)."""
        self.settings = settings or Settings()
        self._embedder = embedder
        self._chat_model = chat_model
        self._own_chat_model: ChatModel | None = None  # built here, so closed here
        self._auto_seed = auto_seed
        self._on_seed = on_seed
        self._lock = threading.RLock()
        self._store: IndexStore | None = None
        self._bm25: Bm25Index | None = None
        # The article listing and the generation it was read at: a listing after an ingest
        # reads only the documents that changed (`IndexState.changes_since`).
        self._listing_lock = threading.Lock()
        self._listing: tuple[DocumentInfo, ...] | None = None
        self._listed_generation: str | None = None
        self._retriever: HybridRetriever | None = None
        self._answerer: Answerer | None = None
        self._extractive: ExtractiveAnswerer | None = None
        self._sentences: SentenceStore | None = None
        self._verifier: OfflineVerifier | None = None

    # -- public ------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The embedding model in use (loaded on first access); share it with `ingest_paths`."""
        return self._get_embedder()

    @property
    def chat_model(self) -> ChatModel:
        """The language model in use (started on first access: the OpenAI client, or the
        local llama.cpp server's); share it, e.g. with an LLM judge."""
        return self._get_chat_model()

    @property
    def answerer_name(self) -> str:
        """'extractive' or 'openai:<model>', without loading anything."""
        if self._uses_llm():
            if self._chat_model is not None:
                return self._chat_model.name
            if self.settings.answerer == "local":
                return f"local:{Path(self.settings.local_model).stem}"
            return f"openai:{self.settings.llm_model}"
        return "extractive"

    def ask(self, question: str, history: HistoryLike = (), k: int | None = None, filters: FiltersLike = None) -> Answer:
        """A short answer with `[n]` citations, or a refusal when the articles don't say."""
        prepared = self._prepare(question, history, k, filters)
        if prepared.early is not None:
            return prepared.early
        if prepared.parts:
            return self._ask_in_parts(prepared, history, k, filters)
        return self._finish(prepared, self._generate(prepared))

    def ask_stream(
        self, question: str, history: HistoryLike = (), k: int | None = None, filters: FiltersLike = None
    ) -> AnswerStream:
        """Like `ask`, but the text arrives in pieces; the checked `Answer` comes at the end."""
        prepared = self._prepare(question, history, k, filters)
        early = prepared.early
        if early is None and prepared.parts:  # quoted offline: nothing to show before the whole
            early = self._ask_in_parts(prepared, history, k, filters)
        if early is not None:
            whole = early
            return AnswerStream(iter([whole.text]), lambda _: whole)
        reply = self._get_answerer().stream(prepared.standalone, prepared.passages, asked=prepared.question)
        if reply is None:  # nothing to show before the whole draft: the finished answer, in one piece
            answer = self._finish(prepared, self._generate(prepared))
            return AnswerStream(iter([answer.text]), lambda _: answer)
        fallback: list[Answer] = []
        return AnswerStream(
            self._live_pieces(reply, prepared, fallback),
            lambda text: fallback[0] if fallback else self._finish(prepared, reply.draft(text)),
        )

    def conversation(self, history: HistoryLike = ()) -> Conversation:
        """A `Conversation`: ask in turn, each question a follow-up of the earlier ones
        (starting from `history`, if given), without passing the history yourself."""
        return Conversation(self, history)

    def add(
        self,
        paths: str | PathLike[str] | Sequence[str | PathLike[str]],
        *,
        replace: bool = False,
        follow_links: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> IngestReport:
        """Index the articles in these files and folders (as `rag ingest` does, under the
        same write lock) with this assistant's own embedding model; the next question
        already searches them. Returns the `IngestReport`.

        A path that does not exist, or a file of a kind that cannot be read (supported:
        .txt, .md, .html/.htm, .jsonl), is an `InvalidInputError` before anything is
        written. A file inside a folder (or a JSON line) that cannot be read is listed in
        `report.problems`, the rest indexed, as `rag ingest` does. `replace` and
        `follow_links` are `rag ingest`'s --replace and --follow-links; `progress` is
        called with (documents done, documents in total).
        """
        plugin = next((p for p in entry_points(group="rag.ingest") if p.name == "paths"), None)
        if plugin is None:
            raise ConfigurationError(
                "Adding articles needs the `ingest` package's `rag.ingest` plugin, which is not "
                "installed: reinstall newsrag (`pip install -e .`), or use `rag ingest PATH`."
            )
        add_paths = plugin.load()
        report: IngestReport = add_paths(
            self.settings, self._get_embedder(), paths, replace=replace, follow_links=follow_links, progress=progress
        )
        self.refresh()
        return report

    def rank_sentences(
        self, question: str, history: HistoryLike = (), k: int | None = None, filters: FiltersLike = None
    ) -> list[Candidate]:
        """Every sentence of the passages retrieved for `question`, with the offline
        answerer's claim check, features and probability, best first: what its answer or
        refusal is decided on (for explaining an answer, and for fitting the answer model)."""
        prepared = self._prepare(question, history, k, filters)
        return self._offline_answerer().rank(prepared.standalone, prepared.passages, asked=prepared.question)

    def read_ahead(self, progress: Callable[[int, int], None] | None = None) -> ReadAhead:
        """Reads every indexed sentence ahead of questions and keeps its vector on disk (in the
        data dir, `sentence-vectors.sqlite3`), so a first question about any article reads
        only the few sentences its answer is chosen among (offline: about twice as fast). Sentences
        kept already are skipped: run it again after an ingest. `progress(done, total)` counts
        chunks. Interrupted, it keeps what it read."""
        store = self._get_store()
        answerer = self._offline_answerer()
        chunk_ids = store.committed_chunk_ids()
        sentences = read = 0
        seen: set[int] = set()  # a sentence in two pages (overlapping chunks, repeated lines) counts once
        for lo in range(0, len(chunk_ids), _READ_AHEAD_CHUNKS):
            page = chunk_ids[lo : lo + _READ_AHEAD_CHUNKS]
            done = answerer.read_ahead(store.chunk_texts(page).values(), seen)
            sentences, read = sentences + done.sentences, read + done.read
            if progress is not None:
                progress(lo + len(page), len(chunk_ids))
        return ReadAhead(sentences=sentences, read=read)

    def retrieve(self, query: str, k: int | None = None, filters: FiltersLike = None) -> list[Passage]:
        """The passages that best match `query`, best first."""
        return self._get_retriever().retrieve(clean_question(query), self._k(k), to_filters(filters))

    def get_document(self, doc_id: str) -> Document:
        """The stored document, with the full text every passage's offsets refer to."""
        document = self._get_store().get_document(require_unicode(doc_id, "The doc_id"))
        if document is None:
            raise DocumentNotFoundError(f"No indexed document has the id {doc_id!r}.")
        return document

    def list_documents(self) -> list[DocumentInfo]:
        """Every indexed document (doc_id, title, source, published, ...), by title.

        The listing is kept: asked again, it costs one read of the index's markers when
        nothing changed, and a read of the changed documents after an ingest that recorded
        them; only otherwise (another writer's big ingest, a repair) are all records read.
        """
        store = self._get_store()
        with self._listing_lock:
            state = store.index_state()
            changed = state.changes_since(self._listed_generation) if self._listing is not None else None
            if changed is None:
                documents = store.documents()
            elif changed:
                demo = store.demo_documents()
                kept = [d if d.demo == (d.doc_id in demo) else replace(d, demo=d.doc_id in demo)
                        for d in self._listing or () if d.doc_id not in changed]
                documents = kept + store.documents_of(changed)
            else:
                documents = list(self._listing or ())
            documents.sort(key=lambda d: d.title)
            self._listing, self._listed_generation = tuple(documents), state.generation
            return documents

    def refresh(self) -> None:
        """Pick up documents ingested since this assistant opened the index.

        Called automatically (at most every `GENERATION_CHECK_SECONDS`) when another
        process or app instance published changes to a shared index.
        """
        with self._lock:
            if self._store is not None:
                if self._retriever is None:
                    self._get_retriever()  # builds from the index as it is now
                    return
                state = self._store.index_state()
                self._retriever.refresh(self._read_bm25(self._store, state))
                self._seen_generation = state.generation  # only once everything is in line

    # -- steps -------------------------------------------------------------------

    def _prepare(self, question: str, history: HistoryLike, k: int | None, filters: FiltersLike) -> _Prepared:
        asked, question = question, clean_question(question)
        turns = to_turns(history)
        k, filters = self._k(k), to_filters(filters)
        refusal = refuse_before_search(asked)  # as sent: the check reads invisible characters both ways
        if refusal is not None:
            return _Prepared(question, question, (), self._refused(question, question, (), refusal))
        parts = () if self._uses_llm() else split_question(question)
        if len(parts) > 1:  # each part is searched and answered on its own: `_ask_in_parts`
            return _Prepared(question, question, (), None, parts)
        standalone = self._condense(question, turns)
        standalone_parts = split_question(standalone)  # (standalone,) unless it asks several things
        passages = tuple(self._search(standalone_parts, k, filters))
        if not passages:
            refusal = refuse_nothing_retrieved(filtered=filters is not None and not filters.is_empty)
            return _Prepared(question, standalone, (), self._refused(question, standalone, (), refusal))
        about_article = metadata_draft(standalone, passages, self.get_document)
        if about_article is not None:  # who wrote it, when, which outlet: from the document itself
            prepared = _Prepared(question, standalone, passages, None)
            return replace(prepared, early=self._finish(prepared, replace(about_article, answerer="metadata")))
        if self._uses_llm():
            # asking several things: refused only when no part is covered
            texts = [p.text for p in passages]
            coverage = max(best_sentence_coverage(part, texts, self._bm25_idf) for part in standalone_parts)
            refusal = refuse_weak_coverage(coverage, [p.title for p in passages])
            if refusal is not None:
                return _Prepared(question, standalone, passages, self._refused(question, standalone, passages, refusal))
        return _Prepared(question, standalone, passages, None)

    def _search(self, asked: Sequence[str], k: int, filters: Filters | None) -> list[Passage]:
        """The passages for the standalone question (`asked`, its parts when it asks several
        things: an LLM answers it whole, so it gets every part's best passages in turn)."""
        retriever = self._get_retriever()
        if len(asked) == 1:
            return retriever.retrieve(asked[0], k, filters)
        return take_in_turn([retriever.retrieve(part, k, filters) for part in searched_parts(asked)], max(k, len(asked)))

    def _ask_in_parts(self, prepared: _Prepared, history: HistoryLike, k: int | None, filters: FiltersLike) -> Answer:
        """A question asking several things (`rag.answer.question_parts`), asked part by part
        as a conversation, so a later part can refer to an earlier one; one answer of all."""
        turns = to_turns(history)
        answers = []
        for part in prepared.parts:
            answer = self.ask(part, turns, k, filters)
            answers.append(answer)
            turns.append(Turn(part, answer.text))
        return combine_answers(prepared.question, answers)

    def _generate(self, prepared: _Prepared) -> Draft:
        try:
            return self._get_answerer().answer(prepared.standalone, prepared.passages, asked=prepared.question)
        except LLMError as exc:  # only a language model's answerer raises it
            if not self.settings.llm_fallback:
                raise
            return self._answer_offline(prepared, exc)

    def _live_pieces(self, reply: DraftStream, prepared: _Prepared, fallback: list[Answer]) -> Iterator[str]:
        """The model's pieces; if it fails before the first one and RAG_LLM_FALLBACK is on,
        the offline answer instead (after a piece has been shown, the error stands)."""
        started = False
        try:
            for piece in reply:
                started = True
                yield piece
        except LLMError as exc:
            if started or not self.settings.llm_fallback:
                raise
            fallback.append(self._finish(prepared, self._answer_offline(prepared, exc)))
            yield fallback[0].text

    def _answer_offline(self, prepared: _Prepared, failure: LLMError) -> Draft:
        logger.warning("The LLM service failed (%s); answering offline", failure)
        draft = self._offline_answerer().answer(prepared.standalone, prepared.passages, asked=prepared.question)
        note = f"the LLM service failed, so this answer is extractive: {failure}"
        return replace(draft, warnings=(*draft.warnings, note), answerer="extractive (LLM fallback)")

    def _condense(self, question: str, turns: Sequence[Turn]) -> str:
        if self._uses_llm():
            return condense_with_llm(question, turns, self._get_chat_model())
        return condense_offline(question, turns)

    def _finish(self, prepared: _Prepared, draft: Draft) -> Answer:
        answer = self._checked(prepared, draft)
        # The model's buffers for this question's sentences are free now: handed back, or a
        # long-running app grows with every question (30 questions at 45,506 chunks: +131 MB
        # without, +11 MB with, for ~4 ms each; rag.index.memory).
        release_free_memory()
        return answer

    def _checked(self, prepared: _Prepared, draft: Draft) -> Answer:
        """The answer for `draft`: each claim verified, or the refusal it calls for."""
        verdicts: tuple[Verdict, ...] = ()
        if draft.written and not draft.refused:
            draft, verdicts = self._verified(draft)
        refusal = refusal_for_draft(draft, [p.title for p in prepared.passages])
        if refusal is not None:
            answer = self._refused(prepared.question, prepared.standalone, prepared.passages, refusal)
            return replace(answer, warnings=draft.warnings, evidence=draft.evidence, answerer=draft.answerer or answer.answerer)
        return Answer(
            question=prepared.question,
            standalone_question=prepared.standalone,
            text=draft.text,
            refused=draft.refused,
            citations=draft.citations,
            passages=prepared.passages,
            answerer=draft.answerer or self.answerer_name,
            warnings=draft.warnings,
            refusal_reason=draft.reason if draft.refused else "",
            evidence=draft.evidence,
            fact=draft.fact,
            partial=draft.partial,
            verdicts=verdicts,
        )

    def _verified(self, draft: Draft) -> tuple[Draft, tuple[Verdict, ...]]:
        """Every sentence a model wrote, checked against the sentences it cites: an
        unsupported one is named in the warnings, or with RAG_STRICT dropped (a refusal when
        none is left). A sentence the model left uncited was given its best-matching source
        by the citation check; here that source must support it too, or it is flagged."""
        with self._lock:
            if self._verifier is None:
                self._verifier = OfflineVerifier(self._get_embedder())
            verifier = self._verifier
        verdicts = verifier.verify_text(draft.text, draft.citations).verdicts
        unsupported = [v for v in verdicts if not v.supported]
        if not unsupported:
            return draft, verdicts
        if self.settings.strict:
            text, citations, kept = keep_supported(draft.text, draft.citations, verdicts)
            note = f"RAG_STRICT: dropped {len(unsupported)} sentence(s) its sources do not support"
            if not kept:
                return replace(draft, refused=True, reason=NOTHING_SUPPORTED_REASON,
                               warnings=(*draft.warnings, note)), ()
            return replace(draft, text=text, citations=citations, warnings=(*draft.warnings, note)), kept
        flagged = tuple(unsupported_note(v) for v in unsupported)
        return replace(draft, warnings=(*draft.warnings, *flagged)), verdicts

    def _refused(self, question: str, standalone: str, passages: Sequence[Passage], refusal: Refusal) -> Answer:
        logger.info("Refused %r: %s", question, refusal.reason)
        return Answer(question, standalone, refusal.text, True, (), tuple(passages), self.answerer_name, (), refusal.reason)

    def _k(self, k: int | None) -> int:
        if k is None:
            return self.settings.top_k
        if isinstance(k, bool) or not isinstance(k, int):
            raise InvalidInputError(f"k must be a whole number, not {k!r}")
        return k

    # -- lazily built collaborators ------------------------------------------------

    def _uses_llm(self) -> bool:
        return uses_llm(self.settings, chat_model_given=self._chat_model is not None)

    def _bm25_idf(self, term: str) -> float:
        self._get_retriever()
        return self._bm25.idf(term) if self._bm25 is not None else 0.0

    def _get_embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = build_embedder(self.settings)
            return self._embedder

    def _get_store(self) -> IndexStore:
        with self._lock:
            if self._store is None:
                # The store is checked before the model loads: an unreachable server or a
                # model mismatch fails in a moment, not after seconds of loading weights.
                name = self._embedder.name if self._embedder is not None else embedder_name(self.settings)
                store = IndexStore(make_chroma_client(self.settings), self.settings, name)
                if store.count_documents() == 0:
                    self._fill_empty_index(self._get_embedder())
                    if store.count_documents() == 0:
                        raise EmptyIndexError(
                            f"The index in {self.settings.data_dir} is empty. Add articles with "
                            "`rag ingest PATH` (or point RAG_DATA_DIR / --data-dir at an existing index)."
                        )
                self._store = store
            return self._store

    def _fill_empty_index(self, embedder: Embedder) -> None:
        if not self._auto_seed:
            return
        plugins = list(entry_points(group="rag.bootstrap"))
        if not plugins:
            return
        settings = self.settings
        where = (f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} (collection "
                 f"{settings.collection!r})" if settings.server_mode else str(settings.data_dir))
        notice = (f"No articles indexed yet in {where}: indexing the two demo articles to try it with. "
                  "They leave by themselves when you add your own (`rag ingest PATH`).")
        logger.info("%s", notice)
        if self._on_seed is not None:
            self._on_seed(notice)
        for plugin in plugins:
            logger.info("%s", plugin.load()(settings, embedder))

    # Other processes (or app instances on a shared Chroma server) announce their writes
    # with a generation marker; it is checked (one cheap call) at most this often.
    GENERATION_CHECK_SECONDS = 1.0
    _seen_generation: str | None = None
    _generation_checked_at = 0.0

    def _follow_other_writers(self) -> None:
        import time

        now = time.monotonic()
        if self._store is None or now - self._generation_checked_at < self.GENERATION_CHECK_SECONDS:
            return
        self._generation_checked_at = now
        if self._store.generation() != self._seen_generation:
            logger.info("The index changed since it was loaded: refreshing.")
            self.refresh()

    def _get_retriever(self) -> HybridRetriever:
        import time

        with self._lock:
            if self._retriever is not None:
                self._follow_other_writers()
            if self._retriever is None:
                store = self._get_store()
                state = store.index_state()
                bm25 = self._read_bm25(store, state)
                self._seen_generation = state.generation
                self._generation_checked_at = time.monotonic()
                fusion = FusionConfig(
                    method=self.settings.fusion,
                    bm25_weight=self.settings.bm25_weight,
                    candidates=self.settings.retrieval_candidates,
                )
                self._retriever = HybridRetriever(store, bm25, self._get_embedder(), fusion, documents=self.list_documents)
            return self._retriever

    def _read_bm25(self, store: IndexStore, state: IndexState) -> Bm25Index:
        """The keyword index for `state` (read just before); the one held, for the generation
        last seen, is brought up to date when the state says what changed since."""
        self._bm25 = bm25_for_reader(store, self.settings.data_dir / "bm25", state,
                                     held=self._bm25, seen=self._seen_generation)
        return self._bm25

    def _get_chat_model(self) -> ChatModel:
        with self._lock:
            if self._chat_model is None:
                # One model (with RAG_ANSWERER=local, one llama.cpp server) per assistant: the
                # UI's workers share the app's assistant.
                self._chat_model = self._own_chat_model = build_chat_model(self.settings)
            return self._chat_model

    def close(self) -> None:
        """Stop the local model server, if this assistant started one (also done at exit),
        and close the file of kept sentence vectors."""
        with self._lock:
            close = getattr(self._own_chat_model, "close", None)
            if close is not None:
                close()
            if self._sentences is not None:
                self._sentences.close()  # an answer after this reads its sentences, as without it

    def _get_answerer(self) -> Answerer:
        with self._lock:
            if self._answerer is None:
                self._get_retriever()
                self._answerer = build_answerer(self._uses_llm(), self._get_chat_model, self._offline_answerer)
            return self._answerer

    def _offline_answerer(self) -> ExtractiveAnswerer:
        with self._lock:
            if self._extractive is None:
                self._get_retriever()
                embedder = self._get_embedder()
                if self.settings.sentence_store:
                    self._sentences = SentenceStore.open(
                        self.settings.data_dir / SENTENCE_STORE_FILE, reading_name(embedder), embedder.dimension
                    )
                self._extractive = ExtractiveAnswerer(
                    embedder,
                    self._bm25_idf,
                    lambda versions: self._get_store().document_texts(versions),
                    cache_size=self.settings.sentence_cache,
                    min_evidence=self.settings.min_evidence,
                    model=load_answer_model(self.settings.answer_model),
                    store=self._sentences,
                )
            return self._extractive


def to_filters(filters: FiltersLike) -> Filters | None:
    """Filters from a `Filters` or a plain mapping of its fields; `Filters` checks the values."""
    if filters is None or isinstance(filters, Filters):
        return filters
    return Filters(**filter_arguments(filters))  # type: ignore[arg-type]
