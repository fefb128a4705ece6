"""Local HTTP sites on 127.0.0.1 for the demo and the tests.

Each site is its own ``ThreadingHTTPServer`` on its own port (sites that differ only by port are
different origins, as far apart as two domains), serving a route table from memory or disk. The
server speaks enough HTTP for a crawler's edge cases: HEAD, byte ranges (206/416), ETag and
Last-Modified with conditional requests, redirects, 404 and a per-site robots.txt.
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import logging
import re
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Literal
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

DEFAULT_ROBOTS = "User-agent: *\nAllow: /\n"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_FIXED_TIME = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Resource:
    """A file the site serves: bytes in memory or a path on disk, with its type.

    ``last_modified`` defaults to the file's mtime (a fixed date for bytes, so in-memory sites
    are deterministic). The ETag is a digest of the bytes, or of size and mtime for a path.
    """

    content: bytes | Path
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None

    def size(self) -> int:
        """Length of the body in bytes."""
        if isinstance(self.content, Path):
            return self.content.stat().st_size
        return len(self.content)

    @cached_property
    def etag(self) -> str:
        """A strong validator for conditional and If-Range requests."""
        if isinstance(self.content, Path):
            stat = self.content.stat()
            return f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
        return f'"{hashlib.sha256(self.content).hexdigest()[:32]}"'

    def modified(self) -> datetime:
        """When the resource last changed, to the second (HTTP dates have no fractions)."""
        if self.last_modified is not None:
            return self.last_modified
        if isinstance(self.content, Path):
            return datetime.fromtimestamp(int(self.content.stat().st_mtime), UTC)
        return _FIXED_TIME

    def open(self) -> BinaryIO:
        """The body as a readable binary stream."""
        if isinstance(self.content, Path):
            return self.content.open("rb")
        return io.BytesIO(self.content)


@dataclass(frozen=True)
class Redirect:
    """A route that answers with a redirect to ``location``."""

    location: str
    status: int = 302


@dataclass(frozen=True)
class Dynamic:
    """A route whose resource is made at request time (a live playlist, a segment that exists
    only once the broadcast reaches it); ``render`` returning ``None`` answers 404."""

    render: Callable[[], Resource | None]


Route = Resource | Redirect | Dynamic
Routes = dict[str, Route]


@dataclass
class SandboxSite:
    """One site: its name, route table and robots.txt (``None``: robots.txt is a 404)."""

    name: str
    routes: Routes
    robots_txt: str | None = DEFAULT_ROBOTS


@dataclass(frozen=True)
class ServedRequest:
    """One request a sandbox site answered: what was asked and the status it got."""

    site: str
    method: str
    path: str
    status: int


class RequestJournal:
    """Every request the sites answered, in order: a benchmark counts from the server's side
    which bodies a crawler fetched again (200) and which it was told were unchanged (304)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[ServedRequest] = []

    def add(self, entry: ServedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[ServedRequest]:
        """A copy of what was recorded so far."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class _SiteServer(ThreadingHTTPServer):
    """A threading server that knows which site it serves."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], site: SandboxSite, journal: RequestJournal | None
    ) -> None:
        self.site = site
        self.journal = journal
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-body (a crawler hitting its size limit) are normal here.
        logger.debug(
            "sandbox %s: error serving %s: %r", self.site.name, client_address, sys.exc_info()[1]
        )


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    protocol_version = "HTTP/1.1"
    server_version = "JianwangSandbox/1.0"
    timeout = 10  # idle keep-alive connections close, so stop() leaves no thread serving

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox %s: " + format, self.server.site.name, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        journal = self.server.journal
        if journal is not None:
            path = unquote(urlsplit(self.path).path) or "/"
            status = int(code) if str(code).isdigit() else 0
            journal.add(ServedRequest(self.server.site.name, self.command, path, status))
        super().log_request(code, size)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _lookup(self) -> Resource | Redirect | None:
        site = self.server.site
        path = unquote(urlsplit(self.path).path) or "/"
        route = site.routes.get(path)
        if route is None and path == "/robots.txt" and site.robots_txt is not None:
            route = Resource(site.robots_txt.encode("utf-8"), "text/plain; charset=utf-8")
        if isinstance(route, Dynamic):
            return route.render()
        return route

    def _plain(
        self, status: int, body: bytes, head: bool, extra: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _serve(self, *, head: bool) -> None:
        route = self._lookup()
        if route is None:
            self._plain(HTTPStatus.NOT_FOUND, b"not found\n", head)
            return
        if isinstance(route, Redirect):
            self._plain(route.status, b"moved\n", head, {"Location": route.location})
            return
        self._serve_resource(route, head=head)

    def _not_modified(self, resource: Resource) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            tags = {tag.strip() for tag in match.split(",")}
            return "*" in tags or resource.etag in tags
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                when = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return resource.modified() <= when
        return False

    def _range(self, resource: Resource, size: int) -> tuple[int, int] | Literal[False] | None:
        """(start, end) of one satisfiable range; ``None``: send it all; ``False``: answer 416."""
        header = self.headers.get("Range")
        if not header:
            return None
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range.strip() not in (
            resource.etag,
            email.utils.format_datetime(resource.modified(), usegmt=True),
        ):
            return None
        match = _RANGE.match(header.strip())
        if match is None:
            return None  # multiple or malformed ranges: ignore, send everything
        first, last = match.groups()
        if not first and not last:
            return None
        if not first:
            length = int(last)
            if length == 0:
                return False
            return max(0, size - length), size - 1
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if start >= size or (last and int(last) < start):
            return False
        return start, end

    def _serve_resource(self, resource: Resource, *, head: bool) -> None:
        size = resource.size()
        common = {
            "ETag": resource.etag,
            "Last-Modified": email.utils.format_datetime(resource.modified(), usegmt=True),
            "Accept-Ranges": "bytes",
            **resource.headers,
        }
        if self._not_modified(resource):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            for key, value in common.items():
                self.send_header(key, value)
            self.end_headers()
            return
        span = self._range(resource, size)
        if span is False:
            self._plain(
                HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                b"range not satisfiable\n",
                head,
                {"Content-Range": f"bytes */{size}"},
            )
            return
        if isinstance(span, tuple):
            start, end = span
            self.send_response(HTTPStatus.PARTIAL_CONTENT)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            start, end = 0, size - 1
            self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", resource.content_type)
        self.send_header("Content-Length", str(end - start + 1))
        for key, value in common.items():
            self.send_header(key, value)
        self.end_headers()
        if head:
            return
        with resource.open() as body:
            body.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = body.read(min(1 << 16, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)


class SandboxServer:
    """Runs one HTTP server per site on 127.0.0.1, each in a daemon thread.

    Nothing listens until :meth:`start` (or ``with``); :meth:`stop` closes every socket.
    ``ports`` maps site names to fixed ports; the others get ephemeral ports.
    """

    def __init__(
        self,
        sites: Sequence[SandboxSite],
        *,
        ports: Mapping[str, int] | None = None,
        host: str = "127.0.0.1",
        journal: RequestJournal | None = None,
    ) -> None:
        names = [site.name for site in sites]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate site names in {names}")
        self.sites = {site.name: site for site in sites}
        self._ports = dict(ports or {})
        self._host = host
        self.journal = journal
        self._servers: dict[str, _SiteServer] = {}
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Bind and serve every site; a no-op if already started."""
        if self._servers:
            return
        try:
            for name, site in self.sites.items():
                server = _SiteServer((self._host, self._ports.get(name, 0)), site, self.journal)
                self._servers[name] = server
                thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"sandbox-{name}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
                logger.info("sandbox site %s at %s", name, self.base_url(name))
        except OSError:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop serving and release the ports."""
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def port(self, site_name: str) -> int:
        """The port a started site listens on."""
        server = self._servers.get(site_name)
        if server is None:
            raise KeyError(f"site {site_name!r} is not running")
        return int(server.server_address[1])

    def base_url(self, site_name: str) -> str:
        """``http://127.0.0.1:<port>`` of a started site (no trailing slash)."""
        return f"http://{self._host}:{self.port(site_name)}"

    def add_route(self, site_name: str, path: str, route: Route) -> None:
        """Add or replace a route while running (tests change a site between crawls)."""
        self.sites[site_name].routes[path] = route
