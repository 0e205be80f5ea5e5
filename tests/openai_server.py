"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for tests over real HTTP.

    with FakeOpenAIServer() as server:
        server.enqueue(Error(429, headers={"Retry-After": "0"}), "The answer.")
        model = OpenAIChatModel("sk-test", "gpt-4o-mini", base_url=server.base_url)
        ...
        server.requests[0].body["messages"]

Each chat-completions request consumes the next behaviour of the queue (`server.default`
once it is empty): `Reply` (JSON, or SSE chunks when the request says `stream`), `Error`,
`Delay`, `Malformed`, `Truncated`, `Trickle`. A plain string stands for `Reply(text)`.
Like a server that ignores it, the fake never applies the request's `max_tokens`.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

_ERROR_KINDS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_exceeded", "rate_limit_exceeded"),
}


@dataclass(frozen=True)
class Reply:
    """A successful answer; streamed as `pieces` (default: word by word)."""

    text: str
    pieces: tuple[str, ...] | None = None
    finish_reason: str = "stop"

    def stream_pieces(self) -> list[str]:
        return list(self.pieces) if self.pieces is not None else re.findall(r"\s*\S+|\s+$", self.text)


@dataclass(frozen=True)
class Error:
    """An HTTP error with an OpenAI-style `{"error": {...}}` body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    message: str = "The fake server was told to fail."


@dataclass(frozen=True)
class Delay:
    """Wait `seconds` (cut short when the server stops), then behave as `then`."""

    seconds: float
    then: Behaviour = Reply("Answer after a delay.")


@dataclass(frozen=True)
class Malformed:
    """HTTP 200 whose JSON body (or first SSE event) does not parse."""

    body: bytes = b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"ind'


@dataclass(frozen=True)
class Truncated:
    """Some stream chunks, then the end: no finish_reason and no `[DONE]`. `abrupt` closes
    the connection mid-body (incomplete chunked encoding); otherwise the body ends cleanly."""

    pieces: tuple[str, ...] = ("The answer ", "was cut ")
    abrupt: bool = True


@dataclass(frozen=True)
class Trickle:
    """A reply that arrives slowly: one of `pieces` every `interval` seconds, as SSE chunks
    when streaming, else as that many slices of the JSON body. Stops when the server does."""

    pieces: tuple[str, ...]
    interval: float
    finish_reason: str = "stop"


Behaviour = Reply | Error | Delay | Malformed | Truncated | Trickle | str


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None


class FakeOpenAIServer:
    """The server; a context manager that listens on an ephemeral port of 127.0.0.1."""

    def __init__(self, *, api_key: str | None = None, models: tuple[str, ...] = ("gpt-4o-mini",)) -> None:
        self.api_key = api_key  # when set, other keys get a 401
        self.models = models
        self.default: Behaviour = Reply("This is the default reply.")
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        # A short poll interval: shutdown() waits for it, at every test's teardown.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.stopping.set()  # ends pending Delays
        self._httpd.shutdown()
        self._httpd.close_connections()  # ends handlers blocked on idle keep-alive sockets
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOpenAIServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def track(self, sock: socket.socket, is_open: bool) -> None:
        with self._open_lock:
            (self._open.add if is_open else self._open.discard)(sock)

    def close_connections(self) -> None:
        with self._open_lock:
            for sock in list(self._open):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the script, not failures


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked SSE, like the real API
    timeout = 10  # idle keep-alive connections do not hold a thread forever
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._record(None)
        if self.path.rstrip("/") != "/v1/models":
            return self._error(Error(404, message=f"Unknown path {self.path}"))
        if not self._authorised():
            return
        data = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"} for m in self.fake.models]
        self._json(200, {"object": "list", "data": data})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        self._record(body)
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._error(Error(404, message=f"Unknown path {self.path}"))
        if not self._authorised():
            return
        if not isinstance(body, dict) or "model" not in body or "messages" not in body:
            return self._error(Error(400, message="'model' and 'messages' are required."))
        if body["model"] not in self.fake.models:
            return self._error(Error(404, message=f"The model `{body['model']}` does not exist."))
        self._behave(self.fake._next(), body)

    @property
    def fake(self) -> FakeOpenAIServer:
        return self.server.fake

    def _record(self, body: Any) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.fake._record(RecordedRequest(self.command, self.path, headers, body))

    def _authorised(self) -> bool:
        if self.fake.api_key is None or self.headers.get("Authorization") == f"Bearer {self.fake.api_key}":
            return True
        self._error(Error(401, message="Incorrect API key provided."))
        return False

    def _behave(self, behaviour: Behaviour, body: dict[str, Any]) -> None:
        streaming = bool(body.get("stream"))
        if isinstance(behaviour, str):
            behaviour = Reply(behaviour)
        if isinstance(behaviour, Delay):
            if self.server.stopping.wait(behaviour.seconds):
                self.close_connection = True
                return
            return self._behave(behaviour.then, body)
        if isinstance(behaviour, Error):
            return self._error(behaviour)
        if isinstance(behaviour, Malformed):
            if streaming:
                return self._sse([b"data: " + behaviour.body + b"\n\n", b"data: [DONE]\n\n"])
            return self._send(200, behaviour.body, "application/json")
        if isinstance(behaviour, Truncated):
            return self._truncated(behaviour, body, streaming)
        if isinstance(behaviour, Trickle):
            return self._trickle(behaviour, body, streaming)
        if streaming:
            return self._stream_reply(behaviour, body)
        self._json(200, _completion(body["model"], behaviour))

    def _stream_reply(self, reply: Reply, body: dict[str, Any]) -> None:
        chunks = _chunks(body["model"], reply.stream_pieces(), reply.finish_reason)
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**_chunk_head(body["model"]), "choices": [], "usage": _usage(reply.text)})
        self._sse([_event(c) for c in chunks] + [b"data: [DONE]\n\n"])

    def _truncated(self, behaviour: Truncated, body: dict[str, Any], streaming: bool) -> None:
        if streaming:
            events = [_event(c) for c in _chunks(body["model"], list(behaviour.pieces), None)]
            return self._sse(events, terminate=not behaviour.abrupt)
        whole = json.dumps(_completion(body["model"], Reply("".join(behaviour.pieces)))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(whole)))
        self.end_headers()
        self.wfile.write(whole[: len(whole) // 2])
        self.close_connection = True

    def _trickle(self, trickle: Trickle, body: dict[str, Any], streaming: bool) -> None:
        text = "".join(trickle.pieces)
        if streaming:
            events = [_event(c) for c in _chunks(body["model"], list(trickle.pieces), trickle.finish_reason)]
            return self._sse([*events, b"data: [DONE]\n\n"], interval=trickle.interval)
        whole = json.dumps(_completion(body["model"], Reply(text, finish_reason=trickle.finish_reason))).encode()
        size = -(-len(whole) // max(len(trickle.pieces), 1))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(whole)))
        self.end_headers()
        for start in range(0, len(whole), size):
            if start and self.server.stopping.wait(trickle.interval):
                self.close_connection = True
                return
            self.wfile.write(whole[start : start + size])
            self.wfile.flush()

    def _sse(self, events: list[bytes], *, terminate: bool = True, interval: float = 0.0) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for number, event in enumerate(events):
            if number > 1 and interval and self.server.stopping.wait(interval):  # after the role chunk
                self.close_connection = True
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
        if terminate:
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.close_connection = True  # the body stops mid-way: incomplete chunked encoding

    def _error(self, error: Error) -> None:
        kind, code = _ERROR_KINDS.get(error.status, ("server_error", None))
        payload = {"error": {"message": error.message, "type": kind, "param": None, "code": code}}
        self._json(error.status, payload, error.headers)

    def _json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(self, status: int, data: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


_ids = iter(range(1, 1 << 62))


def _completion(model: str, reply: Reply) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text, "refusal": None},
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": _usage(reply.text),
    }


def _chunk_head(model: str) -> dict[str, Any]:
    return {"id": "chatcmpl-fakestream", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model, "system_fingerprint": "fp_fake"}


def _chunks(model: str, pieces: list[str], finish_reason: str | None) -> list[dict[str, Any]]:
    """The real shape: a role chunk, one chunk per piece, then an empty delta with the reason."""
    def chunk(delta: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}
        return {**_chunk_head(model), "choices": [choice]}

    chunks = [chunk({"role": "assistant", "content": ""})] + [chunk({"content": p}) for p in pieces]
    return chunks + [chunk({}, finish_reason)] if finish_reason else chunks


def _event(chunk: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def _usage(text: str) -> dict[str, int]:
    completion = len(text.split())
    return {"prompt_tokens": 10, "completion_tokens": completion, "total_tokens": 10 + completion}
