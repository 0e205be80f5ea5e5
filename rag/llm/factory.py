"""The one factory of chat models: which client `settings` ask for.

Apart from the contract (`rag.llm.chat`), so the contract imports no client and the
clients import only the contract.
"""

from __future__ import annotations

from rag.config import Settings
from rag.llm.chat import ChatModel


def build_chat_model(settings: Settings) -> ChatModel:
    """The OpenAI-compatible chat model `settings` describe: with RAG_ANSWERER=local, the
    client of a llama.cpp server started for RAG_LOCAL_MODEL (it lives as long as this
    process); else OPENAI_API_KEY, OPENAI_BASE_URL, RAG_LLM_MODEL (ConfigurationError when no
    key is set)."""
    # Imported here: the openai SDK takes a while to import and the offline default never needs it.
    from rag.llm.local_llm import LocalServer
    from rag.llm.openai_chat import OpenAIChatModel

    if settings.answerer == "local":
        return OpenAIChatModel.for_local_server(LocalServer.from_settings(settings), settings)
    return OpenAIChatModel.from_settings(settings)
