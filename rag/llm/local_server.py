"""The child process behind `RAG_ANSWERER=local`: llama.cpp's own OpenAI-compatible server.

Run by `rag.llm.local_llm.LocalServer` as `python -m rag.llm.local_server --model M.gguf ...`, never
by hand. It starts xllamacpp's embedded `llama-server` on 127.0.0.1 (a free port chosen by
the system), prints one JSON line — `{"address": "http://127.0.0.1:PORT"}`, or
`{"error": "..."}` — and serves until its stdin closes: the parent holds the other end, so
the server ends with the parent however the parent ends, even by SIGKILL.

A child rather than a thread of the app: a crash inside llama.cpp cannot take the app down,
and the server's threads never compete with the app's for the GIL.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.llm.local_server")
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--context", type=int, required=True)
    parser.add_argument("--alias", default="local")
    args = parser.parse_args(argv)
    try:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = args.model
        params.model_alias = args.alias
        params.n_ctx = args.context
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # the system picks a free port; the server reports it
        params.verbosity = -1
        # One thread per core: more than the cores collapses llama.cpp's throughput.
        params.cpuparams.n_threads = args.threads
        params.cpuparams_batch.n_threads = args.threads
        server = xllamacpp.Server(params)
        address = str(server.listening_address)
    except Exception as exc:  # noqa: BLE001 - whatever llama.cpp raised goes back to the parent as text
        _tell_parent({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    _tell_parent({"address": address})
    sys.stdin.read()  # until the parent closes the pipe or dies
    del server
    return 0


def _tell_parent(message: dict[str, str]) -> None:
    """The one line of the protocol with `LocalServer` (stdout is its pipe, not a user's terminal)."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
