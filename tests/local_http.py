"""A scriptable HTTP server on 127.0.0.1 for tests: a function answers each request.

Every request is recorded (path, headers, port), and the server counts how many requests are in
flight at once, overall and per host, so tests can check what a client sent and how many it had
open. A reply body may be an iterable of chunks, for servers that drip or stall.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it; header names lower case."""

    path: str
    headers: dict[str, str]
    port: int


@dataclass
class Reply:
    """What to answer: a status, headers and a body (bytes, or chunks sent one by one)."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"


Handler = Callable[[Seen], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: LocalServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _RequestHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up on purpose (size or time limits)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 10

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        seen = Seen(
            path=urlsplit(self.path).path
            + (f"?{urlsplit(self.path).query}" if "?" in self.path else ""),
            headers={k.lower(): v for k, v in self.headers.items()},
            port=self.server.server_address[1],
        )
        with owner.tracking(self.headers.get("Host", "")):
            owner.record(seen)
            reply = owner.handler(seen)
            self.send_response(reply.status)
            headers = {"Content-Type": reply.content_type, **reply.headers}
            if isinstance(reply.body, bytes):
                headers.setdefault("Content-Length", str(len(reply.body)))
            else:
                headers["Connection"] = "close"
                self.close_connection = True
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            chunks = [reply.body] if isinstance(reply.body, bytes) else reply.body
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()


class LocalServer:
    """One server on an ephemeral port; ``with`` starts and stops it."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Seen] = []
        self.peak: dict[str, int] = {}  # Host header -> most requests in flight at once
        self._current: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def paths(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]

    def hits(self, path: str) -> int:
        return self.paths().count(path)

    @contextmanager
    def tracking(self, host: str) -> Iterator[None]:
        with self._lock:
            now = self._current[host] = self._current.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), now)
        try:
            yield
        finally:
            with self._lock:
                self._current[host] -= 1
