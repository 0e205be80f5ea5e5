"""A child process for tests/test_crash_safety.py: one ingest run that a test can SIGKILL.

    python tests/crash_ingest_worker.py CORPUS_DIR [--delay S] [--batch-chunks N]
                                        [--pause-after OP] [--pause S]

Settings come from the environment (RAG_DATA_DIR, RAG_CHUNK_TOKENS, ...), exactly as the
parent builds them. The embedder is `SlowFakeEmbedder`: deterministic, and sleeping per
batch so the run lasts long enough to be killed part-way. Every line on stdout is flushed
at once so the parent can time its kill:

    OPENING                      about to open the Chroma client
    PROGRESS <done> <total>      one line per progress callback
    OP <name> <n>                (with --pause-after) after the n-th call of a Chroma write
    DONE <json report>           the run finished

`--pause-after chunks.upsert|docs.upsert|chunks.delete` prints an OP marker after every
such Chroma call and then sleeps `--pause` seconds, so the parent can kill the process at
an exact point inside `IndexStore.write_document` (for instance between a document's
record being written and its previous version's chunks being deleted).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence

import numpy as np

from rag.index.embeddings import PieceVectors

# The index records this name, and `embedder_name(Settings())` returns it for the default
# settings: the data dirs these tests use are only ever written with the fake embedder.
FAKE_EMBEDDER_NAME = "all-MiniLM-L6-v2"
FAKE_DIMENSION = 32


class SlowFakeEmbedder:
    """Deterministic unit vectors from a hash of each text; words count as tokens.
    It also serves the readers the crash tests open (`rag.Assistant(embedder=...)`)."""

    name = FAKE_EMBEDDER_NAME
    dimension = FAKE_DIMENSION
    max_tokens = 256

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay)
        return np.stack([fake_vector(t) for t in texts]) if texts else np.zeros(
            (0, self.dimension), dtype=np.float32
        )

    def embed_query(self, text: str) -> np.ndarray:
        return fake_vector(text)

    def embed_pieces(self, texts: Sequence[str]) -> list[PieceVectors]:
        pieces = [tuple(t.split()) or (t,) for t in texts]
        return [
            PieceVectors(fake_vector(t), words, np.stack([fake_vector(w) for w in words]).astype(np.float16))
            for t, words in zip(texts, pieces)
        ]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]


def fake_vector(text: str) -> np.ndarray:
    """A random unit vector seeded by the text with its whitespace folded, so a question made
    of a chunk's passage (a question's line breaks read as spaces) finds that chunk first."""
    folded = " ".join(text.split())
    seed = int.from_bytes(hashlib.sha256(folded.encode("utf-8")).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(FAKE_DIMENSION).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class _PausingCollection:
    """A Chroma collection that reports (and lingers after) one kind of write."""

    def __init__(self, inner, label: str, pause_after: str, pause: float) -> None:
        self._inner = inner
        self._label = label
        self._pause_after = pause_after
        self._pause = pause
        self._calls = 0

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if f"{self._label}.{name}" != self._pause_after:
            return attr

        def wrapped(*args, **kwargs):
            result = attr(*args, **kwargs)
            self._calls += 1
            _say(f"OP {self._pause_after} {self._calls}")
            time.sleep(self._pause)
            return result

        return wrapped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--batch-chunks", type=int, default=8)
    parser.add_argument("--pause-after", default=None)
    parser.add_argument("--pause", type=float, default=0.5)
    args = parser.parse_args(argv)

    import rag.index.lease
    import rag.index.store
    from ingest import pipeline
    from rag.config import Settings

    pipeline.EMBED_BATCH_CHUNKS = args.batch_chunks
    real_client = rag.index.lease.make_chroma_client

    def announced_client(settings):
        _say("OPENING")
        return real_client(settings)

    rag.index.lease.make_chroma_client = announced_client

    if args.pause_after:
        real_init = rag.index.store.IndexStore.__init__

        def pausing_init(self, *a, **kw):
            real_init(self, *a, **kw)
            self._chunks = _PausingCollection(self._chunks, "chunks", args.pause_after, args.pause)
            self._docs = _PausingCollection(self._docs, "docs", args.pause_after, args.pause)

        rag.index.store.IndexStore.__init__ = pausing_init

    settings = Settings()
    report = pipeline.ingest_paths(
        [args.corpus],
        settings,
        embedder=SlowFakeEmbedder(args.delay),
        progress=lambda done, total: _say(f"PROGRESS {done} {total}"),
    )
    _say("DONE " + json.dumps({
        "new": len(report.new),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "problems": [str(p) for p in report.problems],
        "documents_total": report.documents_total,
        "chunks_total": report.chunks_total,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
