"""The llama-index baseline of the retrieval benchmark, made fair: identical chunks, same model.

- Chunks: exactly the chunks our index holds (200 tokens, 32 overlap by default). They are
  rebuilt from each stored document with `ingest.chunk_text` and the token budget ingest uses,
  and checked against the index (chunk count per document, and every passage ours retrieves
  must be one of them), so both sides search the same passages.
- Model: our own `rag.Embedder` (the bundled MiniLM) wrapped as a llama-index `BaseEmbedding`,
  so no embeddings integration package and no download. Each node is embedded as ours is:
  "<title>\\n<chunk>" (the title through llama-index's metadata template, not in the text).
- Retrievers: llama-index's own, in memory: `VectorStoreIndex(...).as_retriever()`, and
  `QueryFusionRetriever` over `BM25Retriever` (llama-index-retrievers-bm25, English stemmer)
  and that vector retriever, reciprocal rank fusion (k=60), equal weights, `num_queries=1` (no
  query rewriting, so no LLM; a `MockLLM` is passed so that nothing defaults to OpenAI). Each
  fused retriever returns as many candidates as ours fuses (`retrieval_candidates`).

Needs the `bench` extra (`pip install -e ".[bench]"`) for the BM25 retriever.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import ingest
import rag
from eval.squad import Question, Span, first_hit_rank

if TYPE_CHECKING:
    from llama_index.core.retrievers import BaseRetriever

INSTALL_HINT = 'pip install -e ".[bench]" (llama-index-retrievers-bm25), or pass --no-llamaindex'


@dataclass(frozen=True)
class BaselineChunk:
    doc_id: str
    title: str
    text: str
    start: int
    end: int


def indexed_chunks(assistant: rag.Assistant, embedder: rag.Embedder, settings: rag.Settings) -> list[BaselineChunk]:
    """The chunks our index holds, rebuilt from the stored documents as ingest cut them."""
    chunks: list[BaselineChunk] = []
    for info in assistant.list_documents():
        text = assistant.get_document(info.doc_id).text
        # The token budget of ingest.pipeline: the title prefix and [CLS]/[SEP] share the window.
        title_prefix = ingest.passage_for_embedding(info.title, "")
        room = embedder.max_tokens - 2 - embedder.count_tokens([title_prefix])[0] - 1
        max_tokens = max(16, min(settings.chunk_tokens, room))
        overlap = min(settings.chunk_overlap_tokens, max_tokens // 2)
        pieces = ingest.chunk_text(text, info.doc_id, "baseline", embedder.count_tokens, max_tokens, overlap)
        if len(pieces) != info.chunk_count:
            raise RuntimeError(
                f"rebuilt {len(pieces)} chunks for {info.doc_id!r}, the index holds {info.chunk_count}: "
                "the baseline would not search the same chunks as ours"
            )
        chunks.extend(BaselineChunk(info.doc_id, info.title, c.text, c.start, c.end) for c in pieces)
    return chunks


def require_baseline() -> None:
    """Raise RuntimeError, saying what to install, when the baseline's packages are missing."""
    import importlib.util

    for module in ("llama_index.core", "llama_index.retrievers.bm25", "Stemmer"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise RuntimeError(f"the llama-index baseline needs {module}: {INSTALL_HINT}")


def _embedding_class() -> type:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class RagEmbedding(BaseEmbedding):
        """A `rag.Embedder` as a llama-index embedding model (unit vectors, as ours)."""

        _embedder: Any = PrivateAttr()

        def __init__(self, embedder: rag.Embedder, **kwargs: Any) -> None:
            super().__init__(model_name=embedder.name, embed_batch_size=256, **kwargs)
            self._embedder = embedder

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed_query(query).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed_documents([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed_documents(texts).tolist()

    return RagEmbedding


@dataclass
class LlamaIndexBaseline:
    vector: "BaseRetriever"
    fusion: "BaseRetriever"
    chunks: int
    build_seconds: float


def build_baseline(
    chunks: Sequence[BaselineChunk], embedder: rag.Embedder, depth: int, candidates: int
) -> LlamaIndexBaseline:
    """llama-index's vector retriever and its BM25 + vector `QueryFusionRetriever` over `chunks`."""
    started = time.perf_counter()
    require_baseline()
    import Stemmer
    from llama_index.core import VectorStoreIndex
    from llama_index.core.llms.mock import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
    from llama_index.core.schema import BaseNode, TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    short = ingest.passage_for_embedding  # "<title, 24 words at most>\n<chunk>": what ours embeds
    nodes: list[BaseNode] = [
        TextNode(
            id_=f"{c.doc_id}:{c.start}",
            text=c.text,
            start_char_idx=c.start,
            end_char_idx=c.end,
            metadata={"title": short(c.title, "").rstrip("\n"), "doc_id": c.doc_id},
            excluded_embed_metadata_keys=["doc_id"],
            excluded_llm_metadata_keys=["doc_id"],
            metadata_template="{value}",
            text_template="{metadata_str}\n{content}",
        )
        for c in chunks
    ]
    embed_model = _embedding_class()(embedder)
    index = VectorStoreIndex(nodes, embed_model=embed_model, show_progress=False)
    vector = index.as_retriever(similarity_top_k=depth)
    fusion = QueryFusionRetriever(
        [
            index.as_retriever(similarity_top_k=candidates),
            BM25Retriever.from_defaults(
                nodes=nodes, similarity_top_k=candidates, stemmer=Stemmer.Stemmer("english"), language="english"
            ),
        ],
        llm=MockLLM(),
        mode=FUSION_MODES.RECIPROCAL_RANK,
        similarity_top_k=depth,
        num_queries=1,
        use_async=False,
    )
    return LlamaIndexBaseline(vector, fusion, len(nodes), time.perf_counter() - started)


def baseline_ranks(retriever: "BaseRetriever", questions: Sequence[Question]) -> tuple[list[int | None], list[float]]:
    """First-hit rank of each question in `retriever`'s results, and the seconds each took."""
    retriever.retrieve("warm up")
    ranks: list[int | None] = []
    seconds: list[float] = []
    for question in questions:
        started = time.perf_counter()
        hits = retriever.retrieve(question.question)
        seconds.append(time.perf_counter() - started)
        spans = [
            Span(str(h.node.metadata.get("doc_id", "")), int(getattr(h.node, "start_char_idx", None) or 0),
                 int(getattr(h.node, "end_char_idx", None) or 0))
            for h in hits
        ]
        ranks.append(first_hit_rank(spans, question))
    return ranks, seconds


__all__ = ["BaselineChunk", "LlamaIndexBaseline", "baseline_ranks", "build_baseline", "indexed_chunks", "require_baseline"]
