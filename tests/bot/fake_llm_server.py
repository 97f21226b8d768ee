"""A scripted model server on 127.0.0.1 speaking OpenAI chat completions and Ollama's /api/chat.

    with FakeLLMServer() as server:
        server.enqueue("ESCAP được thành lập năm 1947 [1].")
        ... ChatOpenAI(base_url=server.openai_url) / ChatOllama(base_url=server.url) ...
        server.requests[-1].body["messages"]

Replies are served in the order enqueued (streamed as SSE or NDJSON when the client asks for a
stream); every request is recorded with its JSON body. A reply can also misbehave as real
servers do: given deltas (`pieces`, e.g. a tag split in two), a pause between deltas
(`interval`), a stream that never ends (`forever`), one that sends its headers and then
nothing (`hang`), or a server that dies after its deltas (`die`: "reset", the connection reset as
when the process crashes; "eof", closed without the stream's end).
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    """One scripted reply: its text, a delay before the first byte, and an HTTP status.

    Attributes:
        pieces: The stream's deltas as given (default: the text word by word).
        interval: Seconds between two deltas.
        forever: After the text, keep sending new words until the client leaves.
        hang: Send the stream's headers (or, unstreamed, nothing), then nothing at all.
        die: After the deltas, "reset" the connection (TCP RST) or close it ("eof") without
            the stream's end.
    """

    text: str
    delay: float = 0.0
    status: int = 200
    pieces: list[str] | None = None
    interval: float = 0.0
    forever: bool = False
    hang: bool = False
    die: str = ""


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    body: dict[str, Any] = field(default_factory=dict)


def _pieces(text: str) -> list[str]:
    # Stream word by word (keeping spaces) so that clients see several deltas.
    return re.findall(r"\S+\s*|\s+", text) or [""]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.owner.requests.append(Recorded("GET", self.path))
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": self.server.owner.model}]})
        elif self.path == "/api/tags":
            self._json(200, {"models": [{"name": self.server.owner.model}]})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        owner = self.server.owner
        owner.requests.append(Recorded("POST", self.path, body))
        reply = owner.next_reply()
        if reply.delay:
            owner.stopped.wait(reply.delay)
        try:
            if reply.status != 200:
                self._json(reply.status, {"error": {"message": reply.text, "type": "server"}})
            elif self.path.endswith("/chat/completions"):
                self._openai(body, reply)
            elif self.path == "/api/chat":
                self._ollama(body, reply)
            else:
                self._json(404, {"error": "not found"})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _deltas(self, reply: Scripted) -> Iterator[str]:
        owner = self.server.owner
        pieces: Iterator[str] = iter(
            reply.pieces if reply.pieces is not None else _pieces(reply.text)
        )
        if reply.forever:  # a model that never stops: new words, so that no loop shows
            pieces = itertools.chain(pieces, (f"từ{i} " for i in itertools.count()))
        for piece in pieces:
            if owner.stopped.is_set():
                return
            yield piece
            if reply.interval:
                owner.stopped.wait(reply.interval)

    def _hang(self) -> None:
        self.server.owner.stopped.wait(60)

    def _die(self, how: str) -> None:
        """End the connection mid-stream as a crashed ("reset") or killed ("eof") server does."""
        self.close_connection = True
        if how == "reset":
            # Linger 0: close() sends RST, not FIN. rfile holds a reference to the socket, so
            # it is closed first for close() to take effect now.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()

    def _openai(self, body: dict[str, Any], reply: Scripted) -> None:
        model = body.get("model", "")
        text = reply.text
        if not body.get("stream"):
            if reply.hang:
                self._hang()
                return
            self._json(
                200,
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.flush()

        def event(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        event({"role": "assistant", "content": ""})
        if reply.hang:
            self._hang()
            return
        for piece in self._deltas(reply):
            event({"content": piece})
        if reply.die:
            self._die(reply.die)
            return
        event({}, "stop")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _ollama(self, body: dict[str, Any], reply: Scripted) -> None:
        model = body.get("model", "")
        text = reply.text

        def line(content: str, done: bool) -> dict[str, Any]:
            item: dict[str, Any] = {
                "model": model,
                "created_at": "2026-11-26T00:00:00Z",
                "message": {"role": "assistant", "content": content},
                "done": done,
            }
            if done:
                item.update(done_reason="stop", total_duration=1, eval_count=1, prompt_eval_count=1)
            return item

        if body.get("stream") is False:
            if reply.hang:
                self._hang()
                return
            self._json(200, line(text, True))
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        self.wfile.flush()
        if reply.hang:
            self._hang()
            return
        for piece in self._deltas(reply):
            self.wfile.write((json.dumps(line(piece, False)) + "\n").encode())
            self.wfile.flush()
        if reply.die:
            self._die(reply.die)
            return
        self.wfile.write((json.dumps(line("", True)) + "\n").encode())
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: FakeLLMServer


class FakeLLMServer:
    """The scripted server; use as a context manager."""

    def __init__(self, model: str = "test-model") -> None:
        self.model = model
        self.replies: deque[Scripted] = deque()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self.stopped = threading.Event()  # ends hanging and endless replies at shutdown
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def enqueue(self, text: str, delay: float = 0.0, status: int = 200, **behaviour: Any) -> None:
        """Queue a reply; `behaviour` sets `Scripted`'s pieces, interval, forever or hang."""
        self.replies.append(Scripted(text, delay, status, **behaviour))

    def chat_bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the chat requests, in order."""
        return [r.body for r in self.chat_requests()]

    def next_reply(self) -> Scripted:
        with self._lock:
            if self.replies:
                return self.replies.popleft()
        return Scripted("no scripted reply left", status=500)

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self._server.shutdown()
        self._server.server_close()
