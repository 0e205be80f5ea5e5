"""Load benchmark: many people asking at once, through the Python API and through the UI.

    python -m eval.bench load [--askers 1,4,16,64] [--questions 4] [--ui-users 16] [--out FILE]

API: N threads share one `rag.Assistant` on the demo articles; each asks a fixed number of
questions (cycling through four seed questions with a known fact each). UI: the Gradio app
on 127.0.0.1 (a free port), one gradio_client per user, all released at once. An answer is
complete when it contains its fact. Every loop is bounded (fixed counts, join timeouts).
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

import click

from eval.bench_common import free_port, wait_until_up

# A question about the demo articles, and a fact its answer must contain.
SEED_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("How old were the captured soldiers?", "20 and 26"),
    ("Where did Kim Jong Un pledge to erect a monument?", "Pyongyang"),
    ("What did Zelensky offer in exchange for the two North Koreans?", "prisoner swap"),
    ("Who facilitated the interrogations?", "South Korean intelligence"),
)
JOIN_TIMEOUT_S = 600.0


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def _run_threads(askers: int, questions_each: int, ask: Callable[[int, str], str]) -> dict:
    """`askers` threads released together, each asking `questions_each` questions."""
    latencies: list[float] = []
    errors: list[str] = []
    incomplete: list[str] = []
    lock = threading.Lock()
    start_line = threading.Barrier(askers)

    def asker(i: int) -> None:
        try:
            start_line.wait(timeout=JOIN_TIMEOUT_S)
        except threading.BrokenBarrierError:
            pass
        for j in range(questions_each):
            question, fact = SEED_QUESTIONS[(i + j) % len(SEED_QUESTIONS)]
            began = time.perf_counter()
            try:
                shown = ask(i, question)
            except Exception as exc:  # counted and reported, never raised
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if fact.lower() not in shown.lower():
                    incomplete.append(question)

    threads = [threading.Thread(target=asker, args=(i,), daemon=True) for i in range(askers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    deadline = began + JOIN_TIMEOUT_S
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    total = time.perf_counter() - began
    hung = sum(thread.is_alive() for thread in threads)
    asked = askers * questions_each
    return {
        "askers": askers,
        "questions": asked,
        "total_s": round(total, 3),
        "questions_per_s": round(len(latencies) / total, 2) if total else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else 0.0,
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else 0.0,
        "errors": len(errors) + hung + (asked - len(latencies) - len(errors) if not hung else 0),
        "incomplete": len(incomplete),
        "first_error": errors[0] if errors else None,
    }


def run_api_load(assistant, askers: Sequence[int] = (1, 4, 16, 64), questions_each: int = 4) -> list[dict]:
    """One row per N: N threads sharing `assistant`, each asking `questions_each` questions."""
    assistant.ask(SEED_QUESTIONS[0][0])  # warm up: load the model and the index once

    def ask(_: int, question: str) -> str:
        answer = assistant.ask(question)
        return answer.text + " " + " ".join(c.text for c in answer.citations)

    return [{"via": "api", **_run_threads(n, questions_each, ask)} for n in askers]


def _plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", html_text))


@contextlib.contextmanager
def served_ui(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """`rag ui` over `data_dir` in a child process (eval never imports ui) on a free port of
    127.0.0.1: (its URL, the process), once it answers; stopped afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **(extra_env or {})}
    command = [sys.executable, "-c", "from rag.cli import main; main()", "ui", "--host", "127.0.0.1",
               "--port", str(port), "--data-dir", str(data_dir)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_until_up(url, server, timeout_s=300):
            raise RuntimeError(f"`rag ui` did not start on {url}")
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def ui_asker(client) -> Callable[[str], str]:
    """Ask `rag ui` through its `/ask` endpoint: the answer and its sources as plain text."""

    def ask(question: str) -> str:
        job = client.submit(question, [], 5, [], api_name="/ask")
        chat, sources, _ = job.result(timeout=JOIN_TIMEOUT_S)
        content = chat[-1].get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        return _plain(str(content or "")) + " " + _plain(str(sources))

    return ask


def run_ui_load(data_dir: Path, users: int = 16, questions_each: int = 1) -> dict:
    """`users` gradio_client users of `rag ui` served on 127.0.0.1, all at once, over the same index."""
    import gradio_client

    with served_ui(data_dir) as (url, _):
        clients = [ui_asker(gradio_client.Client(url, verbose=False)) for _ in range(users)]
        clients[0](SEED_QUESTIONS[0][0])  # warm up, as a first visitor would
        return {"via": "ui", **_run_threads(users, questions_each, lambda i, question: clients[i](question))}


def run_load_benchmark(data_dir: Path, askers: Sequence[int], questions_each: int, ui_users: int) -> dict:
    import rag

    settings = rag.Settings(data_dir=data_dir)
    assistant = rag.Assistant(settings)  # the bundled MiniLM; the demo articles are indexed on first use
    began = time.perf_counter()
    rows = run_api_load(assistant, askers, questions_each)
    if ui_users:
        rows.append(run_ui_load(data_dir, ui_users))
    return {
        "benchmark": "load",
        "answerer": assistant.answerer_name,
        "questions_each": questions_each,
        "cpus": os.cpu_count(),
        "runs": rows,
        "ok": all(r["errors"] == 0 and r["incomplete"] == 0 for r in rows),
        "seconds": round(time.perf_counter() - began, 1),
    }


def _askers(value: str) -> list[int]:
    try:
        counts = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter("a comma-separated list of whole numbers, like 1,4,16,64") from None
    if not counts or min(counts) < 1:
        raise click.BadParameter("give at least one count, each 1 or more")
    return counts


@click.command("load")
@click.option("--askers", default="1,4,16,64", show_default=True, help="Concurrent API askers per run.")
@click.option("--questions", "questions_each", type=click.IntRange(min=1), default=4, show_default=True,
              help="Questions each asker asks.")
@click.option("--ui-users", type=click.IntRange(min=0), default=16, show_default=True,
              help="Simultaneous UI users (0: skip the UI run).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write the JSON here.")
def load_command(askers: str, questions_each: int, ui_users: int, out: Path | None) -> None:
    """Concurrent askers through the Python API and the UI: errors, throughput, latency."""
    from eval.bench_common import BenchmarkError, emit, fresh_data_dir

    import rag

    counts = _askers(askers)
    with fresh_data_dir(None) as directory:
        try:
            result = run_load_benchmark(directory, counts, questions_each, ui_users)
        except rag.RagError as exc:
            raise BenchmarkError(str(exc)) from None
    emit(result, out)
