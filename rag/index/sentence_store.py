"""The offline answerer's sentence vectors, kept on disk across questions and restarts.

The answerer compares every sentence of the retrieved passages with the question by MiniLM's
pooled vector; reading a question's ~33 news sentences takes ~140 ms on 2 cores, most of a
first answer about an article. With each sentence's pooled vector kept here (from an earlier
answer, or from `rag read-ahead`), a first question reads only the few sentences its answer
is chosen among (3 to 8: `rag.answer.extractive.READ_KEPT`).

A cache, not a part of the index: keyed by the sentence's text and the reader that read it,
so a vector never outlives its meaning (another text or model has another key), and losing the
file costs speed only. SQLite in WAL mode: many processes may read and write it, and a write cut
short by a crash leaves the last committed state (`synchronous=NORMAL`: a power cut may lose the
last few writes, never corrupt the file). Any failure to read or write is logged and read as
"not stored": a missing cache never stops an answer.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

logger = logging.getLogger(__name__)

SENTENCE_STORE_FILE = "sentence-vectors.sqlite3"
# SQLite's default limit on a statement's parameters is 32,766 since 3.32; well under it.
_LOOKUP_PAGE = 900


def kept_precision(vector: np.ndarray) -> np.ndarray:
    """`vector` as kept: rounded to float16 (half the disk of float32; cosines move by ~1e-4, as
    much as a bfloat16 reading in another batch does), returned as float32. The answerer scores
    every sentence with its vector rounded so, read now or kept before: the same answer either way."""
    return np.asarray(vector, dtype=np.float32).astype(np.float16).astype(np.float32)


class SentenceStore:
    """Pooled sentence vectors (float16 on disk, `kept_precision`) by sentence text, for one
    reader (model and precision)."""

    def __init__(self, path: Path, reader: str, dimension: int) -> None:
        self.path = path
        self.dimension = dimension
        self._reader = reader.encode("utf-8")
        self._lock = threading.Lock()
        self._failed_write = False
        self._closed = False
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the app's threads, each use under the lock.
        self._db = sqlite3.connect(str(path), timeout=10.0, check_same_thread=False, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID")
        except BaseException:
            self._db.close()  # a file that is not a database: not left open until garbage collection
            raise

    @classmethod
    def open(cls, path: Path, reader: str, dimension: int) -> SentenceStore | None:
        """The store at `path`, or None (logged) when it cannot be opened: answers then read
        every sentence, as without a store."""
        try:
            return cls(path, reader, dimension)
        except (sqlite3.Error, OSError) as exc:
            logger.warning("Sentence vectors are not kept between runs: cannot open %s (%s)", path, exc)
            return None

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(self._reader + b"\0" + text.encode("utf-8", "surrogatepass")).digest()[:16]

    def get(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The stored vector of each of `texts` that has one."""
        keys = {self._key(text): text for text in dict.fromkeys(texts)}
        found: dict[str, np.ndarray] = {}
        wanted = list(keys)
        try:
            with self._lock:
                if self._closed:
                    return found
                for lo in range(0, len(wanted), _LOOKUP_PAGE):
                    page = wanted[lo : lo + _LOOKUP_PAGE]
                    marks = ",".join("?" * len(page))
                    for key, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", page):
                        vector = np.frombuffer(blob, dtype=np.float16)
                        if vector.shape == (self.dimension,):  # another model's length: not this reader's
                            found[keys[bytes(key)]] = vector.astype(np.float32)
        except sqlite3.Error as exc:
            logger.warning("Could not read sentence vectors from %s (%s): reading the sentences instead", self.path, exc)
        return found

    def put(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Keeps `vectors` (text -> pooled vector); a failure is logged once and otherwise ignored."""
        rows = [
            (self._key(text), np.ascontiguousarray(vector, dtype=np.float32).astype(np.float16).tobytes())
            for text, vector in vectors.items()
            if np.shape(vector) == (self.dimension,)
        ]
        if not rows:
            return
        try:
            with self._lock:
                if self._closed:
                    return
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany("INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", rows)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            if not self._failed_write:
                logger.warning("Could not keep sentence vectors in %s (%s): first answers stay slower", self.path, exc)
            self._failed_write = True

    def count(self) -> int:
        """How many vectors are kept (of every reader)."""
        try:
            with self._lock:
                if self._closed:
                    return 0
                return int(self._db.execute("SELECT count(*) FROM vectors").fetchone()[0])
        except sqlite3.Error:
            return 0

    def close(self) -> None:
        """Closes the file; afterwards nothing is found or kept."""
        with self._lock:
            self._closed = True
            self._db.close()
