"""`rag ui`: options, login from RAG_UI_AUTH, and a real server started by the command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from rag.cli import FatalError, main
from tests.ui_helpers import free_port
from ui.cli import parse_auth


def test_parse_auth():
    assert parse_auth(None) is None and parse_auth("") is None
    assert parse_auth("anna:s3cret:with:colons") == ("anna", "s3cret:with:colons")
    for bad in ("no-colon", ":password", "user:"):
        with pytest.raises(FatalError):
            parse_auth(bad)


def test_rag_ui__is_a_subcommand_with_safe_defaults():
    result = CliRunner().invoke(main, ["ui", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--share", "--data-dir", "127.0.0.1", "7860"):
        assert option in result.output


def test_rag_ui__bad_auth_fails_cleanly(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_UI_AUTH", "nopassword")
    result = CliRunner().invoke(main, ["ui", "--data-dir", str(tmp_path / "index")])
    assert result.exit_code == 3 and "RAG_UI_AUTH" in result.output and "Traceback" not in result.output


def test_rag_ui__serves_the_seeds_behind_a_login(tmp_path):
    gradio_client = pytest.importorskip("gradio_client")
    port = free_port()
    env = {**os.environ, "RAG_UI_AUTH": "anna:s3cret", "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-c", "from rag.cli import main; main()", "ui", "--port", str(port), "--data-dir", str(tmp_path / "index")]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = _wait_for_line(server, "newsrag UI:", timeout=120)
        assert f"http://127.0.0.1:{port}/" in line and "2 articles indexed" in line
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10)
        assert refused.value.code == 401
        client = gradio_client.Client(f"http://127.0.0.1:{port}/", auth=("anna", "s3cret"), verbose=False)
        chat, _, _ = client.predict("How old were the captured soldiers?", [], 5, [], api_name="/ask")
        assert "20 and 26" in str(chat[-1]["content"])
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for_line(process: subprocess.Popen, marker: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if marker in line:
            return re.sub(r"\s+$", "", line)
    raise AssertionError(f"`rag ui` did not start: {''.join(seen)[-2000:]}")
