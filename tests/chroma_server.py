"""A real `chroma run` server on 127.0.0.1 for the server-mode tests: start, stop, restart."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

HEARTBEAT = "/api/v2/heartbeat"
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _chroma_executable() -> str:
    beside_python = Path(sys.executable).with_name("chroma")
    found = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if not found:
        pytest.skip("the `chroma` CLI is not installed")
    return found


class ChromaServer:
    """One `chroma run --path DIR` process; `stop()` and `start()` keep the port and the path."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._process: subprocess.Popen | None = None
        self._log = path.parent / f"chroma-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        return {"RAG_CHROMA_HOST": self.host, "RAG_CHROMA_PORT": str(self.port)}

    def settings_fields(self) -> dict[str, object]:
        """The `rag.Settings` fields that point an app at this server."""
        return {"chroma_host": self.host, "chroma_port": self.port}

    def settings(self, data_dir: Path, **more: object):
        """Settings (no .env file read) for an app instance with its own `data_dir` on this server."""
        import rag

        return rag.Settings(_env_file=None, data_dir=data_dir, **self.settings_fields(), **more)

    def start(self) -> "ChromaServer":
        self.path.mkdir(parents=True, exist_ok=True)
        log = open(self._log, "ab")
        self._process = subprocess.Popen(
            [_chroma_executable(), "run", "--path", str(self.path), "--host", self.host, "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self._process.returncode}: {self.log_tail()}")
            if self.alive():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run did not answer {HEARTBEAT} within {START_TIMEOUT_S}s: {self.log_tail()}")

    def alive(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + HEARTBEAT, timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would: no shutdown, no flush."""
        if self._process is None:
            return
        self._process.kill()
        self._process.wait(timeout=10)
        self._process = None

    def log_tail(self) -> str:
        try:
            return self._log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""


@pytest.fixture
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A fresh Chroma server (own port, own --path), stopped after the test."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db").start()
    try:
        yield server
    finally:
        server.stop()
