"""The local model's speed: `python -m eval.bench local [--model PATH.gguf] [--out FILE]`.

RAG_ANSWERER=local on the demo articles: every answerable seed question asked through the
Assistant, streamed (seconds to the first piece, seconds per answer), then llama.cpp's own
timings for one request with a real answering prompt (prompt tokens/s, generated tokens/s),
read from the `timings` its server adds to each reply.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import httpx

import rag
from eval.evalset import load_eval_set
from rag.llm.openai_chat import OpenAIChatModel


def run_local_benchmark(model: str, questions: int) -> dict[str, Any]:
    from rag.llm.local_llm import available_cores

    with tempfile.TemporaryDirectory(prefix="rag-bench-local-") as directory:
        settings = rag.Settings(data_dir=Path(directory), answerer="local", local_model=model)
        assistant = rag.Assistant(settings)
        try:
            started = time.perf_counter()
            assistant.ask("What is this collection of articles about?")  # seeds, loads both models
            first_ask = time.perf_counter() - started
            first_piece, whole, refused = [], [], 0
            items = [item for item in load_eval_set() if item.answerable and not item.history][:questions]
            for item in items:
                started = time.perf_counter()
                stream = assistant.ask_stream(item.question)
                for number, _ in enumerate(stream):
                    if number == 0:
                        first_piece.append(time.perf_counter() - started)
                whole.append(time.perf_counter() - started)
                refused += stream.answer.refused
            chat = assistant.chat_model  # the client of the server the assistant started
            assert isinstance(chat, OpenAIChatModel)
            timings = _server_timings(chat.base_url, chat.model, assistant, items[0].question)
        finally:
            assistant.close()
    return {
        "benchmark": "local",
        "model": model,
        "threads": settings.local_threads or available_cores(),
        "questions": len(whole),
        "refused": refused,
        "first_ask_seconds_incl_seeding_and_loading": round(first_ask, 2),
        "seconds_to_first_piece_p50": round(statistics.median(first_piece), 2) if first_piece else None,
        "seconds_per_answer_p50": round(statistics.median(whole), 2) if whole else None,
        "seconds_per_answer_max": round(max(whole), 2) if whole else None,
        **timings,
    }


def _server_timings(base_url: str, model: str, assistant: rag.Assistant, question: str) -> dict[str, Any]:
    from rag.answer.llm_answer import answer_messages

    passages = assistant.retrieve(question)
    messages = [{"role": m.role, "content": m.content} for m in answer_messages(question, passages)]
    # cache_prompt off: llama.cpp would otherwise reuse the prompt it evaluated for the ask
    request = {"model": model, "messages": messages, "max_tokens": 128, "cache_prompt": False}
    reply = httpx.post(f"{base_url}/chat/completions", json=request, timeout=600).json()
    timings = reply.get("timings", {})
    return {
        "prompt_tokens": timings.get("prompt_n"),
        "prompt_tokens_per_second": round(timings.get("prompt_per_second", 0.0), 1),
        "generated_tokens_per_second": round(timings.get("predicted_per_second", 0.0), 1),
    }


@click.command("local")
@click.option("--model", default="smollm2-135m", show_default=True, help="RAG_LOCAL_MODEL: the bundled name or a .gguf path.")
@click.option("--questions", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write the JSON here.")
def local_command(model: str, questions: int, out: Path | None) -> None:
    """Speed of RAG_ANSWERER=local: first piece, whole answer, llama.cpp's tokens/s."""
    from eval.bench_common import emit

    emit(run_local_benchmark(model, questions), out)
