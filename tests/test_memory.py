"""`release_free_memory` hands freed heap pages back to the system (glibc), which keeps a
long ingest's resident size from growing batch after batch."""

from __future__ import annotations

import ctypes
import os

import pytest

from rag.index.memory import _malloc_trim, release_free_memory


def _anonymous_mb() -> float:
    with open(f"/proc/{os.getpid()}/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon in /proc/self/status")


@pytest.mark.skipif(not os.path.exists("/proc/self/status") or _malloc_trim() is None,
                    reason="glibc's malloc_trim and /proc are Linux-only")
def test_release_free_memory__returns_freed_heap_pages_that_glibc_would_keep() -> None:
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    block = 64 * 1024  # below glibc's mmap threshold: served from the heap, as torch's buffers are
    blocks = [libc.malloc(block) for _ in range(1600)]  # 100 MB
    assert all(blocks)
    for address in blocks:
        ctypes.memset(address, 1, block)  # touched, so resident
    for address in blocks[:-1]:  # the last one stays: the heap's top cannot shrink by itself
        libc.free(address)
    kept = _anonymous_mb()
    release_free_memory()
    released = kept - _anonymous_mb()
    libc.free(blocks[-1])
    assert released > 50, f"only {released:.0f} MB of ~100 MB freed went back to the system"


def test_assistant__hands_freed_memory_back_after_each_answer(tmp_path, settings, fake_embedder, monkeypatch) -> None:
    import rag
    from ingest import ingest_paths
    from tests.helpers import copy_seeds

    ingest_paths([copy_seeds(tmp_path / "seeds")[0].parent], settings, embedder=fake_embedder)
    released: list[int] = []
    monkeypatch.setattr("rag.answer.assistant.release_free_memory", lambda: released.append(1))
    assistant = rag.Assistant(settings, embedder=fake_embedder, auto_seed=False)
    assistant.ask("How old were the captured soldiers?")
    assert len(released) == 1
    stream = assistant.ask_stream("Where were the soldiers captured?")
    "".join(stream)
    assert stream.answer.text
    assert len(released) == 2
