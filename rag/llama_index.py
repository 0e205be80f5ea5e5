"""newsrag inside LlamaIndex, and LlamaIndex's language models inside newsrag.

    from rag.llama_index import LlamaIndexChatModel, NewsQueryEngine, NewsRetriever

    NewsRetriever(assistant, k=5)          # a llama-index BaseRetriever over our hybrid search
    NewsQueryEngine(assistant)             # a llama-index query engine over Assistant.ask
    Assistant(settings, chat_model=LlamaIndexChatModel(llm))   # any llama-index LLM answers

Every node is an exact span of a stored document: `node.text ==
get_document(node.metadata["doc_id"]).text[node.start_char_idx:node.end_char_idx]`.
The engine's source nodes are the answer's citations (the cited spans, in `[n]` order), and
the whole checked `Answer` is `response.metadata["answer"]`.

Importing this module imports llama_index.core (it is what the module is for) but loads no
model and opens no index: that happens on the first retrieval or question.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator, Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

try:
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.base.llms.types import ChatMessage as LlamaChatMessage, MessageRole
    from llama_index.core.base.response.schema import AsyncStreamingResponse, Response, StreamingResponse
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.llms.llm import LLM
    from llama_index.core.query_engine import CustomQueryEngine
    from llama_index.core.query_engine.custom import STR_OR_RESPONSE_TYPE
    from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
    from llama_index.core.vector_stores.types import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters
except ImportError as exc:  # pragma: no cover - llama-index-core is a dependency today
    raise ImportError(f"rag.llama_index needs llama-index-core: pip install llama-index-core ({exc})") from exc

from rag._offline import keep_libraries_offline
from rag.answer.assistant import Assistant
from rag.api import default_assistant
from rag.config import Settings
from rag.errors import InvalidInputError, LLMError, LLMReplyCutError, RagError
from rag.filters import day
from rag.llm.chat import ChatMessage
from rag.types import Answer, Citation, DocumentInfo, Filters, MetadataValue, Passage

keep_libraries_offline()  # llama-index's tokenizer reads its bundled tiktoken files, never downloads

__all__ = ["LlamaIndexChatModel", "NewsQueryEngine", "NewsRetriever", "answer_response", "to_news_filters"]

AssistantLike = Assistant | Settings | None
FiltersArg = MetadataFilters | Filters | Mapping[str, object] | None
_ROLES = {"system": MessageRole.SYSTEM, "user": MessageRole.USER, "assistant": MessageRole.ASSISTANT}
# What the doc_ids filter holds when the llama-index filters can match no document (two
# different doc_ids both required, a title no document has): retrieval then finds nothing.
NO_MATCH_DOC_ID = "(no document matches the llama-index filters)"


def _assistant(source: AssistantLike) -> Assistant:
    if isinstance(source, Assistant):
        return source
    if source is None:
        return default_assistant()  # the one `rag.ask` uses (settings from the environment)
    if isinstance(source, Settings):
        return Assistant(source)
    raise InvalidInputError(f"Expected a rag.Assistant or rag.Settings (or None), not {type(source).__name__}")


# -- nodes ------------------------------------------------------------------------------


def _document_metadata(assistant: Assistant, cache: dict[str, dict[str, MetadataValue]], doc_id: str,
                       passage: Passage) -> dict[str, MetadataValue]:
    """The flat llama-index metadata of a passage's document: doc_id, title, source, and
    authors ("; "-joined), published (YYYY-MM-DD) and url when the article has them."""
    if doc_id not in cache:
        stored = assistant.get_document(doc_id).metadata
        metadata: dict[str, MetadataValue] = {"doc_id": doc_id, "title": passage.title, "source": passage.source}
        for key in ("authors", "published", "url"):
            if stored.get(key) not in (None, ""):
                metadata[key] = stored[key]
        if passage.published and "published" not in metadata:
            metadata["published"] = passage.published
        cache[doc_id] = metadata
    return dict(cache[doc_id])


def _node(
    node_id: str, text: str, start: int, end: int, metadata: dict[str, MetadataValue], score: float
) -> NodeWithScore:
    node = TextNode(
        id_=node_id,
        text=text,
        start_char_idx=start,
        end_char_idx=end,
        metadata=metadata,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=str(metadata["doc_id"]))},
    )
    return NodeWithScore(node=node, score=score)


def passage_nodes(assistant: Assistant, passages: Sequence[Passage]) -> list[NodeWithScore]:
    """One node per passage: id = chunk id, text = the passage, offsets into its document."""
    cache: dict[str, dict[str, MetadataValue]] = {}
    return [
        _node(p.chunk_id, p.text, p.start, p.end,
              {**_document_metadata(assistant, cache, p.doc_id, p), "chunk_id": p.chunk_id}, p.score)
        for p in passages
    ]


def citation_nodes(assistant: Assistant, citations: Sequence[Citation]) -> list[NodeWithScore]:
    """One node per citation `[n]`, in order: the cited span (often one sentence of the
    passage), with offsets into its document; metadata adds `citation` (n) and `chunk_id`."""
    cache: dict[str, dict[str, MetadataValue]] = {}
    return [
        _node(f"{c.chunk_id}:{c.start}-{c.end}", c.text, c.start, c.end,
              {**_document_metadata(assistant, cache, c.doc_id, c.passage), "chunk_id": c.chunk_id, "citation": c.n},
              c.score)
        for c in citations
    ]


def _answer_metadata(answer: Answer) -> dict[str, Any]:
    return {"answer": answer, "refused": answer.refused, "answerer": answer.answerer,
            "warnings": list(answer.warnings)}


def answer_response(assistant: Assistant, answer: Answer) -> Response:
    """Our `Answer` as a llama-index `Response`: its text, one source node per citation, and
    the whole answer in `metadata["answer"]` (a refusal has no source nodes)."""
    return Response(response=answer.text, source_nodes=citation_nodes(assistant, answer.citations),
                    metadata=_answer_metadata(answer))


# -- filters ----------------------------------------------------------------------------

_SUPPORTED = (
    "newsrag maps doc_id and source (==, in), title (==, in, text_match, text_match_insensitive) and "
    "published (==, >, >=, <, <= an ISO date YYYY-MM-DD), combined with AND, or with OR over the "
    "values of one doc_id or source"
)


def _describe(f: MetadataFilter | MetadataFilters) -> str:
    """`doc_id == 'a'`; a group as `(doc_id == 'a' or source == 'x')`, `not (...)`."""
    if isinstance(f, MetadataFilter):
        return f"{f.key} {f.operator.value} {f.value!r}"
    condition = (f.condition or FilterCondition.AND).value
    inner = [_describe(item) for item in f.filters]
    if condition == FilterCondition.NOT.value:
        return f"not ({' and '.join(inner)})"
    return f"({f' {condition} '.join(inner)})"


def _unmappable(f: MetadataFilter | MetadataFilters, why: str = "") -> InvalidInputError:
    return InvalidInputError(f"The llama-index filter {_describe(f)} has no newsrag equivalent{why}; {_SUPPORTED}.")


@dataclass
class _Plan:
    """What a set of AND-ed llama-index filters asks for, before documents are looked at."""

    names: dict[str, set[str]] = field(default_factory=dict)  # "doc_id"/"source" -> allowed values
    title_tests: list[Callable[[str], bool]] = field(default_factory=list)  # need the documents' titles
    title_substring: str | None = None  # case-insensitive: newsrag's own `titles` filter
    published_from: str | None = None
    published_to: str | None = None

    def restrict(self, key: str, values: set[str]) -> None:
        self.names[key] = self.names[key] & values if key in self.names else set(values)


def _strings(f: MetadataFilter) -> set[str]:
    values = f.value if isinstance(f.value, list) else [f.value]
    if f.operator == FilterOperator.EQ and isinstance(f.value, list):
        raise _unmappable(f, " (== takes one value: use `in` for a list)")
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise _unmappable(f, " (its value must be non-empty text)")
    return {str(v) for v in values}


def _add(plan: _Plan, f: MetadataFilter) -> None:
    op = f.operator
    if f.key in ("doc_id", "source") and op in (FilterOperator.EQ, FilterOperator.IN):
        plan.restrict(f.key, _strings(f))
    elif f.key == "title" and op in (FilterOperator.EQ, FilterOperator.IN):
        wanted = _strings(f)
        plan.title_tests.append(lambda title: title in wanted)
    elif f.key == "title" and op in (FilterOperator.TEXT_MATCH, FilterOperator.TEXT_MATCH_INSENSITIVE):
        if isinstance(f.value, list):
            raise _unmappable(f, f" ({op.value} takes one value)")
        (part,) = _strings(f)
        if op == FilterOperator.TEXT_MATCH:  # case-sensitive: checked on the titles themselves
            plan.title_tests.append(lambda title: part in title)
        elif plan.title_substring is None:  # newsrag's own titles filter: case-insensitive substring
            plan.title_substring = part
        else:  # that filter means "any of", so a second part is checked on the titles
            plan.title_tests.append(lambda title: part.lower() in title.lower())
    elif f.key == "published" and op in (FilterOperator.EQ, FilterOperator.GT, FilterOperator.GTE,
                                         FilterOperator.LT, FilterOperator.LTE):
        _add_date(plan, f)
    else:
        raise _unmappable(f)


def _add_date(plan: _Plan, f: MetadataFilter) -> None:
    if not isinstance(f.value, str):
        raise _unmappable(f, " (published takes an ISO date string, YYYY-MM-DD)")
    value = day("published", f.value)
    assert value is not None
    one_day = dt.timedelta(days=1)
    if f.operator in (FilterOperator.EQ, FilterOperator.GT, FilterOperator.GTE):
        start = (dt.date.fromisoformat(value) + one_day).isoformat() if f.operator == FilterOperator.GT else value
        plan.published_from = max(plan.published_from or start, start)
    if f.operator in (FilterOperator.EQ, FilterOperator.LT, FilterOperator.LTE):
        end = (dt.date.fromisoformat(value) - one_day).isoformat() if f.operator == FilterOperator.LT else value
        plan.published_to = min(plan.published_to or end, end)


def _collect(plan: _Plan, filters: MetadataFilters) -> None:
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        for item in filters.filters:
            if isinstance(item, MetadataFilters):
                _collect(plan, item)
            else:
                _add(plan, item)
        return
    # OR maps only as a union of the values of one doc_id or source: {"doc_id": a} OR {"doc_id": b}
    items = filters.filters
    keys = {getattr(item, "key", None) for item in items}
    if condition != FilterCondition.OR or len(keys) != 1 or not keys <= {"doc_id", "source"} or not all(
        isinstance(item, MetadataFilter) and item.operator in (FilterOperator.EQ, FilterOperator.IN) for item in items
    ):
        raise _unmappable(filters)
    union: set[str] = set()
    for item in items:
        assert isinstance(item, MetadataFilter)
        union |= _strings(item)
    plan.restrict(str(keys.pop()), union)


def check_metadata_filters(filters: MetadataFilters) -> None:
    """Raise `InvalidInputError` naming the first filter newsrag cannot apply (no index is read)."""
    _collect(_Plan(), filters)


def to_news_filters(
    filters: MetadataFilters, documents: Callable[[], Sequence[DocumentInfo]] | None = None
) -> Filters:
    """newsrag `Filters` that select exactly the documents llama-index `filters` describe.

    A filter newsrag cannot apply raises `InvalidInputError` naming it (none is ever dropped).
    Exact title tests (`==`, `in`, `text_match`) read the documents' titles: `documents`
    (e.g. `assistant.list_documents`) is called for them. Filters no document can satisfy
    give `Filters(doc_ids=(NO_MATCH_DOC_ID,))`, which retrieves nothing.
    """
    plan = _Plan()
    _collect(plan, filters)
    doc_ids = plan.names.get("doc_id")
    if plan.title_tests:
        if documents is None:
            raise InvalidInputError("Exact title filters need the indexed documents: pass documents=")
        titled = {d.doc_id for d in documents() if all(test(d.title) for test in plan.title_tests)}
        doc_ids = titled if doc_ids is None else doc_ids & titled
    if doc_ids is not None and not doc_ids or "source" in plan.names and not plan.names["source"]:
        doc_ids = {NO_MATCH_DOC_ID}
    return Filters(
        doc_ids=tuple(sorted(doc_ids or ())),
        sources=tuple(sorted(plan.names.get("source", ()))),
        titles=(plan.title_substring,) if plan.title_substring else (),
        published_from=plan.published_from,
        published_to=plan.published_to,
    )


def _resolve_filters(assistant: Assistant, filters: FiltersArg) -> Filters | Mapping[str, object] | None:
    if isinstance(filters, MetadataFilters):
        return to_news_filters(filters, assistant.list_documents)
    return filters


def _check_filters(filters: object) -> None:
    if isinstance(filters, MetadataFilters):
        check_metadata_filters(filters)
    elif filters is not None and not isinstance(filters, (Filters, Mapping)):
        raise InvalidInputError(
            f"filters must be llama-index MetadataFilters, a rag.Filters or a mapping, not {type(filters).__name__}"
        )


# -- retriever --------------------------------------------------------------------------


class NewsRetriever(BaseRetriever):
    """newsrag's hybrid retrieval (dense + BM25) as a llama-index retriever.

    Each `NodeWithScore` holds a `TextNode`: id = the chunk id, text = the passage,
    `start_char_idx`/`end_char_idx` = its offsets in the stored document, `ref_doc_id` = the
    doc id, metadata = doc_id, title, source, chunk_id, and authors/published/url when known.
    `filters`: llama-index `MetadataFilters` (see `to_news_filters`), a `rag.Filters`, or
    its mapping ({"titles": "Kursk"}); an unmappable filter is an `InvalidInputError` here.
    """

    def __init__(
        self,
        assistant: AssistantLike = None,
        *,
        k: int | None = None,
        filters: FiltersArg = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        _check_filters(filters)
        super().__init__(callback_manager=callback_manager, verbose=verbose)
        self.assistant = _assistant(assistant)
        self.k = k
        self.filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        filters = _resolve_filters(self.assistant, self.filters)
        passages = self.assistant.retrieve(query_bundle.query_str, k=self.k, filters=filters)
        return passage_nodes(self.assistant, passages)

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)


# -- query engine -----------------------------------------------------------------------


class NewsQueryEngine(CustomQueryEngine):
    """newsrag's answer pipeline (`Assistant.ask`) as a llama-index query engine.

    `query` returns a `Response`: `response` = the answer text with `[n]` markers,
    `source_nodes` = one node per citation (the cited span, offsets into its document,
    `metadata["citation"]` = n), `metadata["answer"]` = our checked `Answer` (plus `refused`,
    `answerer`, `warnings`). A refusal has its text and no source nodes.

    `streaming=True`: a `StreamingResponse` (from `aquery`, an `AsyncStreamingResponse`)
    whose generator yields `Assistant.ask_stream`'s pieces. Its `source_nodes` list and
    `metadata` dict are filled in place when the generator ends (they are empty until then).
    With a language model the streamed pieces are its raw reply; the checked text (citations
    renumbered, unsupported sentences dropped under RAG_STRICT) is `metadata["answer"].text`,
    and also `response_txt` when you iterate `response_gen` yourself.
    """

    assistant: Any
    k: int | None = None
    filters: Any = None
    streaming: bool = False

    def __init__(self, assistant: AssistantLike = None, **data: Any) -> None:
        _check_filters(data.get("filters"))
        super().__init__(assistant=_assistant(assistant), **data)  # type: ignore[call-arg]  # pydantic fields

    def custom_query(self, query_str: str) -> STR_OR_RESPONSE_TYPE:
        if self.streaming:
            return self._stream(query_str)
        return answer_response(self.assistant, self.assistant.ask(query_str, k=self.k, filters=self._filters()))

    async def acustom_query(self, query_str: str) -> STR_OR_RESPONSE_TYPE:
        if not self.streaming:
            return await asyncio.to_thread(self.custom_query, query_str)
        sync = await asyncio.to_thread(self._stream, query_str)
        pieces = sync.response_gen
        done = object()

        async def agen() -> AsyncGenerator[str, None]:
            while True:
                piece = await asyncio.to_thread(next, pieces, done)
                if piece is done:
                    break
                yield str(piece)

        # the same list and dict objects: filled when the underlying stream ends
        return AsyncStreamingResponse(response_gen=agen(), source_nodes=sync.source_nodes, metadata=sync.metadata)

    def _filters(self) -> Filters | Mapping[str, object] | None:
        return _resolve_filters(self.assistant, self.filters)

    def _stream(self, query_str: str) -> StreamingResponse:
        stream = self.assistant.ask_stream(query_str, k=self.k, filters=self._filters())
        source_nodes: list[NodeWithScore] = []
        metadata: dict[str, Any] = {}

        def pieces() -> Generator[str, None, None]:
            yield from stream
            answer = stream.answer
            source_nodes.extend(citation_nodes(self.assistant, answer.citations))
            metadata.update(_answer_metadata(answer))
            response.response_txt = answer.text

        response = StreamingResponse(response_gen=pieces(), source_nodes=source_nodes, metadata=metadata)
        return response


# -- a llama-index LLM as our chat model ----------------------------------------------------


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def _stop_reason(raw: Any) -> str | None:
    """Why the reply ended, where the provider says: OpenAI's finish_reason, Anthropic's and
    Bedrock's stop_reason / stopReason, Ollama's done_reason."""
    if raw is None:
        return None
    choices = _field(raw, "choices")
    if choices:
        reason = _field(choices[0], "finish_reason")
        if reason:
            return str(reason)
    for name in ("stop_reason", "stopReason", "done_reason"):
        reason = _field(raw, name)
        if reason:
            return str(reason)
    return None


_CUT_REASONS = {"length", "max_tokens"}


class LlamaIndexChatModel:
    """Any llama-index `LLM` (Anthropic, Ollama, Azure OpenAI, Bedrock, OpenAILike, ...) as
    newsrag's `ChatModel`: `Assistant(settings, chat_model=LlamaIndexChatModel(llm))`.

    `complete` is `llm.chat`, `stream` is `llm.stream_chat`. Retries, timeouts and the
    temperature are the LLM's own settings (set its temperature to 0 for answering); its
    failures become `LLMError` naming the model. A reply the provider reports as cut at its
    output cap (finish/stop reason "length" or "max_tokens") is an `LLMReplyCutError`, so only
    its complete sentences are kept. The answers still go through newsrag's citation check
    and sentence verifier.
    """

    def __init__(self, llm: LLM, name: str | None = None) -> None:
        if not isinstance(llm, LLM):
            raise InvalidInputError(f"LlamaIndexChatModel needs a llama-index LLM, not {type(llm).__name__}")
        self.llm = llm
        self.name = name or f"llama-index:{_model_name(llm)}"

    def complete(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> str:
        try:
            response = self.llm.chat(_to_llama(messages))
        except RagError:
            raise
        except Exception as exc:
            raise self._error(exc) from exc
        text = response.message.content or ""
        if _stop_reason(response.raw) in _CUT_REASONS:
            raise LLMReplyCutError(f"{self.name} cut its reply at its output limit.", text)
        if not text.strip():
            raise LLMError(f"The language model {self.name} gave an empty reply.")
        return text

    def stream(self, messages: Sequence[ChatMessage], *, temperature: float = 0.0) -> Iterator[str]:
        received: list[str] = []
        reason: str | None = None
        try:
            for chunk in self.llm.stream_chat(_to_llama(messages)):
                reason = _stop_reason(chunk.raw) or reason
                if chunk.delta:
                    received.append(chunk.delta)
                    yield chunk.delta
        except RagError:
            raise
        except Exception as exc:
            raise self._error(exc) from exc
        if reason in _CUT_REASONS:
            raise LLMReplyCutError(f"{self.name} cut its reply at its output limit.", "".join(received))
        if not "".join(received).strip():
            raise LLMError(f"The language model {self.name} gave an empty reply.")

    def _error(self, exc: Exception) -> LLMError:
        return LLMError(f"The language model {self.name} failed: {type(exc).__name__}: {exc}")


def _model_name(llm: LLM) -> str:
    try:
        model = llm.metadata.model_name
    except Exception:  # a provider's metadata may need a connection; the class name will do
        model = ""
    kind = type(llm).__name__
    return f"{kind}:{model}" if model and model != "unknown" else kind


def _to_llama(messages: Sequence[ChatMessage]) -> list[LlamaChatMessage]:
    return [LlamaChatMessage(role=_ROLES[m.role], content=m.content) for m in messages]
