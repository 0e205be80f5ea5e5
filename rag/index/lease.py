"""Exclusive write access to an index: the data dir's file lock, plus, on a Chroma server,
a writer lease stored on the server, so ingests on different machines never overlap.

The file lock (rag.index.lock) only serializes writers on one machine. Against a shared
server every ingest also holds a lease kept in the metadata of a small collection,
`<collection>_writer`. Chroma has no compare-and-swap, so a lease is taken in three
steps: read it and refuse if another holder is live; write our claim; wait SETTLE_S and
read it back. Of two claims made at the same moment the later write wins and the other
writer sees it and backs off. (Two starts whose read-write steps interleave within
SETTLE_S of network delay could still both proceed: the lease narrows the window for
overlap to that, it is not a consensus protocol.)

A heartbeat renews the lease every TTL/4. A holder that dies, even by SIGKILL, stops
renewing: its lease lapses TTL seconds after the last renewal, or at once for a holder on
the same host whose process is gone. If a writer cannot renew (server gone, or it was
paused past its TTL and another writer took over), `ensure_held()` raises and the
ingest stops before its next write.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from rag.index.chroma import chroma_errors, make_chroma_client
from rag.config import Settings
from rag.errors import IndexLockedError
from rag.index.lock import write_lock

logger = logging.getLogger(__name__)

LEASE_TTL_S = 60.0
SETTLE_S = 0.5
FREE = "-"  # the owner of a released lease (Chroma rejects None in metadata)


@dataclass(frozen=True)
class WriteAccess:
    """What a writer holds: the Chroma client, and a check to call before each write."""

    client: Any  # chromadb.api.ClientAPI
    ensure_held: Callable[[], None]


@contextmanager
def exclusive_writer(settings: Settings) -> Iterator[WriteAccess]:
    """Hold the data dir's lock and, in server mode, the server's writer lease.

    IndexLockedError at once when another writer has either."""
    with write_lock(settings.data_dir):
        client = make_chroma_client(settings)
        if not settings.server_mode:
            yield WriteAccess(client, lambda: None)
            return
        with ServerWriteLease(client, settings).held() as lease:
            yield WriteAccess(client, lease.ensure_held)


@dataclass(frozen=True)
class LeaseHolder:
    owner: str
    host: str
    pid: int
    since: str
    expires_at: float  # epoch seconds, by the holder's clock

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> "LeaseHolder | None":
        metadata = metadata or {}
        owner = str(metadata.get("owner", FREE))
        if owner == FREE:
            return None
        return cls(owner, str(metadata.get("host", "?")), int(metadata.get("pid", 0)),
                   str(metadata.get("since", "?")), float(metadata.get("expires_at", 0.0)))

    def to_metadata(self) -> dict[str, str | int | float]:
        return {"owner": self.owner, "host": self.host, "pid": self.pid, "since": self.since,
                "expires_at": self.expires_at}

    def is_live(self, now: float) -> bool:
        if self.expires_at <= now:
            return False
        return self.host != socket.gethostname() or _process_exists(self.pid)

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host} (since {self.since})"


class ServerWriteLease:
    """The writer lease of one index on a Chroma server; see the module docstring."""

    def __init__(self, client: Any, settings: Settings, ttl_s: float | None = None,
                 settle_s: float | None = None, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._settings = settings
        self._ttl_s = ttl_s or LEASE_TTL_S
        self._settle_s = SETTLE_S if settle_s is None else settle_s
        self._clock = clock
        self._name = f"{settings.collection}_writer"
        self._owner = uuid.uuid4().hex
        self._held_until = 0.0
        self._lost: str | None = None
        self._stop = threading.Event()
        self._where = f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"

    @contextmanager
    def held(self) -> Iterator["ServerWriteLease"]:
        self.acquire()
        heartbeat = threading.Thread(target=self._renew_until_stopped, name="rag-lease", daemon=True)
        heartbeat.start()
        try:
            yield self
        finally:
            self._stop.set()
            heartbeat.join(timeout=10)
            self.release()

    def acquire(self) -> None:
        self._refuse_if_taken(self.holder())
        claim = self._claim()
        self._write(claim.to_metadata())
        self._held_until = claim.expires_at
        time.sleep(self._settle_s)
        current = self.holder()
        if current is None or current.owner != self._owner:
            self._refuse_if_taken(current)
            raise IndexLockedError(f"Another ingest claimed the index on {self._where} at the same moment. "
                                   "Run again once it has finished.")
        logger.info("Holding the writer lease on %s", self._where)

    def ensure_held(self) -> None:
        """IndexLockedError if the lease was lost or has lapsed: stop writing now."""
        if self._lost is None and self._clock() >= self._held_until:
            self._lost = f"it could not be renewed for {self._ttl_s:.0f} s"
        if self._lost is not None:
            raise IndexLockedError(
                f"This ingest lost its writer lease on {self._where} ({self._lost}); it stopped "
                "before writing more. Run it again: the next run repairs anything half-written."
            )

    def release(self) -> None:
        try:
            current = self.holder()
            if current is not None and current.owner == self._owner:
                self._write({"owner": FREE, "expires_at": 0.0})
        except Exception as exc:  # the lease then lapses by itself after its TTL
            logger.warning("Could not release the writer lease on %s: %s", self._where, exc)

    def holder(self) -> LeaseHolder | None:
        with chroma_errors(self._settings, "read the writer lease"):
            collection = self._client.get_or_create_collection(self._name, embedding_function=None)
            return LeaseHolder.from_metadata(collection.metadata)

    def _refuse_if_taken(self, holder: LeaseHolder | None) -> None:
        if holder is None or holder.owner == self._owner or not holder.is_live(self._clock()):
            return
        left = max(0.0, holder.expires_at - self._clock())
        raise IndexLockedError(
            f"The index on {self._where} is being written by another ingest: {holder.describe()}. "
            f"Wait for it to finish, then run again (if that process died, its claim lapses "
            f"within {left:.0f} s)."
        )

    def _claim(self) -> LeaseHolder:
        since = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        return LeaseHolder(self._owner, socket.gethostname(), os.getpid(), since, self._clock() + self._ttl_s)

    def _write(self, metadata: Mapping[str, Any]) -> None:
        with chroma_errors(self._settings, "write the writer lease"):
            collection = self._client.get_or_create_collection(self._name, embedding_function=None)
            collection.modify(metadata=dict(metadata))

    def _renew_until_stopped(self) -> None:
        while not self._stop.wait(self._ttl_s / 4):
            try:
                current = self.holder()
                if current is None or current.owner != self._owner:
                    taker = current.describe() if current else "nobody (it was released)"
                    self._lost = f"it is now held by {taker}"
                    logger.error("Lost the writer lease on %s: %s", self._where, self._lost)
                    return
                renewed = {**current.to_metadata(), "expires_at": self._clock() + self._ttl_s}
                self._write(renewed)
                self._held_until = float(renewed["expires_at"])
            except Exception as exc:  # keep trying; ensure_held() fails once it lapses
                logger.warning("Could not renew the writer lease on %s: %s", self._where, exc)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
