"""Ask questions about news articles; every answer cites the passage it came from.

    import rag
    answer = rag.ask("How old were the captured soldiers?")
    answer.text        # "The soldiers, aged 20 and 26, were injured ... [1]."
    answer.citations   # (Citation(n=1, passage=Passage(chunk_id=..., doc_id=...), text=..., start=..., end=...),)
    answer.citations[0].doc_id   # the cited passage's doc_id (also .chunk_id, .title, .source)

    chat = rag.conversation()           # follow-ups without passing the history yourself
    chat.ask("Which soldiers did Ukraine capture?"); chat.ask("How old were they?")
    rag.add(["my-articles/"])           # index more articles with the same loaded model
"""

from rag.api import add, ask, ask_stream, conversation, get_document, retrieve
from rag.answer.assistant import AnswerStream, Assistant, Conversation
from rag.llm.chat import ChatMessage, ChatModel
from rag.llm.factory import build_chat_model
from rag.config import Settings
from rag.index.embeddings import Embedder, PieceVectors, build_embedder
from rag.errors import (
    ChromaUnavailableError,
    ConfigurationError,
    DocumentNotFoundError,
    EmptyIndexError,
    IndexLockedError,
    IndexMismatchError,
    InputTooLargeError,
    InvalidInputError,
    LLMError,
    ModelError,
    ModelIntegrityError,
    RagError,
    StoreError,
)
from rag.seeds import seeds_dir
from rag.types import (
    Answer, Article, Chunk, Citation, Document, DocumentInfo, Evidence, Fact, Filters, FileProblem, IngestReport, Passage,
    ReadAhead, Support, Turn, Verdict,
)

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "AnswerStream",
    "Article",
    "Assistant",
    "ChatMessage",
    "ChatModel",
    "ChromaUnavailableError",
    "Chunk",
    "Citation",
    "ConfigurationError",
    "Conversation",
    "Document",
    "DocumentInfo",
    "DocumentNotFoundError",
    "Embedder",
    "EmptyIndexError",
    "Evidence",
    "Fact",
    "FileProblem",
    "Filters",
    "IndexLockedError",
    "IndexMismatchError",
    "IngestReport",
    "InputTooLargeError",
    "InvalidInputError",
    "LLMError",
    "ModelError",
    "ModelIntegrityError",
    "Passage",
    "PieceVectors",
    "RagError",
    "ReadAhead",
    "Settings",
    "StoreError",
    "Support",
    "Turn",
    "Verdict",
    "__version__",
    "add",
    "ask",
    "ask_stream",
    "build_chat_model",
    "build_embedder",
    "conversation",
    "get_document",
    "retrieve",
    "seeds_dir",
]
