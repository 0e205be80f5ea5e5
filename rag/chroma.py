"""Building a Chroma client from settings: embedded on disk, or a Chroma server."""

from __future__ import annotations

import logging

from rag._offline import keep_libraries_offline
from rag.config import Settings
from rag.errors import StoreError

logger = logging.getLogger(__name__)


def make_chroma_client(settings: Settings):  # -> chromadb.api.ClientAPI (import is slow)
    """An embedded `PersistentClient` under `data_dir/chroma`, or an `HttpClient` in server mode."""
    keep_libraries_offline()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.server_mode:
        headers = {}
        if settings.chroma_token is not None:
            headers["Authorization"] = f"Bearer {settings.chroma_token.get_secret_value()}"
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                headers=headers,
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises bare Exception/ValueError when unreachable
            raise StoreError(
                f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}: "
                f"{exc}. Is `chroma run` up? Unset RAG_CHROMA_HOST to use the embedded store."
            ) from exc
    # Absolute: chromadb caches clients by path string, so a relative path would reach
    # the wrong database after a change of working directory.
    path = (settings.data_dir / "chroma").resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except OSError as exc:
        raise StoreError(f"Cannot open the index at {path}: {exc}. Check RAG_DATA_DIR.") from exc
