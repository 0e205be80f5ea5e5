"""An exclusive, non-blocking lock on a data dir, so two writers never interleave."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rag.errors import IndexLockedError, StoreError

LOCK_FILE = "write.lock"


@contextmanager
def write_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data dir's write lock; IndexLockedError at once if another process has it.

    flock is released by the kernel when the holder dies, even by SIGKILL, so a crashed
    ingest never leaves a stale lock behind.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(data_dir / LOCK_FILE, "a+", encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"Cannot use the data dir {data_dir}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexLockedError(
                f"The index in {data_dir} is being written by {holder}. "
                "Wait for that ingest to finish, then run again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()
