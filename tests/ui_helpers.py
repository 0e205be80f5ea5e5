"""Shared by the UI tests: start the real app in-process on a free port, talk to it."""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path
from typing import Iterator

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

# Seed questions whose answers are stable, with a fact each answer must contain.
SEED_QUESTIONS = {
    "How old were the captured soldiers?": "20 and 26",
    "Where did Kim Jong Un pledge to erect a monument?": "Pyongyang",
    "What did Zelensky offer in exchange for the two North Koreans?": "prisoner swap",
    "Who facilitated the interrogations?": "South Korean intelligence",
}
ZORBLAT = (
    "Zorblat festival breaks attendance records\n\n"
    "The Zorblat festival in Ventria drew 40,000 visitors. Organisers said the lantern parade "
    "was the highlight, and the town council plans to double the budget next year.\n"
)


def artifacts_dir() -> Path:
    """Where the browser test leaves its screenshots: $RAG_ARTIFACTS_DIR, else
    artifacts/screenshots in the checkout (gitignored; the tests run in temporary folders)."""
    folder = Path(os.environ.get("RAG_ARTIFACTS_DIR") or Path(__file__).resolve().parents[1] / "artifacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def clean_environment() -> Iterator[None]:
    """No RAG_*/OPENAI_* variable of the developer leaks into a module-scoped app."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(("RAG_", "OPENAI_")):
                mp.delenv(name)
        yield


@contextlib.contextmanager
def running_app(
    data_dir: Path, embedder, settings_fields: dict | None = None, auth: tuple[str, str] | None = None, **build_kwargs
) -> Iterator[dict]:
    """The app over a fresh index in `data_dir` (the seeds are indexed first), served on
    127.0.0.1 (behind a login with `auth`); yields url, assistant, settings and the Blocks.
    `settings_fields` adds to the settings (e.g. a Chroma server's host and port)."""
    import rag
    from rag import seeds_dir
    from ui.app import build_app, launch_app

    with clean_environment():
        settings = rag.Settings(data_dir=data_dir, **(settings_fields or {}))
        assistant = rag.Assistant(settings, embedder=embedder)
        # The demo articles as the app's corpus, to stay (as `rag demo` adds them): indexed as the
        # demo of an empty index, they would leave with the first article a test uploads.
        assistant.add(seeds_dir())
        demo = build_app(assistant, settings, **build_kwargs)
        url, _ = launch_app(demo, host="127.0.0.1", port=free_port(), auth=auth)
        try:
            yield {"url": url, "assistant": assistant, "settings": settings, "demo": demo}
        finally:
            demo.close()


def message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


def ask(client, question: str, history: list | None = None, k: int = 5, doc_ids: list | None = None) -> dict:
    """Ask through the `/ask` endpoint; the final chat, sources HTML and every streamed update."""
    job = client.submit(question, history or [], k, doc_ids or [], api_name="/ask")
    updates = list(job)
    chat, sources, box = job.result()
    from ui.render import plain_text

    raw = message_text(chat[-1])
    return {"chat": chat, "sources": sources, "box": box, "updates": updates, "answer": plain_text(raw), "raw": raw}
