"""Building a Chroma client from settings: embedded on disk, or a Chroma server.

In server mode every call to Chroma goes through `chroma_errors`, which turns whatever the
HTTP client raises (httpx errors, ValueError, chromadb errors) into a `StoreError`:
`ChromaUnavailableError` when the server cannot be reached. Nothing is cached about a
failed call, so the next one works again as soon as the server is back.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from rag._offline import keep_libraries_offline
from rag.config import Settings
from rag.errors import ChromaUnavailableError, RagError, StoreError  # the error is also importable from here

logger = logging.getLogger(__name__)


def server_address(settings: Settings) -> str:
    scheme = "https" if settings.chroma_ssl else "http"
    return f"{scheme}://{settings.chroma_host}:{settings.chroma_port}"


def unreachable_message(settings: Settings, exc: BaseException | None = None) -> str:
    detail = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    return (
        f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} is unreachable{detail}. "
        f"Start it (`chroma run --path DIR --host HOST --port {settings.chroma_port}`) or fix "
        "RAG_CHROMA_HOST / RAG_CHROMA_PORT / RAG_CHROMA_SSL, then try again; unset "
        "RAG_CHROMA_HOST to use the embedded store."
    )


def _is_unreachable(exc: BaseException) -> bool:
    import httpx  # chromadb's own HTTP client depends on it

    if isinstance(exc, (httpx.TransportError, httpx.TimeoutException)):
        return True
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    return "could not connect" in str(exc).lower()


@contextmanager
def chroma_errors(settings: Settings, action: str) -> Iterator[None]:
    """Any failure of the Chroma calls inside becomes a StoreError that says what to do."""
    try:
        yield
    except RagError:
        raise
    except Exception as exc:  # chromadb's errors share no useful base class
        if not settings.server_mode:
            raise StoreError(
                f"The index in {settings.data_dir} could not {action}: {type(exc).__name__}: {exc}. "
                "If the disk is full or read-only, free space or fix permissions and run again: "
                "the next run repairs anything left half-written."
            ) from exc
        if _is_unreachable(exc):
            raise ChromaUnavailableError(unreachable_message(settings, exc)) from exc
        raise StoreError(
            f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} failed to {action}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


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
        host = settings.chroma_host
        assert host is not None  # server mode is the mode with a host
        try:
            return chromadb.HttpClient(
                host=host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                headers=headers,
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises bare Exception/ValueError when unreachable
            if _is_unreachable(exc):
                raise ChromaUnavailableError(unreachable_message(settings, exc)) from exc
            raise StoreError(
                f"Cannot use the Chroma server at {settings.chroma_host}:{settings.chroma_port}: "
                f"{type(exc).__name__}: {exc}. Check RAG_CHROMA_TOKEN / RAG_CHROMA_SSL; unset "
                "RAG_CHROMA_HOST to use the embedded store."
            ) from exc
    # Absolute: chromadb caches clients by path string, so a relative path would reach
    # the wrong database after a change of working directory.
    path = (settings.data_dir / "chroma").resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except OSError as exc:
        raise StoreError(f"Cannot open the index at {path}: {exc}. Check RAG_DATA_DIR.") from exc
    except Exception as exc:  # chromadb raises its own errors, e.g. for a read-only database
        _forget_failed_client(path)
        raise StoreError(
            f"Cannot open the index at {path}: {exc}. The data dir must be writable (Chroma keeps "
            "a write-ahead log even for reading); check RAG_DATA_DIR and its permissions."
        ) from exc


def _forget_failed_client(path) -> None:
    # chromadb caches one client system per path, even one whose start failed; left there,
    # it would make every later open in this process fail too (a long-running UI could not
    # recover once the disk is writable again). Its cache is private, so tread carefully.
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    except (ImportError, AttributeError):  # a chromadb without that cache: nothing to forget
        logger.debug("No chromadb client cache to clear for %s", path)
