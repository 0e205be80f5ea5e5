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
