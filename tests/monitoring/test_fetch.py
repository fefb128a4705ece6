"""The fetcher against real local HTTP servers: limits, redirects, retries, robots, storage."""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from jianwang.config import Settings
from jianwang.errors import FetchError
from jianwang.monitoring.fetch import (
    MAX_REDIRECTS,
    Fetcher,
    HTTPStatusError,
    NotModifiedError,
    RobotsCache,
    TooLargeError,
    Validators,
)
from jianwang.monitoring.throttle import HostThrottle
from jianwang.sandbox.server import Redirect, Resource, Routes, SandboxServer, SandboxSite

MEDIA = bytes(range(256)) * 400  # 102400 bytes
GZIP_BOMB = gzip.compress(bytes(100 * 2**20), compresslevel=9)


class _TrickyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TrickyHandler)
        self.hits: dict[str, int] = {}
        self.seen_headers: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up on purpose


class _TrickyHandler(BaseHTTPRequestHandler):
    """Misbehaving endpoints: slow drips, dropped connections, transient errors."""

    server: _TrickyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with self.server.lock:
            hits = self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1
            self.server.seen_headers.append(dict(self.headers.items()))
        if self.path == "/ua":
            self._send(200, self.headers.get("User-Agent", "").encode())
        elif self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        elif self.path == "/undeclared":  # no Content-Length: the size check must count bytes
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"y" * 10_000)
            self.close_connection = True
        elif self.path == "/flaky":
            if hits <= 2:
                self._send(503, b"busy", {"Retry-After": "0"})
            else:
                self._send(200, b"finally", {"Content-Type": "text/plain"})
        elif self.path == "/broken":
            self._send(500, b"down")
        elif self.path == "/bomb.html":  # 100 MB of zeros in about 100 KB of gzip
            self._send(200, GZIP_BOMB, {"Content-Type": "text/html", "Content-Encoding": "gzip"})
        elif self.path == "/drop.bin":
            self._serve_droppy(hits)
        else:
            self._send(404, b"no")

    def _serve_droppy(self, hits: int) -> None:
        match = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
        if match and self.headers.get("If-Range") == '"v1"':
            start = int(match.group(1))
            self._send(
                206,
                MEDIA[start:],
                {"Content-Range": f"bytes {start}-{len(MEDIA) - 1}/{len(MEDIA)}", "ETag": '"v1"'},
            )
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(MEDIA)))
        self.send_header("Content-Type", "video/mp4")
        self.send_header("ETag", '"v1"')
        self.end_headers()
        if hits == 1:  # first time: half the body, then hang up
            self.wfile.write(MEDIA[: len(MEDIA) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(MEDIA)


@pytest.fixture
def tricky() -> Iterator[_TrickyServer]:
    server = _TrickyServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _base(server: _TrickyServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    routes: Routes = {
        "/page.html": Resource(b"<html><title>t</title></html>", "text/html; charset=utf-8"),
        "/big.html": Resource(b"z" * 5000, "text/html"),
        "/media/clip.mp4": Resource(MEDIA, "video/mp4"),
        "/a": Redirect("/b"),
        "/b": Redirect("/page.html", status=301),
        "/loop1": Redirect("/loop2"),
        "/loop2": Redirect("/loop1"),
        "/private/secret.html": Resource(b"secret", "text/html"),
        **{f"/r{n}": Redirect(f"/r{n + 1}") for n in range(MAX_REDIRECTS + 2)},
    }
    site = SandboxSite("site", routes, robots_txt="User-agent: *\nDisallow: /private/\n")
    bare = SandboxSite("bare", {"/x": Resource(b"x", "text/plain")}, robots_txt=None)
    with SandboxServer([site, bare]) as server:
        yield server


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(allow_private_hosts=True, data_dir=tmp_path, **overrides)  # type: ignore[arg-type]


def test_fetch_page_records_the_exchange(sandbox: SandboxServer, tmp_path: Path) -> None:
    url = sandbox.base_url("site") + "/page.html"
    with Fetcher(_settings(tmp_path)) as fetcher:
        page = fetcher.fetch_page(url)
    assert page.status == 200
    assert page.content == b"<html><title>t</title></html>"
    assert page.sha256 == hashlib.sha256(page.content).hexdigest()
    assert page.content_type == "text/html; charset=utf-8"
    assert page.headers["etag"]
    assert page.final_url == url
    assert page.redirect_chain == ()
    assert page.resolved_ip == "127.0.0.1"
    assert page.fetched_at.tzinfo is not None


def test_user_agent_comes_from_settings(tricky: _TrickyServer, tmp_path: Path) -> None:
    with Fetcher(_settings(tmp_path, user_agent="JianwangTest/9")) as fetcher:
        assert fetcher.fetch_page(_base(tricky) + "/ua").content == b"JianwangTest/9"


def test_page_over_size_limit_is_cut_off(sandbox: SandboxServer, tmp_path: Path) -> None:
    with (
        Fetcher(_settings(tmp_path, max_page_bytes=1000)) as fetcher,
        pytest.raises(TooLargeError, match="too large"),
    ):
        fetcher.fetch_page(sandbox.base_url("site") + "/big.html")


def test_undeclared_length_is_counted_while_streaming(
    tricky: _TrickyServer, tmp_path: Path
) -> None:
    with (
        Fetcher(_settings(tmp_path, max_page_bytes=50_000)) as fetcher,
        pytest.raises(TooLargeError, match="over 50000 bytes"),
    ):
        fetcher.fetch_page(_base(tricky) + "/undeclared")


def test_a_gzip_bomb_is_cut_off_at_the_page_limit(tricky: _TrickyServer, tmp_path: Path) -> None:
    # The limit counts the bytes as inflated, not as sent: 100 KB on the wire is 100 MB of page.
    assert len(GZIP_BOMB) < 200_000
    started = time.monotonic()
    with (
        Fetcher(_settings(tmp_path, max_page_bytes=1_000_000)) as fetcher,
        pytest.raises(TooLargeError, match="bomb"),
    ):
        fetcher.fetch_page(_base(tricky) + "/bomb.html")
    assert time.monotonic() - started < 5


def test_slow_drip_body_hits_the_total_time_limit(tricky: _TrickyServer, tmp_path: Path) -> None:
    started = time.monotonic()
    with (
        Fetcher(_settings(tmp_path, fetch_timeout_s=0.5)) as fetcher,
        pytest.raises(FetchError, match="too slow"),
    ):
        fetcher.fetch_page(_base(tricky) + "/slow")
    assert time.monotonic() - started < 2.0


def test_redirect_chain_is_recorded(sandbox: SandboxServer, tmp_path: Path) -> None:
    base = sandbox.base_url("site")
    with Fetcher(_settings(tmp_path)) as fetcher:
        page = fetcher.fetch_page(base + "/a")
    assert page.url == base + "/a"
    assert page.redirect_chain == (base + "/a", base + "/b")
    assert page.final_url == base + "/page.html"


def test_redirect_loop_is_refused(sandbox: SandboxServer, tmp_path: Path) -> None:
    with Fetcher(_settings(tmp_path)) as fetcher, pytest.raises(FetchError, match="loop"):
        fetcher.fetch_page(sandbox.base_url("site") + "/loop1")


def test_too_many_redirects_are_refused(sandbox: SandboxServer, tmp_path: Path) -> None:
    with Fetcher(_settings(tmp_path)) as fetcher, pytest.raises(FetchError, match="too many"):
        fetcher.fetch_page(sandbox.base_url("site") + "/r0")


def test_not_found_raises_with_status_and_url(sandbox: SandboxServer, tmp_path: Path) -> None:
    url = sandbox.base_url("site") + "/missing.html"
    with Fetcher(_settings(tmp_path)) as fetcher, pytest.raises(HTTPStatusError) as caught:
        fetcher.fetch_page(url)
    assert caught.value.status == 404
    assert url in str(caught.value)


def test_transient_errors_are_retried_with_backoff(tricky: _TrickyServer, tmp_path: Path) -> None:
    pauses: list[float] = []
    with Fetcher(_settings(tmp_path), backoff_s=0.01, sleep=pauses.append) as fetcher:
        assert fetcher.fetch_page(_base(tricky) + "/flaky").content == b"finally"
        with pytest.raises(HTTPStatusError, match="500"):
            fetcher.fetch_page(_base(tricky) + "/broken")
    assert tricky.hits["/flaky"] == 3
    assert tricky.hits["/broken"] == 3  # first try and two retries, then give up
    assert pauses[:2] == [0.01, 0.02]  # exponential


def test_connection_refused_is_a_fetch_error(tmp_path: Path) -> None:
    with (
        Fetcher(_settings(tmp_path), backoff_s=0.0) as fetcher,
        pytest.raises(FetchError, match="cannot fetch"),
    ):
        fetcher.fetch_page("http://127.0.0.1:9/")  # discard port: nothing listens


def test_host_throttle_spaces_requests_per_host() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    throttle = HostThrottle(2.0, clock=lambda: now[0], sleep=sleep)
    assert throttle.wait("a:80") == 0.0
    assert throttle.wait("b:80") == 0.0  # another host is not held up
    now[0] += 0.5
    assert throttle.wait("a:80") == pytest.approx(1.5)
    assert throttle.wait("a:8080") == 0.0  # another port is another host


def test_robots_txt_is_honoured(sandbox: SandboxServer, tmp_path: Path) -> None:
    base = sandbox.base_url("site")
    with Fetcher(_settings(tmp_path), backoff_s=0.0) as fetcher:
        robots = RobotsCache(fetcher)
        assert robots.allowed(base + "/page.html")
        assert not robots.allowed(base + "/private/secret.html")
        # No robots.txt (404) means no rules; an unreachable server means fetch nothing.
        assert RobotsCache(fetcher).allowed(sandbox.base_url("bare") + "/x")
        assert not RobotsCache(fetcher).allowed("http://127.0.0.1:9/page")


def test_download_is_content_addressed_and_reused(sandbox: SandboxServer, tmp_path: Path) -> None:
    url = sandbox.base_url("site") + "/media/clip.mp4"
    dest = tmp_path / "content"
    digest = hashlib.sha256(MEDIA).hexdigest()
    with Fetcher(_settings(tmp_path)) as fetcher:
        first = fetcher.download(url, dest)
        second = fetcher.download(url, dest)
    assert first.sha256 == digest
    assert first.path == dest / digest[:2] / digest[2:4] / f"{digest}.mp4"
    assert first.path.read_bytes() == MEDIA
    assert first.size == len(MEDIA)
    assert first.content_type == "video/mp4"
    assert second.path == first.path
    stored = [p for p in dest.rglob("*") if p.is_file()]
    assert stored == [first.path]  # no temp or partial files left behind


def test_an_unchanged_file_is_confirmed_without_its_body(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox.base_url("site") + "/media/clip.mp4"
    with Fetcher(_settings(tmp_path)) as fetcher:
        first = fetcher.download(url, tmp_path / "content")
        validators = Validators.of(first.headers)
        assert validators is not None and validators.etag
        with pytest.raises(NotModifiedError, match=r"clip\.mp4"):
            fetcher.download(url, tmp_path / "other", unless=validators)
        stale = Validators(etag='"not-this-version"')
        again = fetcher.download(url, tmp_path / "other", unless=stale)
    assert again.sha256 == first.sha256
    assert not list((tmp_path / "other").rglob("*.part"))


def test_download_over_limit_leaves_nothing(sandbox: SandboxServer, tmp_path: Path) -> None:
    dest = tmp_path / "content"
    with Fetcher(_settings(tmp_path)) as fetcher, pytest.raises(TooLargeError):
        fetcher.download(sandbox.base_url("site") + "/media/clip.mp4", dest, max_bytes=1000)
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def test_interrupted_download_resumes_with_range(tricky: _TrickyServer, tmp_path: Path) -> None:
    with Fetcher(_settings(tmp_path), backoff_s=0.0) as fetcher:
        result = fetcher.download(_base(tricky) + "/drop.bin", tmp_path / "content")
    assert result.resumed_from == len(MEDIA) // 2
    assert result.status == 206
    assert result.path.read_bytes() == MEDIA
    assert result.sha256 == hashlib.sha256(MEDIA).hexdigest()
    assert tricky.seen_headers[-1]["Range"] == f"bytes={len(MEDIA) // 2}-"
