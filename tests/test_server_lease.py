"""The writer lease on a Chroma server: ingests from different data dirs (stand-ins for
different machines) against one server never overlap, a dead writer's claim lapses, and
a writer that loses its lease stops before writing more."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

import rag
import rag.index.lease
from ingest import ingest_paths
from rag.index.chroma import make_chroma_client
from rag.index.lease import LeaseHolder, ServerWriteLease
from tests.chroma_server import ChromaServer, chroma_server  # noqa: F401  (fixture)
from tests.fakes import FakeEmbedder
from tests.helpers import copy_seeds, open_store


def plant_holder(settings: rag.Settings, host: str, pid: int, expires_in: float) -> None:
    """A lease as another machine's ingest would have written it."""
    holder = LeaseHolder("someone-else", host, pid, "2026-11-22T10:00:00+00:00", time.time() + expires_in)
    client = make_chroma_client(settings)
    collection = client.get_or_create_collection(f"{settings.collection}_writer", embedding_function=None)
    collection.modify(metadata=holder.to_metadata())


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    copy_seeds(folder)
    for n in range(6):
        (folder / f"extra-{n}.txt").write_text(
            f"Extra article {n}\n\n" + " ".join(f"Sentence {i} of extra article {n} about harbours." for i in range(40)),
            encoding="utf-8",
        )
    return folder


def test_lease__an_ingest_from_another_data_dir_is_refused_while_one_runs(
    chroma_server, corpus, tmp_path  # noqa: F811
):
    first, second = chroma_server.settings(tmp_path / "a"), chroma_server.settings(tmp_path / "b")
    started, go_on = threading.Event(), threading.Event()
    outcome: dict = {}

    def paused(done: int, total: int) -> None:
        started.set()
        go_on.wait(30)

    def run_first() -> None:
        outcome["report"] = ingest_paths([corpus], first, embedder=FakeEmbedder(), progress=paused)

    thread = threading.Thread(target=run_first)
    thread.start()
    assert started.wait(30)
    with pytest.raises(rag.IndexLockedError) as refused:
        ingest_paths([corpus], second, embedder=FakeEmbedder())
    message = str(refused.value)
    assert f"{chroma_server.host}:{chroma_server.port}" in message
    assert f"pid {__import__('os').getpid()} on host {socket.gethostname()}" in message and "Wait for it" in message
    go_on.set()
    thread.join(60)
    assert outcome["report"].ok and len(outcome["report"].new) == 8

    # Once it is done (and its lease released), the other one runs at once.
    again = ingest_paths([corpus], second, embedder=FakeEmbedder())
    assert again.ok and len(again.unchanged) == 8
    assert ServerWriteLease(make_chroma_client(second), second).holder() is None


def test_lease__a_live_claim_from_another_host_is_refused_and_an_expired_one_ignored(
    chroma_server, corpus, tmp_path  # noqa: F811
):
    settings = chroma_server.settings(tmp_path / "a")
    plant_holder(settings, "newsroom-box-7", 4242, expires_in=45)
    with pytest.raises(rag.IndexLockedError, match=r"pid 4242 on host newsroom-box-7 .*lapses within 4\d s"):
        ingest_paths([corpus], settings, embedder=FakeEmbedder())
    assert open_store(settings, FakeEmbedder().name).count_documents() == 0  # nothing was written

    plant_holder(settings, "newsroom-box-7", 4242, expires_in=-1)  # it stopped renewing
    assert ingest_paths([corpus], settings, embedder=FakeEmbedder()).ok


def test_lease__a_dead_process_on_this_host_does_not_block(chroma_server, corpus, tmp_path):  # noqa: F811
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    settings = chroma_server.settings(tmp_path / "a")
    plant_holder(settings, socket.gethostname(), int(dead.stdout), expires_in=45)  # e.g. SIGKILLed
    assert ingest_paths([corpus], settings, embedder=FakeEmbedder()).ok


def test_lease__of_simultaneous_claims_exactly_one_wins(chroma_server, tmp_path):  # noqa: F811
    settings = chroma_server.settings(tmp_path / "a")
    for _ in range(3):
        leases = [ServerWriteLease(make_chroma_client(settings), settings, settle_s=0.3) for _ in range(3)]
        barrier = threading.Barrier(len(leases))
        won: list[ServerWriteLease] = []
        refused: list[str] = []

        def claim(lease: ServerWriteLease) -> None:
            barrier.wait()
            try:
                lease.acquire()
                won.append(lease)
            except rag.IndexLockedError as exc:
                refused.append(str(exc))

        threads = [threading.Thread(target=claim, args=(lease,)) for lease in leases]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(won) == 1 and len(refused) == 2, refused
        won[0].release()


def test_lease__a_writer_that_loses_its_lease_stops_before_its_next_batch(
    chroma_server, corpus, tmp_path, monkeypatch  # noqa: F811
):
    import ingest.pipeline

    monkeypatch.setattr(rag.index.lease, "LEASE_TTL_S", 1.0)  # heartbeat every 0.25 s
    monkeypatch.setattr(ingest.pipeline, "EMBED_BATCH_CHUNKS", 2)
    settings = chroma_server.settings(tmp_path / "a")
    leases: list[rag.index.lease.ServerWriteLease] = []
    opened = rag.index.lease.ServerWriteLease.__init__

    def recording(self, *args, **kwargs) -> None:
        opened(self, *args, **kwargs)
        leases.append(self)

    monkeypatch.setattr(rag.index.lease.ServerWriteLease, "__init__", recording)

    def taken_over(done: int, total: int) -> None:
        if done == 1:  # after the first batch, another machine takes the index over
            plant_holder(settings, "newsroom-box-7", 4242, expires_in=45)
            # Wait until the heartbeat has seen it, however loaded the machine (a fixed sleep
            # raced it); the bound only keeps a broken heartbeat from hanging the suite.
            give_up = time.monotonic() + 60
            while leases[-1]._lost is None:
                assert time.monotonic() < give_up, "the heartbeat never noticed the takeover"
                time.sleep(0.05)

    with pytest.raises(rag.IndexLockedError, match="lost its writer lease .*held by pid 4242 on host newsroom-box-7"):
        ingest_paths([corpus], settings, embedder=FakeEmbedder(), progress=taken_over)
    store = open_store(settings, FakeEmbedder().name)
    assert 0 < store.count_documents() < 8  # it stopped part-way

    plant_holder(settings, "newsroom-box-7", 4242, expires_in=-1)  # the other one is done
    report = ingest_paths([corpus], settings, embedder=FakeEmbedder())
    assert report.ok and report.documents_total == 8
    assert sum(1 for _ in store.iter_chunks()) == store.count_chunks()


def test_lease__lapses_when_it_cannot_be_renewed(chroma_server, tmp_path):  # noqa: F811
    settings = chroma_server.settings(tmp_path / "a")
    now = [1000.0]
    lease = ServerWriteLease(make_chroma_client(settings), settings, ttl_s=60, settle_s=0, clock=lambda: now[0])
    lease.acquire()
    lease.ensure_held()
    now[0] += 61  # no renewal got through in a whole TTL
    with pytest.raises(rag.IndexLockedError, match="could not be renewed for 60 s"):
        lease.ensure_held()


def test_embedded_mode_takes_no_lease(tmp_path, corpus):
    settings = rag.Settings(_env_file=None, data_dir=tmp_path / "a")
    assert ingest_paths([corpus], settings, embedder=FakeEmbedder()).ok
    names = [c.name for c in make_chroma_client(settings).list_collections()]
    assert not any(name.endswith("_writer") for name in names)
