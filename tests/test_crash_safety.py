"""Crash safety of `ingest_paths`: SIGKILL an ingest part-way, run again, check the index.

Issue requirement: "Nothing already indexed is lost or half-written: if the process is
killed mid-run (test it with SIGKILL), the next run leaves the index consistent and
complete."

Each ingest that gets killed runs in a child process (tests/crash_ingest_worker.py) with a
deterministic, deliberately slow fake embedder and small embedding batches, so that many
Chroma writes happen and a kill lands between or inside them. Re-runs and checks happen in
this process with the same fake embedder (same name, same settings), reading Chroma
through the project's own `IndexStore`. Every recovered index is compared with a clean,
never-killed ingest of the same corpus into another data dir.

At every kill point, before the re-run repairs anything, a reader (`rag.Assistant`, which
never writes, so never repairs) also asks questions, among them the very words of the
chunks the kill left uncommitted: it must only serve and cite chunks a document record
commits, with offsets that hold in `get_document` (`assert_readers_see_only_committed`).

The default run keeps one kill-and-recover test, one update kill and the lock test; the
loops over many kill points are marked slow (`python -m pytest -m '' tests/test_crash_safety.py`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import rag
from ingest import ingest_paths, passage_for_embedding
from rag.index.bm25 import Bm25Index, stamp_of, synced_bm25
from rag.index.chroma import make_chroma_client
from rag.config import Settings
from rag.index.embeddings import embedder_name
from rag.errors import EmptyIndexError, IndexLockedError
from rag.index.store import IndexStore
from tests.chroma_server import ChromaServer, chroma_server  # noqa: F401  (fixture)

WORKER = Path(__file__).resolve().parent / "crash_ingest_worker.py"


def _load_worker_module():
    # The worker is also imported here for its fake embedder; tests/ is no package and
    # pytest may use importlib mode, so load it by path.
    spec = importlib.util.spec_from_file_location("crash_ingest_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_worker_module = _load_worker_module()
FAKE_EMBEDDER_NAME = _worker_module.FAKE_EMBEDDER_NAME
SlowFakeEmbedder = _worker_module.SlowFakeEmbedder
fake_vector = _worker_module.fake_vector
CHUNK_TOKENS = 100  # smaller than the default so every article has several chunks
OVERLAP_TOKENS = 20
N_ARTICLES = 48
CORPUS_SEED = 20240611
WORKER_DELAY = 0.08  # seconds per embedding batch
# Where exactly a worker is killed is drawn at random, from this seed: set RAG_TEST_KILL_SEED to
# replay a failing run (the seed is printed at the start of every test that draws from it).
KILL_SEED = int(os.environ.get("RAG_TEST_KILL_SEED", "20261201"))
_KILL_POINTS = random.Random(KILL_SEED)


def _kill_delay(longest: float) -> float:
    print(f"kill points drawn with RAG_TEST_KILL_SEED={KILL_SEED}")
    return _KILL_POINTS.uniform(0.0, longest)
WORKER_BATCH_CHUNKS = 8
LINE_TIMEOUT = 60.0


# -- a corpus of distinct, multi-paragraph articles ------------------------------------------

_FIRST = ["Amina", "Jonas", "Priya", "Mateo", "Hana", "Oleksandr", "Grace", "Tariq", "Ingrid",
          "Kwame", "Lucia", "Dmitri", "Mei", "Samuel", "Fatima", "Henrik", "Chloe", "Rafael"]
_LAST = ["Okafor", "Lindqvist", "Raman", "Herrera", "Sato", "Bondarenko", "Mensah", "Haddad",
         "Johansen", "Asante", "Moretti", "Volkov", "Chen", "Adeyemi", "Rahman", "Berg",
         "Dubois", "Carvalho"]
_PLACES = ["the port city of Mombasa", "northern Bavaria", "the Andean highlands", "coastal Kerala",
           "the outskirts of Lagos", "rural Saskatchewan", "the Mekong delta", "central Anatolia",
           "the Atacama desert", "southern Tasmania", "the Rhine valley", "greater Manila",
           "the fjords of western Norway", "the Sahel", "downtown Montreal", "the Po basin"]
_ORGS = ["the regional water authority", "a coalition of farmers' unions", "the transport ministry",
         "an independent audit office", "the national statistics bureau", "a local hospital trust",
         "the port operator", "a university research team", "the central bank",
         "an environmental watchdog", "the city council", "a consortium of shipping firms"]
_TOPICS = ["drought", "rail electrification", "a measles outbreak", "grain exports",
           "coastal erosion", "a teachers' strike", "wildfire recovery", "housing costs",
           "a new solar plant", "fishing quotas", "flood defences", "a bridge collapse",
           "broadband rollout", "vaccine supply", "copper mining", "a bus fare increase"]
_VERBS = ["announced", "warned", "confirmed", "disputed", "estimated", "reported", "acknowledged",
          "proposed", "rejected", "welcomed", "questioned", "predicted"]
_OBJECTS = ["a budget of {n} million dollars", "delays of up to {n} weeks", "{n} new inspectors",
            "a {n} percent rise in demand", "compensation for {n} households",
            "a review lasting {n} months", "{n} kilometres of new track", "{n} emergency shelters",
            "fines totalling {n} thousand euros", "a shortfall of {n} tonnes"]
_QUOTES = ["We cannot afford another season like the last one", "The numbers speak for themselves",
           "Nobody here was consulted before the decision", "This is a first step, not the last",
           "Our crews worked through the night", "The plan is ambitious but it is funded",
           "People deserve a straight answer", "We expect the situation to improve by spring"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _sentence(rng: random.Random, article: int) -> str:
    kind = rng.randrange(5)
    person = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    obj = rng.choice(_OBJECTS).format(n=rng.randint(2, 950))
    if kind == 0:
        return (f"On {rng.choice(_DAYS)}, {rng.choice(_ORGS)} {rng.choice(_VERBS)} "
                f"{obj} in {rng.choice(_PLACES)}.")
    if kind == 1:
        return f'"{rng.choice(_QUOTES)}," said {person}, who has followed {rng.choice(_TOPICS)} for {rng.randint(3, 30)} years.'
    if kind == 2:
        return (f"Officials in {rng.choice(_PLACES)} {rng.choice(_VERBS)} that {rng.choice(_TOPICS)} "
                f"had affected roughly {rng.randint(100, 90000)} residents, case file {article}-{rng.randint(1, 9999)}.")
    if kind == 3:
        return (f"Critics, including {person} of {rng.choice(_ORGS)}, {rng.choice(_VERBS)} "
                f"{obj} and asked for an inquiry into {rng.choice(_TOPICS)}.")
    return (f"According to figures released this week, {rng.choice(_ORGS)} expects "
            f"{obj} before the end of the year, a change from earlier forecasts.")


def _paragraph(rng: random.Random, article: int) -> str:
    return " ".join(_sentence(rng, article) for _ in range(rng.randint(3, 7)))


def write_corpus(folder: Path, n: int = N_ARTICLES, seed: int = CORPUS_SEED) -> list[Path]:
    """`n` distinct news-like articles: headline, byline, 3 to 8 paragraphs."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    paths = []
    for i in range(n):
        topic = rng.choice(_TOPICS)
        title = f"{topic[0].upper()}{topic[1:]} in {rng.choice(_PLACES)}: report {i + 1} of {n}"
        author = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        paragraphs = [_paragraph(rng, i) for _ in range(rng.randint(3, 8))]
        path = folder / f"article-{i:03d}.txt"
        path.write_text(f"{title}\n\nBy {author}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def rewrite_articles(paths: list[Path], seed: int) -> None:
    """A new version of each file: same headline, its body partly rewritten and extended."""
    rng = random.Random(seed)
    for number, path in enumerate(paths):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        byline, _, body = body.partition("\n\n")
        paragraphs = body.strip("\n").split("\n\n")
        paragraphs[len(paragraphs) // 2] = _paragraph(rng, 1000 + number)
        paragraphs.append(f"Update: {_paragraph(rng, 2000 + number)}")
        path.write_text(f"{head}\n\n{byline}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def expected_doc_ids(corpus: Path) -> set[str]:
    return {f"{corpus.name}/{p.name}" for p in corpus.glob("*.txt")}


# -- settings, in-process ingest, and the child process --------------------------------------


def make_settings(data_dir: Path, server: ChromaServer | None = None) -> Settings:
    """Embedded Chroma in `data_dir`, or (with `server`) that Chroma server."""
    where = server.settings_fields() if server else {}
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        chunk_tokens=CHUNK_TOKENS,
        chunk_overlap_tokens=OVERLAP_TOKENS,
        **where,
    )


def forget_chroma() -> None:
    """Drop this process's cached Chroma systems, so the next open re-reads the disk."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def ingest_now(corpus: Path, settings: Settings, **kwargs):
    forget_chroma()
    try:
        return ingest_paths([corpus], settings, embedder=SlowFakeEmbedder(0.0), **kwargs)
    finally:
        forget_chroma()


class Worker:
    """One ingest in a child process; stdout lines are collected by a thread."""

    def __init__(self, corpus: Path, data_dir: Path, *extra: str, delay: float = WORKER_DELAY,
                 server: ChromaServer | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
        env.update(
            RAG_DATA_DIR=str(data_dir),
            RAG_CHUNK_TOKENS=str(CHUNK_TOKENS),
            RAG_CHUNK_OVERLAP_TOKENS=str(OVERLAP_TOKENS),
            PYTHONUNBUFFERED="1",
            **(server.env() if server else {}),
        )
        self.stderr_path = data_dir.parent / f"{data_dir.name}-worker-{time.monotonic_ns()}.stderr"
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115  (closed by kill() or finish())
        command = [sys.executable, str(WORKER), str(corpus), "--delay", str(delay),
                   "--batch-chunks", str(WORKER_BATCH_CHUNKS), *extra]
        # cwd outside the repo: Settings must not pick up a stray .env file.
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr,
                                     cwd=data_dir.parent, env=env, text=True)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = LINE_TIMEOUT) -> str:
        """The first new stdout line for which `predicate` holds; fails if the run ends first."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                pytest.fail(f"worker printed no expected line within {timeout}s: {self.lines[-5:]}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail(f"worker ended (rc={self.proc.wait()}) before the kill point; "
                            f"stdout tail {self.lines[-5:]}\nstderr:\n{self.stderr()}")
            self.lines.append(line)
            if predicate(line):
                return line

    def wait_for_progress(self, at_least: Callable[[int], int]) -> tuple[int, int]:
        """Wait until a PROGRESS line has done >= at_least(total); return (done, total)."""
        def ready(line: str) -> bool:
            if not line.startswith("PROGRESS "):
                return False
            done, total = map(int, line.split()[1:3])
            return done >= at_least(total)

        _, done, total = self.wait_for(ready).split()
        return int(done), int(total)

    def last_progress(self) -> int:
        done = [int(line.split()[1]) for line in self.lines if line.startswith("PROGRESS ")]
        return max(done, default=0)

    def kill(self) -> bool:
        """SIGKILL the child; True if it was still running."""
        alive = self.proc.poll() is None
        if alive:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._stderr.close()
        return alive

    def finish(self, timeout: float = 120) -> dict:
        line = self.wait_for(lambda text: text.startswith("DONE "), timeout)
        assert self.proc.wait(timeout=30) == 0, self.stderr()
        self._stderr.close()
        return json.loads(line[len("DONE "):])


# -- reading and checking the index ----------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    documents: dict[str, tuple[str, dict]]  # doc_id -> (text, metadata)
    chunks: dict[str, tuple[str, dict]]  # chunk_id -> (text, metadata)

    def chunks_of(self, doc_id: str) -> dict[str, tuple[str, dict]]:
        return {cid: c for cid, c in self.chunks.items() if c[1]["doc_id"] == doc_id}


def _open_store(settings: Settings):
    client = make_chroma_client(settings)
    return client, IndexStore(client, settings, embedder_name(settings))


def read_index(settings: Settings) -> Snapshot:
    """Everything in Chroma, read without repairing anything."""
    forget_chroma()
    try:
        _, store = _open_store(settings)
        documents = {}
        for doc_id in store.stored_documents():
            document = store.get_document(doc_id)
            documents[doc_id] = (document.text, dict(document.metadata))
        chunks = {c.chunk_id: (c.text, dict(c.metadata)) for c in store.iter_chunks()}
        assert len(chunks) == len(store.chunk_ids()) == store.count_chunks()
        assert len(documents) == store.count_documents()
        return Snapshot(documents, chunks)
    finally:
        forget_chroma()


def committed_complete(snapshot: Snapshot) -> dict[str, str]:
    """doc_id -> version of documents whose record and all of whose chunks are in the index."""
    complete = {}
    for doc_id, (_, meta) in snapshot.documents.items():
        ids = {cid for cid, (_, m) in snapshot.chunks_of(doc_id).items() if m["version"] == meta["version"]}
        if len(ids) == meta["chunk_count"]:
            complete[doc_id] = meta["version"]
    return complete


def assert_consistent(snapshot: Snapshot) -> None:
    """Every record commits exactly its chunks, every chunk has its record, offsets hold."""
    for doc_id, (text, meta) in snapshot.documents.items():
        assert meta["doc_id"] == doc_id
        assert meta["content_hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest(), doc_id
        chunks = snapshot.chunks_of(doc_id)
        assert len(chunks) == meta["chunk_count"], (
            f"{doc_id}: record says {meta['chunk_count']} chunks, index holds {len(chunks)}")
        indexes = sorted(m["chunk_index"] for _, m in chunks.values())
        assert indexes == list(range(meta["chunk_count"])), doc_id
        assert len({t for t, _ in chunks.values()}) == len(chunks), f"{doc_id}: duplicate chunk texts"
        for chunk_id, (chunk_text, chunk_meta) in chunks.items():
            assert chunk_id.split("::") == [doc_id, meta["version"], f"{chunk_meta['chunk_index']:05d}"]
            assert chunk_meta["version"] == meta["version"], f"stale chunk {chunk_id}"
            assert chunk_meta["content_hash"] == meta["content_hash"], chunk_id
            assert text[chunk_meta["start"]:chunk_meta["end"]] == chunk_text, chunk_id
    orphans = [cid for cid, (_, m) in snapshot.chunks.items() if m["doc_id"] not in snapshot.documents]
    assert not orphans, f"{len(orphans)} chunks without a document record: {orphans[:3]}"


def assert_same_index(snapshot: Snapshot, reference: Snapshot,
                      volatile: frozenset[str] = frozenset({"ingested_at"})) -> None:
    """The same documents and chunks (ids, texts, offsets, metadata) as a never-killed ingest."""
    assert set(snapshot.documents) == set(reference.documents)
    assert set(snapshot.chunks) == set(reference.chunks)
    for doc_id, (text, meta) in reference.documents.items():
        got_text, got_meta = snapshot.documents[doc_id]
        assert got_text == text, doc_id
        assert {k: v for k, v in got_meta.items() if k not in volatile} == {
            k: v for k, v in meta.items() if k not in volatile}, doc_id
    for chunk_id, (text, meta) in reference.chunks.items():
        got_text, got_meta = snapshot.chunks[chunk_id]
        assert got_text == text, chunk_id
        assert {k: v for k, v in got_meta.items() if k not in volatile} == {
            k: v for k, v in meta.items() if k not in volatile}, chunk_id


def assert_search_structures(settings: Settings, sample: int = 40) -> None:
    """The BM25 cache is the one for Chroma's chunks, and the vector index finds stored chunks."""
    forget_chroma()
    try:
        client, store = _open_store(settings)
        # After the run's repair every chunk is committed, so writer and readers stamp alike.
        assert sorted(store.committed_chunk_ids()) == sorted(store.chunk_ids())
        stamp = stamp_of(store.committed_chunk_ids())
        assert synced_bm25(store, settings.data_dir / "bm25").stamp == stamp
        cached = Bm25Index.load(settings.data_dir / "bm25")
        assert cached is not None and cached.stamp == stamp, "BM25 cache out of date after the run"
        assert sorted(cached.chunk_ids) == sorted(store.chunk_ids())
        chunks = client.get_collection(f"{settings.collection}_chunks")
        records = list(store.iter_chunks())
        for record in random.Random(0).sample(records, min(sample, len(records))):
            vector = fake_vector(passage_for_embedding(str(record.metadata["title"]), record.text))
            found = chunks.query(query_embeddings=[vector.tolist()], n_results=3, include=[])
            assert record.chunk_id in found["ids"][0], f"vector search does not find {record.chunk_id}"
    finally:
        forget_chroma()


# -- what a reader sees between a kill and the next run ----------------------------------------

READER_QUESTIONS = 6  # per killed state: uncommitted chunks first, then article openings
_OPENING_WORDS = 40


def committed_chunk_ids(snapshot: Snapshot) -> set[str]:
    """Chunks a record commits: their document's record holds the chunk's version."""
    return {cid for cid, (_, meta) in snapshot.chunks.items()
            if meta["doc_id"] in snapshot.documents
            and snapshot.documents[meta["doc_id"]][1]["version"] == cid.split("::")[-2]}


def reader_questions(killed: Snapshot) -> list[str]:
    """Chunks no record commits (what a half-written document left), each asked in the very
    words it was embedded from, so that both searches rank it first if they see it at all;
    then the opening words of a few committed articles."""
    committed = committed_chunk_ids(killed)
    uncommitted = sorted({passage_for_embedding(str(meta["title"]), text)
                          for cid, (text, meta) in killed.chunks.items() if cid not in committed})
    openings = [" ".join(killed.documents[d][0].split()[:_OPENING_WORDS]) for d in sorted(killed.documents)]
    picked = [*uncommitted[: READER_QUESTIONS // 2], *openings[:: max(1, len(openings) // 3)]]
    return picked[:READER_QUESTIONS]


def assert_readers_see_only_committed(settings: Settings, killed: Snapshot) -> None:
    """A reader opened after the kill, before any re-run (readers never repair), retrieves and
    cites only chunks a record commits, at the record's version, with offsets that hold in
    `get_document`; its BM25 index holds exactly those chunks; and it writes nothing."""
    forget_chroma()
    cache_pointer = settings.data_dir / "bm25" / "CURRENT"
    pointer_before = cache_pointer.read_text() if cache_pointer.exists() else None
    reader_settings = settings.model_copy(update={"min_evidence": 0.0})  # answer, so there are citations
    assistant = rag.Assistant(reader_settings, embedder=SlowFakeEmbedder(0.0), auto_seed=False)
    try:
        if not killed.documents:
            with pytest.raises(EmptyIndexError):
                assistant.retrieve("anything at all")
            return
        committed = committed_chunk_ids(killed)
        for question in reader_questions(killed):
            _assert_answer_quotes_committed_text(assistant, assistant.ask(question, k=10), killed, committed)
        assert set(assistant._bm25.chunk_ids) == committed, "the reader's BM25 index is not the committed chunks'"
        _, store = _open_store(settings)
        assert (store.count_documents(), store.count_chunks()) == (len(killed.documents), len(killed.chunks))
    finally:
        forget_chroma()
    assert (cache_pointer.read_text() if cache_pointer.exists() else None) == pointer_before, "a reader wrote"


def _assert_answer_quotes_committed_text(
    assistant: rag.Assistant, answer: rag.Answer, killed: Snapshot, committed: set[str]
) -> None:
    assert answer.passages, answer.question
    for passage in answer.passages:
        assert passage.chunk_id in committed, f"served {passage.chunk_id}, which no record commits"
    for item in [*answer.passages, *answer.citations]:
        assert item.doc_id in killed.documents, f"served or cited {item.doc_id}, which has no record"
        text = assistant.get_document(item.doc_id).text
        assert text[item.start:item.end] == item.text, f"{item}: its offsets do not hold in get_document"


def assert_rerun_is_noop(corpus: Path, settings: Settings, n_docs: int) -> None:
    report = ingest_now(corpus, settings)
    assert report.new == () and report.updated == () and report.chunks_written == 0, report.summary()
    assert len(report.unchanged) == n_docs, report.summary()
    assert report.ok, report.problems


def recover_and_check(corpus: Path, settings: Settings, reference: Snapshot,
                      killed_state: Snapshot) -> None:
    """Re-run after a kill; the index must then equal the reference, keeping what was committed."""
    assert_readers_see_only_committed(settings, killed_state)
    kept = committed_complete(killed_state)
    report = ingest_now(corpus, settings)
    assert report.ok, report.problems
    assert set(report.new) | set(report.updated) | set(report.unchanged) == expected_doc_ids(corpus)
    # Nothing already indexed is lost: every document committed before the kill is kept
    # as it was (not re-embedded), and only the others are indexed now.
    assert set(kept) <= set(report.unchanged), report.summary()
    after = read_index(settings)
    assert_consistent(after)
    assert_same_index(after, reference)
    assert after.documents.keys() == expected_doc_ids(corpus)
    for doc_id, version in kept.items():
        if after.documents[doc_id][1]["version"] == version:
            assert after.documents[doc_id][1]["ingested_at"] == killed_state.documents[doc_id][1]["ingested_at"]
    assert report.documents_total == len(reference.documents)
    assert report.chunks_total == len(reference.chunks)
    assert_search_structures(settings)
    assert_rerun_is_noop(corpus, settings, len(reference.documents))


# -- fixtures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    folder: Path
    reference: Snapshot


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    """The corpus, and the index a clean, never-killed ingest makes of it."""
    base = tmp_path_factory.mktemp("crash_corpus")
    folder = base / "corpus"
    write_corpus(folder)
    settings = make_settings(base / "reference-data")
    report = ingest_now(folder, settings)
    assert report.ok and len(report.new) == N_ARTICLES, report.summary()
    reference = read_index(settings)
    assert_consistent(reference)
    assert len(reference.chunks) >= 3 * N_ARTICLES  # several chunks, many write batches
    return Corpus(folder, reference)


def test_the_fake_embedder_matches_what_the_store_checks():
    # The index records the embedder's name; the re-runs must open it under the same one.
    assert FAKE_EMBEDDER_NAME == embedder_name(make_settings(Path("unused")))


# -- the tests --------------------------------------------------------------------------------


def test_sigkill_mid_ingest_then_rerun_is_consistent_and_complete(corpus: Corpus, tmp_path):
    settings = make_settings(tmp_path / "data")
    worker = Worker(corpus.folder, settings.data_dir)
    done, total = worker.wait_for_progress(lambda total: total // 2)
    assert 0 < done < total
    assert worker.kill(), "the worker finished before it could be killed"

    killed = read_index(settings)
    # Every batch reported done was committed whole before the kill.
    assert len(committed_complete(killed)) >= worker.last_progress()
    recover_and_check(corpus.folder, settings, corpus.reference, killed)


def test_lock_is_refused_while_ingest_runs_and_freed_by_sigkill(corpus: Corpus, tmp_path):
    settings = make_settings(tmp_path / "data")
    worker = Worker(corpus.folder, settings.data_dir)
    worker.wait_for_progress(lambda total: 1)
    with pytest.raises(IndexLockedError) as refused:
        ingest_paths([corpus.folder], settings, embedder=SlowFakeEmbedder(0.0))
    assert str(settings.data_dir) in str(refused.value)
    assert f"pid {worker.proc.pid}" in str(refused.value)
    assert worker.kill(), "the worker finished before it could be killed"

    killed = read_index(settings)
    recover_and_check(corpus.folder, settings, corpus.reference, killed)


def test_next_run_sweeps_half_written_chunks_even_when_their_file_is_gone(corpus: Corpus, tmp_path):
    """Killed between new documents' chunks and their records, and their files are deleted before
    the next run: nothing re-writes those chunk ids, so only the repair sweep removes them."""
    folder = tmp_path / "corpus"
    shutil.copytree(corpus.folder, folder)
    settings = make_settings(tmp_path / "data")
    worker = Worker(folder, settings.data_dir, "--pause-after", "chunks.upsert", "--pause", "0.5")
    worker.wait_for(lambda line: line == "OP chunks.upsert 3")
    assert worker.kill()
    killed = read_index(settings)
    half_written = {m["doc_id"] for _, m in killed.chunks.values()} - set(killed.documents)
    # Chunks are written a batch of documents at a time: one or more have chunks but no record.
    assert half_written, "expected documents with chunks but no record"
    assert_readers_see_only_committed(settings, killed)
    for doc_id in half_written:
        (folder / doc_id.split("/", 1)[1]).unlink()

    report = ingest_now(folder, settings)
    assert report.ok and len(report.new) + len(report.unchanged) == N_ARTICLES - len(half_written), report.summary()
    after = read_index(settings)
    assert_consistent(after)
    assert after.documents.keys() == expected_doc_ids(folder)
    expected = Snapshot(
        {d: v for d, v in corpus.reference.documents.items() if d not in half_written},
        {c: v for c, v in corpus.reference.chunks.items() if v[1]["doc_id"] not in half_written},
    )
    assert_same_index(after, expected, volatile=frozenset({"ingested_at", "source_file", "source_key"}))
    assert_search_structures(settings)
    assert_rerun_is_noop(folder, settings, N_ARTICLES - len(half_written))


@dataclass(frozen=True)
class UpdateCase:
    folder: Path  # the corpus with ten files rewritten since `before_data` was built
    before_data: Path  # a data dir holding the whole corpus as it was
    before: Snapshot
    reference: Snapshot  # a clean ingest of the rewritten corpus
    changed: list[str]

    def fresh_data_dir(self, tmp_path: Path) -> Settings:
        """A private copy of `before_data` (copied while no process has it open)."""
        shutil.copytree(self.before_data, tmp_path / "data")
        return make_settings(tmp_path / "data")


@pytest.fixture(scope="module")
def update_case(corpus: Corpus, tmp_path_factory) -> UpdateCase:
    base = tmp_path_factory.mktemp("crash_update")
    folder = base / "corpus"
    shutil.copytree(corpus.folder, folder)
    before_settings = make_settings(base / "before-data")
    assert len(ingest_now(folder, before_settings).new) == N_ARTICLES
    before = read_index(before_settings)

    changed = sorted(folder.glob("*.txt"))[3::4][:10]
    rewrite_articles(changed, seed=1)
    reference_settings = make_settings(base / "reference-data")
    assert len(ingest_now(folder, reference_settings).new) == N_ARTICLES
    reference = read_index(reference_settings)
    return UpdateCase(folder, before_settings.data_dir, before, reference,
                      [f"{folder.name}/{p.name}" for p in changed])


def _check_update_recovered(case: UpdateCase, settings: Settings, killed: Snapshot) -> None:
    folder, before, reference, changed = case.folder, case.before, case.reference, case.changed
    assert_readers_see_only_committed(settings, killed)
    kept = committed_complete(killed)
    # A kill never loses a document: each one is whole, in its old or its new version.
    for doc_id in expected_doc_ids(folder):
        assert kept.get(doc_id) in {before.documents[doc_id][1]["version"],
                                    reference.documents[doc_id][1]["version"]}, doc_id
    report = ingest_now(folder, settings)
    assert report.ok and report.new == (), report.summary()
    assert set(report.updated) <= set(changed)
    after = read_index(settings)
    assert_consistent(after)
    assert_same_index(after, reference)
    for doc_id in changed:
        text, meta = after.documents[doc_id]
        old_text, old_meta = before.documents[doc_id]
        assert text != old_text and meta["version"] != old_meta["version"]
        assert meta["content_hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
        chunks = after.chunks_of(doc_id)
        assert len(chunks) == meta["chunk_count"]
        assert all(m["version"] == meta["version"] and t in text for t, m in chunks.values())
        assert not any(cid.split("::")[1] == old_meta["version"] for cid in after.chunks), (
            f"stale chunks of the old version of {doc_id}")
    assert_search_structures(settings)
    assert_rerun_is_noop(folder, settings, N_ARTICLES)


def test_sigkill_during_update_between_record_and_old_chunk_removal(update_case: UpdateCase, tmp_path):
    """Killed right after an updated document's new record is written, before its old
    version's chunks are deleted: both versions' chunks are on disk at the kill."""
    settings = update_case.fresh_data_dir(tmp_path)
    worker = Worker(update_case.folder, settings.data_dir, "--pause-after", "docs.upsert", "--pause", "0.5")
    worker.wait_for(lambda line: line == "OP docs.upsert 3")
    assert worker.kill()
    killed = read_index(settings)
    assert len(killed.chunks) > sum(m["chunk_count"] for _, m in killed.documents.values()), (
        "expected the old version's chunks still on disk at this kill point")
    _check_update_recovered(update_case, settings, killed)


@pytest.mark.slow
@pytest.mark.parametrize("pause_after, nth", [("chunks.upsert", 3), ("chunks.delete", 5)])
def test_sigkill_during_update_at_other_write_steps(update_case: UpdateCase, tmp_path, pause_after, nth):
    settings = update_case.fresh_data_dir(tmp_path)
    worker = Worker(update_case.folder, settings.data_dir, "--pause-after", pause_after, "--pause", "0.5")
    worker.wait_for(lambda line: line == f"OP {pause_after} {nth}")
    assert worker.kill()
    _check_update_recovered(update_case, settings, read_index(settings))


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0.25, 0.5, 0.75])
def test_sigkill_during_update_mid_run(update_case: UpdateCase, tmp_path, kill_after):
    settings = update_case.fresh_data_dir(tmp_path)
    worker = Worker(update_case.folder, settings.data_dir, "--batch-chunks", "4", delay=0.3)
    # Only the ten rewritten files are re-embedded; progress starts at the 38 unchanged.
    worker.wait_for_progress(lambda total: total - len(update_case.changed) + int(len(update_case.changed) * kill_after))
    time.sleep(_kill_delay(0.3))
    assert worker.kill(), "the worker finished before it could be killed"
    _check_update_recovered(update_case, settings, read_index(settings))


def _kill_during_open(worker: Worker) -> None:
    worker.wait_for(lambda line: line == "OPENING")
    time.sleep(_kill_delay(1.0))


def _kill_after_first_doc(worker: Worker) -> None:
    worker.wait_for_progress(lambda total: 1)


def _kill_midway(worker: Worker) -> None:
    worker.wait_for_progress(lambda total: total // 2)
    time.sleep(_kill_delay(WORKER_DELAY))


def _kill_near_end(worker: Worker) -> None:
    worker.wait_for_progress(lambda total: total - 6)


def _kill_inside_chunk_write(worker: Worker) -> None:
    worker.wait_for(lambda line: line == "OP chunks.upsert 5")


def _kill_after_last_document(worker: Worker) -> None:
    # All documents are in; the kill lands in the BM25 rebuild (or just after the run).
    worker.wait_for_progress(lambda total: total)


KILL_POINTS: Mapping[str, tuple[Callable[[Worker], None], tuple[str, ...]]] = {
    "during-chroma-open": (_kill_during_open, ()),
    "after-first-document": (_kill_after_first_doc, ()),
    "midway": (_kill_midway, ()),
    "near-end": (_kill_near_end, ()),
    "between-chunks-and-record": (_kill_inside_chunk_write, ("--pause-after", "chunks.upsert", "--pause", "0.5")),
    "after-last-document": (_kill_after_last_document, ()),
}


@pytest.mark.slow
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_sigkill_at_many_points_then_rerun_is_consistent_and_complete(corpus: Corpus, tmp_path, point):
    kill_at_point_then_recover(corpus, make_settings(tmp_path / "data"), point)


def kill_at_point_then_recover(corpus: Corpus, settings: Settings, point: str,
                               server: ChromaServer | None = None) -> None:
    wait, extra = KILL_POINTS[point]
    worker = Worker(corpus.folder, settings.data_dir, *extra, server=server)
    wait(worker)
    was_running = worker.kill()
    assert was_running or point == "after-last-document", "the worker finished before the kill"
    killed = read_index(settings)
    assert len(committed_complete(killed)) >= worker.last_progress()
    recover_and_check(corpus.folder, settings, corpus.reference, killed)


@pytest.mark.slow
def test_repeated_sigkills_on_one_data_dir_converge(corpus: Corpus, tmp_path):
    """Kill run after run on the same data dir; each one resumes, none loses committed work."""
    settings = make_settings(tmp_path / "data")
    rng = random.Random(7)
    committed: dict[str, str] = {}
    for attempt in range(6):
        worker = Worker(corpus.folder, settings.data_dir)
        base = len(committed)
        # Kill once this run has written a few more documents (or during its start-up).
        target = base + rng.randint(0, 8)
        if target == base:
            _kill_during_open(worker)
        else:
            worker.wait_for_progress(lambda total, target=target: min(target, total - 1))
        if not worker.kill():
            break
        killed = read_index(settings)
        assert_readers_see_only_committed(settings, killed)
        now = committed_complete(killed)
        assert set(committed) <= set(now), f"attempt {attempt}: committed documents were lost"
        assert all(now[d] == v for d, v in committed.items())
        committed = now
    recover_and_check(corpus.folder, settings, corpus.reference, read_index(settings))


# -- server mode: the same kills with the index on a `chroma run` server ---------------------


def test_server_mode__sigkill_mid_ingest_then_rerun_is_consistent_and_complete(
    corpus: Corpus, chroma_server: ChromaServer, tmp_path  # noqa: F811
):
    settings = make_settings(tmp_path / "data", chroma_server)
    worker = Worker(corpus.folder, settings.data_dir, server=chroma_server)
    done, total = worker.wait_for_progress(lambda total: total // 2)
    assert 0 < done < total
    assert worker.kill(), "the worker finished before it could be killed"
    assert not (settings.data_dir / "chroma").exists(), "the index must live on the server"

    killed = read_index(settings)
    assert len(committed_complete(killed)) >= worker.last_progress()
    recover_and_check(corpus.folder, settings, corpus.reference, killed)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["during-chroma-open", "between-chunks-and-record", "after-last-document"])
def test_server_mode__sigkill_at_other_points(corpus: Corpus, chroma_server: ChromaServer, tmp_path, point):  # noqa: F811
    kill_at_point_then_recover(corpus, make_settings(tmp_path / "data", chroma_server), point, chroma_server)


def test_server_mode__server_sigkilled_mid_ingest_then_restarted(
    corpus: Corpus, chroma_server: ChromaServer, tmp_path  # noqa: F811
):
    """The Chroma server itself dies (SIGKILL) part-way through an ingest: the ingest stops
    with the unreachable-server message, and once the server is back (same --path) the
    next run completes and the index is consistent."""
    settings = make_settings(tmp_path / "data", chroma_server)
    worker = Worker(corpus.folder, settings.data_dir, server=chroma_server)
    worker.wait_for_progress(lambda total: total // 3)
    chroma_server.kill()
    assert worker.proc.wait(timeout=60) != 0, "the ingest must fail while the server is down"
    assert f"{chroma_server.host}:{chroma_server.port} is unreachable" in worker.stderr(), worker.stderr()
    worker.kill()

    chroma_server.start()
    killed = read_index(settings)
    recover_and_check(corpus.folder, settings, corpus.reference, killed)
