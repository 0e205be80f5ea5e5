"""16 people asking at once: every one gets a complete, correct answer."""

from __future__ import annotations

import json
import statistics
import threading
import time

import pytest

from tests.ui_helpers import SEED_QUESTIONS, ask, running_app

gradio_client = pytest.importorskip("gradio_client")
USERS = 16


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def test_ui__sixteen_simultaneous_users(tmp_path, real_embedder, record_property):
    questions = list(SEED_QUESTIONS.items())
    with running_app(tmp_path / "index", real_embedder) as app:
        clients = [gradio_client.Client(app["url"], verbose=False) for _ in range(USERS)]
        ask(clients[0], questions[0][0])  # warm up, as a first visitor would
        results: list[tuple[str, str, str, float] | Exception] = [None] * USERS  # type: ignore[list-item]
        start_line = threading.Barrier(USERS)

        def user(i: int) -> None:
            question, fact = questions[i % len(questions)]
            start_line.wait()
            began = time.perf_counter()
            try:
                result = ask(clients[i], question)
                results[i] = (question, fact, result["answer"] + result["sources"], time.perf_counter() - began)
            except Exception as exc:  # reported below
                results[i] = exc

        threads = [threading.Thread(target=user, args=(i,)) for i in range(USERS)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        total = time.perf_counter() - began

    errors = [r for r in results if isinstance(r, Exception) or r is None]
    assert not errors, errors
    for question, fact, shown, _ in results:
        assert fact in shown and "Sources (" in shown, question
    latencies = [r[3] for r in results]
    figures = {
        "users": USERS,
        "total_s": round(total, 2),
        "p50_s": round(statistics.median(latencies), 2),
        "p95_s": round(_percentile(latencies, 0.95), 2),
        "max_s": round(max(latencies), 2),
    }
    print("UI_CONCURRENCY " + json.dumps(figures))
    for key, value in figures.items():
        record_property(key, value)


class _GatedEmbedder:
    """A fake embedder whose `embed_documents` waits at a gate for texts holding `marker`
    (an upload being indexed); questions (`embed_query`) never wait."""

    def __init__(self, marker: str) -> None:
        from tests.fakes import FakeEmbedder

        self._inner = FakeEmbedder()
        self.name, self.dimension, self.max_tokens = self._inner.name, self._inner.dimension, self._inner.max_tokens
        self.marker = marker
        self.entered = threading.Event()
        self.gate = threading.Event()

    def embed_documents(self, texts):
        if any(self.marker in t for t in texts):
            self.entered.set()
            assert self.gate.wait(timeout=120), "the test never opened the gate"
        return self._inner.embed_documents(texts)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_ui__an_upload_being_indexed_blocks_no_question_and_the_next_upload_waits_visibly(tmp_path):
    from gradio_client.utils import Status

    embedder = _GatedEmbedder("Slowpoke harbour")
    slow, other = tmp_path / "slow.txt", tmp_path / "other.txt"
    slow.write_text("Slowpoke harbour reopens\n\nThe Slowpoke harbour reopened on Tuesday.\n", encoding="utf-8")
    other.write_text("Council vote\n\nThe council of Brackley voted on Monday to close the library.\n", encoding="utf-8")
    with running_app(tmp_path / "index", embedder) as app:
        first = gradio_client.Client(app["url"], verbose=False).submit(
            [gradio_client.handle_file(str(slow))], [], api_name="/upload")
        assert embedder.entered.wait(timeout=60), "the first upload never started indexing"
        second = gradio_client.Client(app["url"], verbose=False).submit(
            [gradio_client.handle_file(str(other))], [], api_name="/upload")
        # A question is answered while the upload is held mid-indexing.
        answer = ask(gradio_client.Client(app["url"], verbose=False), "How old were the captured soldiers?")
        assert answer["answer"] and not first.done() and not second.done()
        assert second.status().code in (Status.IN_QUEUE, Status.JOINING_QUEUE, Status.STARTING), second.status()
        embedder.gate.set()
        assert "Added 1 article" in first.result(timeout=120)[0]
        assert "Added 1 article" in second.result(timeout=120)[0]
