"""Scale benchmarks on real news (issue 16), each printing one JSON object.

    python -m eval.bench shapes [--news PATH] [--shapes long,short,huge,corpus-1k,corpus] [--keep-index DIR]
    python -m eval.bench incremental --index DIR [--news PATH]
    python -m eval.bench scale-latency --index DIR [--questions N] [--server/--no-server] [--ui/--no-ui]
        [--read-ahead/--no-read-ahead] [--quiz ../shared/benchmarks/quail-news]

`shapes` builds the ingest shapes in a temporary folder from the news corpus (never copied
into the project) and runs `python -m eval.bench ingest` on each in its own process, so each
shape's peak RSS is its own: long articles (300 of 8,000-20,000 characters), 10,000 short records (one
paragraph each), one huge file of 200,000 short lines, the corpus' first 1,000 articles and the
whole corpus (the 1k and ~4k-article points the README's "Scaling out" extrapolates from).

`incremental` adds one article (written for this benchmark, below) to an index and asks a
question only it answers: the time until it is answerable, through the CLI (`rag ingest`,
then `rag ask`, two processes) and through a chat-UI upload (`rag ui` already running and
warm, then `/upload` and `/ask`), on the big index and on the 2-article demo index, in one
run. The article is removed again afterwards, so the big index is left as it was.

`scale-latency` times warm questions (headlines of the indexed articles turned into
questions) on the big index, each row in a process of its own (`_warm_latency`), embedded and
through a Chroma server on 127.0.0.1 serving a copy of it, split into the search and MiniLM's
reading of the retrieved sentences (where the CPU reads bfloat16 natively, once more with the
sentences read in float32), first with no sentence vectors kept on disk, then after `rag
read-ahead` kept every sentence's (its time and size reported; the first question then reads
only the sentences its answer is chosen among); the same questions with nothing read before on
the big index and on the demo index (what the index size adds to a whole answer); and reads
the memory of a running `rag ui` over it.
Headline questions ("What happened: ...?") are generic: many sentences score alike, so the
answerer reads nearly the most it may. With `--quiz`, also real quiz questions (QuAIL's news:
measured only), about texts added to a copy of the big index and read ahead: the first two
questions about each text, as a user's specific first and next questions.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Iterator

import click

from eval.bench_common import BenchmarkError, emit, free_port, wait_until_up
from eval.bench_ingest import RecordingEmbedder

NEWS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "news-corpus" / "corpus.jsonl"
SHAPES = ("long", "short", "huge", "corpus-1k", "corpus")
FIRST_ARTICLES = 1_000  # the corpus-1k shape

# Written for this benchmark (fiction): no indexed article says any of it.
ARTICLE_NAME = "port-ellis-harbour-reopens.txt"
ARTICLE = """Port Ellis harbour reopens after nine-day storm closure

By Mara Lindqvist

PORT ELLIS — The harbour of Port Ellis reopened on Tuesday after a storm closed it for nine days, \
the harbour master, Odile Brannigan, said. Forty-two fishing boats left before dawn, and the ferry \
to Skerry Island resumed its twice-daily crossings. The storm tore away part of the eastern \
breakwater; repairs will cost about 3.4 million euros, according to the town council. Brannigan \
said the harbour would stay closed to cargo ships until the breakwater is rebuilt in the spring.
"""
QUESTION = "When did the harbour of Port Ellis reopen after the storm?"
FACT = "Tuesday"


# -- the ingest shapes -----------------------------------------------------------------


def _articles(news: Path) -> Iterator[dict[str, Any]]:
    with news.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def make_shapes(news: Path, folder: Path, wanted: tuple[str, ...]) -> dict[str, Path]:
    """The shape files in `folder` (the whole corpus is used where it is)."""
    rng = random.Random(16)
    paths: dict[str, Path] = {}
    if "long" in wanted:
        paths["long"] = folder / "long-articles.jsonl"
        with paths["long"].open("w", encoding="utf-8") as out:
            for article in [a for a in _articles(news) if 8_000 <= len(a["text"]) <= 20_000][:300]:
                out.write(json.dumps(article) + "\n")
    if "short" in wanted:
        paths["short"] = folder / "short-records.jsonl"
        written = 0
        with paths["short"].open("w", encoding="utf-8") as out:
            for article in _articles(news):
                for n, paragraph in enumerate(p for p in article["text"].split("\n") if 150 <= len(p) <= 600):
                    out.write(json.dumps({"id": f"{article['id']}-{n}", "title": article["title"], "text": paragraph}) + "\n")
                    written += 1
                    if written == 10_000 or n == 2:
                        break
                if written == 10_000:
                    break
    if "huge" in wanted:  # one file, 200,000 short lines (3-4 words each, a full stop at the end)
        words = [w for a in _articles(news) for w in re.findall(r"[A-Za-z]{3,}", a["text"][:2000])][:300_000]
        paths["huge"] = folder / "huge-many-lines.txt"
        with paths["huge"].open("w", encoding="utf-8") as out:
            out.write("A list of two hundred thousand short lines\n\n")
            for _ in range(200_000):
                out.write(" ".join(rng.choice(words) for _ in range(rng.randint(2, 3))).capitalize() + ".\n")
    if "corpus-1k" in wanted:
        paths["corpus-1k"] = folder / "corpus-1k.jsonl"
        with news.open(encoding="utf-8") as lines, paths["corpus-1k"].open("w", encoding="utf-8") as out:
            out.writelines(islice((row for row in lines if row.strip()), FIRST_ARTICLES))
    if "corpus" in wanted:
        paths["corpus"] = news
    return paths


@click.command("shapes")
@click.option("--news", type=click.Path(dir_okay=False, path_type=Path), default=NEWS, show_default=True)
@click.option("--shapes", "shapes", default=",".join(SHAPES), show_default=True, help="Comma-separated shapes.")
@click.option("--keep-index", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the whole corpus' index here (for `incremental` and `scale-latency`), and the "
              "corpus-1k shape's beside it, in DIR-1k.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write the JSON here.")
def shapes_command(news: Path, shapes: str, keep_index: Path | None, out: Path | None) -> None:
    """Ingest throughput and peak memory on every shape, against bare encode on the same chunks."""
    wanted = tuple(s.strip() for s in shapes.split(",") if s.strip())
    if not set(wanted) <= set(SHAPES) or not wanted:
        raise BenchmarkError(f"--shapes takes some of {', '.join(SHAPES)}")
    if not news.is_file():
        raise BenchmarkError(f"The news corpus is not at {news} (see ../shared/benchmarks/news-corpus/README.md).")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="rag-shapes-") as scratch:
        for shape, path in make_shapes(news, Path(scratch), wanted).items():
            command = [sys.executable, "-m", "eval.bench", "ingest", "--corpus", str(path)]
            if shape.startswith("corpus") and keep_index is not None:
                kept = keep_index if shape == "corpus" else keep_index.with_name(f"{keep_index.name}-1k")
                command += ["--data-dir", str(kept)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise BenchmarkError(f"the {shape} shape failed: {done.stderr.strip()[-2000:]}")
            result = json.loads(done.stdout)
            result["input_bytes"] = path.stat().st_size
            results[shape] = result
            click.echo(json.dumps({shape: result}), err=True)  # each shape as it finishes: runs are long
    emit({
        "benchmark": "shapes",
        "shapes": results,
        "summary": {shape: {k: r[k] for k in ("documents", "chunks", "chunks_per_second", "ratio_to_bare_encode",
                                              "cpu_ratio_to_bare_encode", "peak_rss_mb", "meets_target")}
                    for shape, r in results.items()},
    }, out)


# -- adding one article ------------------------------------------------------------------


def _rag(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from rag.cli import main; main()", *args, "--data-dir", str(data_dir)]
    return subprocess.run(command, capture_output=True, text=True, check=False,
                          env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})


def _cli_time_to_answerable(data_dir: Path, article: Path) -> dict[str, Any]:
    began = time.perf_counter()
    ingested = _rag("ingest", str(article), "-q", "--json", data_dir=data_dir)
    ingest_s = time.perf_counter() - began
    if ingested.returncode != 0:
        raise BenchmarkError(f"rag ingest failed: {ingested.stderr.strip()[-1000:]}")
    doc_id = json.loads(ingested.stdout)["new"][0]
    began = time.perf_counter()
    asked = _rag("ask", QUESTION, "--json", data_dir=data_dir)
    ask_s = time.perf_counter() - began
    answer = json.loads(asked.stdout) if asked.stdout.strip() else {}
    cited = {c.get("doc_id") for c in answer.get("citations", [])}
    _rag("remove", doc_id, data_dir=data_dir)
    return {"ingest_seconds": round(ingest_s, 2), "ask_seconds": round(ask_s, 2),
            "time_to_answerable_seconds": round(ingest_s + ask_s, 2),
            "answered_from_it": doc_id in cited and FACT in answer.get("text", "")}


def _ui_time_to_answerable(data_dir: Path, article: Path) -> dict[str, Any]:
    import gradio_client

    from eval.bench_load import served_ui, ui_asker

    with served_ui(data_dir) as (url, server):
        client = gradio_client.Client(url, verbose=False)
        ask = ui_asker(client)
        ask("What happened?")  # warm: the model and the index are loaded, as in a running app
        began = time.perf_counter()
        message, _, _ = client.predict([gradio_client.handle_file(str(article))], [], api_name="/upload")
        upload_s = time.perf_counter() - began
        shown = ask(QUESTION)
        total = time.perf_counter() - began
        memory = process_memory_mb(server.pid)
    doc_id = f"uploads/{article.name}"
    _rag("remove", doc_id, data_dir=data_dir)
    shutil.rmtree(data_dir / "uploads", ignore_errors=True)
    return {"upload_seconds": round(upload_s, 2), "ask_seconds": round(total - upload_s, 2),
            "time_to_answerable_seconds": round(total, 2), "answered_from_it": FACT in shown and "Added" in message,
            "ui_memory_mb": memory}


def process_memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (Linux /proc), in MB."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_rss_mb": fields.get("VmHWM", 0.0)}


def _index_size(data_dir: Path) -> dict[str, Any]:
    done = _rag("info", "--json", data_dir=data_dir)
    info = json.loads(done.stdout)
    return {"documents": info["documents"], "chunks": info["chunks"]}


@click.command("incremental")
@click.option("--index", "index", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True,
              help="A big index, e.g. the news corpus' (`shapes --keep-index DIR`).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write the JSON here.")
def incremental_command(index: Path, out: Path | None) -> None:
    """Time to answerable after adding one article: big index against the demo index."""
    with tempfile.TemporaryDirectory(prefix="rag-incremental-") as scratch:
        article = Path(scratch) / ARTICLE_NAME
        article.write_text(ARTICLE, encoding="utf-8")
        demo = Path(scratch) / "demo-index"
        if _rag("demo", data_dir=demo).returncode != 0:
            raise BenchmarkError("could not index the demo articles")
        rows: dict[str, Any] = {}
        for name, data_dir in (("demo", demo), ("big", index)):
            rows[name] = {"index": _index_size(data_dir), "cli": _cli_time_to_answerable(data_dir, article),
                          "ui_upload": _ui_time_to_answerable(data_dir, article)}
    ratio = {via: round(rows["big"][via]["time_to_answerable_seconds"] / rows["demo"][via]["time_to_answerable_seconds"], 2)
             for via in ("cli", "ui_upload")}
    emit({"benchmark": "incremental", "rows": rows, "big_over_demo": ratio, "target_ratio": 2.0,
          "meets_target": all(r <= 2.0 for r in ratio.values())}, out)


# -- warm latency at scale -----------------------------------------------------------------


@dataclass(frozen=True)
class ArticleQuestions:
    """Two questions about one article, asked one after the other."""

    first: str  # nobody asked about the article before: its passages are read (MiniLM)
    next: str  # right after: what the first one read is reused, as in a conversation


def _questions(index: Path, count: int) -> list[ArticleQuestions]:
    import rag

    titles = [d.title for d in rag.Assistant(rag.Settings(data_dir=index), auto_seed=False).list_documents()
              if d.title and len(d.title.split()) >= 4]
    rng = random.Random(16)
    return [ArticleQuestions(f"What happened: {title}?", f"What else is known about this: {title}?")
            for title in (t.rstrip("?.!") for t in rng.sample(titles, min(count, len(titles))))]


def _warm_latency(settings, questions: list[ArticleQuestions]) -> dict[str, Any]:
    """Per article, on a warm assistant (model, BM25 and vector caches loaded): the whole
    offline answer to the first question (`ask`: the question embedded, the hybrid search,
    MiniLM's reading of sentences, the answer checked) and, inside it, the question's embedding
    and the reading (`embed_pieces`); then the search alone (`retrieve` of the same question
    right after: the part whose cost depends on the index size, its question's embedding
    reused, so `retrieval` adds the embedding timed inside the answer); then the whole answer
    to the next question about the same article (its question embedded too).

    Each row in a process of its own, as an app serving one index: until 2026-12-05 every row
    ran in the bench's process, beside the assistants, models, Chroma clients and caches of
    the rows before it, and the eighth row (through a server, after read-ahead) measured p50
    80.7 / 84.5 ms in two runs where the same row alone measured 71.6 / 71.7 ms."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as process:
        return process.submit(_warm_latency_here, settings, questions).result()


def _warm_latency_here(settings, questions: list[ArticleQuestions]) -> dict[str, Any]:
    """`_warm_latency` in this process."""
    import rag

    embedder = RecordingEmbedder(rag.build_embedder(settings))
    assistant = rag.Assistant(settings, embedder=embedder, auto_seed=False)
    assistant.ask("What happened in the news?")  # loads the model, the BM25 index and the vector caches
    times: dict[str, list[float]] = {key: [] for key in (
        "answer", "question", "search", "reading", "next", "next_reading")}
    for asked in questions:
        # The answer first: a search run before it would leave the question's embedding
        # cached, and the answer timed without it (as this bench did until 2026-12-04).
        for question, answer, reading in ((asked.first, "answer", "reading"), (asked.next, "next", "next_reading")):
            read_before, embedded_before = embedder.pieces_seconds, embedder.query_seconds
            began = time.perf_counter()
            assistant.ask(question)
            times[answer].append((time.perf_counter() - began) * 1000)
            times[reading].append((embedder.pieces_seconds - read_before) * 1000)
            if answer == "answer":
                times["question"].append((embedder.query_seconds - embedded_before) * 1000)
                began = time.perf_counter()
                assistant.retrieve(asked.first)
                times["search"].append(times["question"][-1] + (time.perf_counter() - began) * 1000)
    return {"questions": len(questions), **_percentiles(times["answer"]), "retrieval": _percentiles(times["search"]),
            "question_embedding": _percentiles(times["question"]), "reading": _percentiles(times["reading"]),
            "next_question": {**_percentiles(times["next"]), "reading": _percentiles(times["next_reading"])}}


def _fresh_against_demo(index: Path, asked: list[ArticleQuestions]) -> dict[str, Any]:
    """The whole answer when nothing was read before (`RAG_SENTENCE_CACHE=0`, no sentence
    vectors on disk: every question
    reads its passages, as the first question about new articles does), on the big index and
    on the 2-article demo index, the same questions in one run: what the index size adds."""
    import rag

    with tempfile.TemporaryDirectory(prefix="rag-demo-") as scratch:
        if _rag("demo", data_dir=Path(scratch)).returncode != 0:
            raise BenchmarkError("could not index the demo articles")
        rows = {name: _warm_latency(rag.Settings(data_dir=data_dir, sentence_cache=0, sentence_store=False), asked)
                for name, data_dir in (("demo", Path(scratch)), ("big", index))}
    return {**rows, "big_over_demo_p50": round(rows["big"]["p50_ms"] / rows["demo"]["p50_ms"], 2),
            "big_over_demo_p95": round(rows["big"]["p95_ms"] / rows["demo"]["p95_ms"], 2)}


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
            "max_ms": round(ordered[-1], 1)}


@click.command("scale-latency")
@click.option("--index", "index", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
@click.option("--questions", type=click.IntRange(min=5), default=60, show_default=True)
@click.option("--server/--no-server", default=True, help="Also through a Chroma server serving a copy of the index.")
@click.option("--ui/--no-ui", default=True, help="Also the memory of a running `rag ui` over the index.")
@click.option("--read-ahead/--no-read-ahead", default=True,
              help="Also after `rag read-ahead` (run on the index first: ~0.023 s a chunk on 2 cores when nothing is kept).")
@click.option("--quiz", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Also a folder of quiz texts and questions (corpus.jsonl, questions.jsonl: "
                   "../shared/benchmarks/quail-news), its texts added to a copy of the index.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write the JSON here.")
def scale_latency_command(
    index: Path, questions: int, server: bool, ui: bool, read_ahead: bool, quiz: Path | None, out: Path | None
) -> None:
    """Warm ask latency on a big index (embedded, server) and `rag ui` memory."""
    import rag

    asked = _questions(index, questions)
    _into_page_cache(index)
    result: dict[str, Any] = {"benchmark": "scale-latency", "index": _index_size(index),
                              # Nothing kept on disk: a first question about an article reads all its passages' sentences.
                              "embedded": _warm_latency(rag.Settings(data_dir=index, sentence_store=False), asked),
                              "targets_ms": {"p50": 80, "p95": 200}}
    from rag.index.embeddings import native_bfloat16

    if rag.Settings().reading_precision != "float32" and native_bfloat16():
        # The same questions with the sentences read in float32: what bfloat16 saves, one run.
        result["embedded_reading_float32"] = _warm_latency(
            rag.Settings(data_dir=index, reading_precision="float32", sentence_store=False), asked)
    if read_ahead:
        result["read_ahead"] = _read_ahead(index)
        result["embedded_read_ahead"] = _warm_latency(rag.Settings(data_dir=index), asked)
    result["nothing_read_before"] = _fresh_against_demo(index, asked)
    if server:
        result["server"] = _server_latency(index, asked, kept=False)
        if read_ahead:
            result["server_read_ahead"] = _server_latency(index, asked, kept=True)
    if quiz is not None:
        result["quiz_read_ahead"] = _quiz_latency(index, quiz)
    if ui:
        result["ui"] = _ui_memory(index)
    emit(result, out)


def _quiz_latency(index: Path, quiz: Path) -> dict[str, Any]:
    """The quiz's texts ingested into a copy of the index, read ahead (`rag read-ahead`), then
    per text its first two questions in the file's order, as `_warm_latency` asks them."""
    import rag

    by_text: dict[str, list[str]] = {}
    with (quiz / "questions.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            by_text.setdefault(str(row["doc_id"]), []).append(str(row["question"]))
    asked = [ArticleQuestions(texts[0], texts[1]) for texts in by_text.values() if len(texts) >= 2]
    with tempfile.TemporaryDirectory(prefix="rag-quiz-") as scratch:
        copy = Path(scratch) / "index"
        shutil.copytree(index, copy, ignore=shutil.ignore_patterns("write.lock"))
        for command in (("ingest", "-q", str(quiz / "corpus.jsonl")), ("read-ahead", "-q")):
            done = _rag(*command, data_dir=copy)
            if done.returncode != 0:
                raise BenchmarkError(f"rag {command[0]} of the quiz failed: {done.stderr[-500:]}")
        return _warm_latency(rag.Settings(data_dir=copy), asked)


def _read_ahead(index: Path) -> dict[str, Any]:
    """`Assistant.read_ahead` (`rag read-ahead`) on the index: its time, what it read, and the
    size of the file the vectors are kept in (sentences kept by an earlier run are not read again)."""
    import rag
    from rag.index.sentence_store import SENTENCE_STORE_FILE

    assistant = rag.Assistant(rag.Settings(data_dir=index), auto_seed=False)
    began = time.perf_counter()
    done = assistant.read_ahead()
    seconds = time.perf_counter() - began
    assistant.close()
    path = index / SENTENCE_STORE_FILE
    return {"seconds": round(seconds, 1), "sentences": done.sentences, "read": done.read,
            "sentences_per_second": round(done.read / seconds, 1) if done.read else None,
            "file_mb": round(path.stat().st_size / 1e6, 1)}


def _into_page_cache(folder: Path) -> None:
    """Read every file of the index once, as a running app's machine holds the pages it has
    served in its page cache: without this, the first row's first questions read chunks from
    disk (one run: the embedded search's p95 240 ms, max 782 ms, against 41 / 46 ms in the row
    after it)."""
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                while handle.read(1 << 20):
                    pass


def _server_latency(index: Path, asked: list[ArticleQuestions], kept: bool) -> dict[str, Any]:
    """Through a Chroma server serving a copy of the index; with `kept`, the app has the
    index's kept sentence vectors (a copy of the file `rag read-ahead` filled)."""
    import rag
    from rag.index.sentence_store import SENTENCE_STORE_FILE

    chroma = Path(sys.executable).with_name("chroma")
    with tempfile.TemporaryDirectory(prefix="rag-server-") as scratch:
        served = Path(scratch) / "chroma"
        shutil.copytree(index / "chroma", served)
        port = free_port()
        process = subprocess.Popen([str(chroma), "run", "--path", str(served), "--host", "127.0.0.1", "--port",
                                    str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            heartbeat = f"http://127.0.0.1:{port}/api/v2/heartbeat"
            if not wait_until_up(heartbeat, process, timeout_s=120):
                raise BenchmarkError(f"the Chroma server did not start ({heartbeat})")
            app = Path(scratch) / "app"
            if kept:
                app.mkdir()
                shutil.copy2(index / SENTENCE_STORE_FILE, app / SENTENCE_STORE_FILE)
            settings = rag.Settings(data_dir=app, chroma_host="127.0.0.1", chroma_port=port, sentence_store=kept)
            return _warm_latency(settings, asked)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _ui_memory(index: Path) -> dict[str, Any]:
    import gradio_client

    from eval.bench_load import served_ui, ui_asker

    with served_ui(index) as (url, server):
        ask = ui_asker(gradio_client.Client(url, verbose=False))
        for question in ("What happened in the midterm elections?", "Who won the World Cup match?",
                         "What did the Federal Reserve decide about interest rates?"):
            ask(question)
        return process_memory_mb(server.pid)
