"""Browser mode against the sandbox and Debian's Chromium: JavaScript players, the guard, limits.

One Chromium serves the whole module (launching takes most of a second). The sandbox answers on
127.0.0.1; where a test needs the guard strict (private addresses refused), the sandbox stands in
for a public host: a resolver says ``tube.test`` is a public address and the HTTP transport takes
connections for that address to loopback, so only the guard's view of the network is faked.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from jianwang.cli.main import run
from jianwang.config import Settings
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import Artefact, Capture
from jianwang.errors import FetchError, UnsafeURLError
from jianwang.monitoring import sites
from jianwang.monitoring.browser import BrowserRenderer, BrowserUnavailableError, find_browser
from jianwang.monitoring.crawler import CrawlPolicy, crawl_site
from jianwang.monitoring.fetch import Fetcher, OpenResponse
from jianwang.pipeline.sweep import policy_for
from jianwang.sandbox.server import Redirect, Resource, SandboxServer
from jianwang.sandbox.sites import SiteItem, SiteSpec, run_sandbox
from monitoring.test_crawler import make_clip

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PUBLIC = "93.184.216.34"  # what the stand-in resolver answers for tube.test


class RecordingFetcher(Fetcher):
    """A fetcher that remembers every URL it was asked to open."""

    requested: list[str]

    def open(self, url: str, **kwargs: object) -> AbstractContextManager[OpenResponse]:  # type: ignore[override]
        self.requested.append(url)
        return super().open(url, **kwargs)  # type: ignore[arg-type]


class _PublicStandIn(httpx.HTTPTransport):
    """Delivers connections to the stand-in public address to the sandbox on loopback."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC:
            request.url = request.url.copy_with(host="127.0.0.1")
        return super().handle_request(request)


class _Stalling(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the renderer hangs up on purpose


class _StallingHandler(BaseHTTPRequestHandler):
    """Pages that never finish: a document that drips, and a script that never comes."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/stuck.html":
            body = b'<html><body><p>loading</p><script src="/never.js"></script></body></html>'
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        if self.path == "/never.js":
            time.sleep(10)
            return
        for _ in range(100):  # /drip.html: a byte now and then, never the whole page
            self.wfile.write(b"<")
            self.wfile.flush()
            time.sleep(0.1)


def _probe_page(loopback_port: int, ws_port: int) -> bytes:
    """A page whose script reaches for forbidden addresses, then builds its player anyway."""
    script = (
        "Promise.allSettled(["
        "fetch('http://169.254.169.254/latest/meta-data/'),"
        f"fetch('http://127.0.0.1:{loopback_port}/secret'),"
        "fetch('file:///etc/passwd')"
        "]).then(function(r){var p=document.createElement('p');p.id='probe';"
        "p.textContent=r.map(function(x){return x.status;}).join(',');"
        "document.body.appendChild(p);});"
        f"try{{new WebSocket('ws://127.0.0.1:{ws_port}/');}}catch(e){{}}"
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>probe</title></head><body>'
        '<img src="http://10.1.2.3/pixel.gif"><iframe src="file:///etc/passwd"></iframe>'
        f"<script>{script}</script>"
        '<div id="player" data-api="/api/play/1.json"></div>'
        "<script>fetch(document.getElementById('player').getAttribute('data-api'))"
        ".then(function(r){return r.json();}).then(function(i){var v=document.createElement"
        "('video');v.preload='auto';v.src=i.parts.join('');"
        "document.getElementById('player').appendChild(v);});</script></body></html>"
    ).encode()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "film.mp4", seed=7)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, clip: Path) -> Iterator[SandboxServer]:
    spec = SiteSpec(
        "jstube", "video", "JS影院", [SiteItem("电影", "video", path=clip, js_player=True)]
    )
    server = run_sandbox([spec], tmp_path_factory.mktemp("sites"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def renderer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserRenderer]:
    settings = Settings(
        allow_private_hosts=True, data_dir=tmp_path_factory.mktemp("data"), browser_wait_s=0.3
    )
    with BrowserRenderer(settings) as started:
        yield started


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback port that listens; nothing from the browser may ever connect to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _fetcher(tmp_path: Path, **overrides: object) -> RecordingFetcher:
    settings = Settings(allow_private_hosts=True, data_dir=tmp_path, **overrides)  # type: ignore[arg-type]
    fetcher = RecordingFetcher(settings, backoff_s=0.0)
    fetcher.requested = []
    return fetcher


def _strict_fetcher(tmp_path: Path) -> RecordingFetcher:
    """A fetcher that refuses private addresses, with ``tube.test`` standing in as public."""
    strict = Settings(allow_private_hosts=False, data_dir=tmp_path)
    client = httpx.Client(follow_redirects=False, trust_env=False, transport=_PublicStandIn())
    fetcher = RecordingFetcher(strict, client=client, resolver=lambda host, port: [PUBLIC])
    fetcher.requested = []
    return fetcher


def _png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_browser_mode_captures_the_player_plain_html_misses(
    sandbox: SandboxServer, renderer: BrowserRenderer, clip: Path, tmp_path: Path
) -> None:
    base = sandbox.base_url("jstube")
    policy = CrawlPolicy(seeds=[base + "/video/1.html"], max_pages=1, max_depth=0)
    with _fetcher(tmp_path) as fetcher:
        plain = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    assert plain.pages_fetched == 1 and plain.items == [] and plain.errors == []

    policy.browser = True
    fetcher = _fetcher(tmp_path)
    with fetcher:
        started = time.monotonic()
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content", renderer=renderer)
        elapsed = time.monotonic() - started
    assert report.errors == []
    assert [item.media_url for item in report.items] == [base + "/media/1.mp4"]
    item = report.items[0]
    assert item.kind == "video" and item.http_status == 200
    assert item.sha256 == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert item.page_title.startswith("电影")
    assert item.resolved_ip == "127.0.0.1"
    assert item.page_path is not None and b"<video" in item.page_path.read_bytes()
    assert item.screenshot_path is not None and item.screenshot_path.suffix == ".png"
    assert _png_size(item.screenshot_path.read_bytes()) == (1280, 720)
    # the page, its API call and the media download all went through the guarded fetcher
    assert base + "/api/play/1.json" in fetcher.requested
    assert elapsed < 10


def test_forbidden_requests_are_aborted_and_logged_while_the_page_renders(
    sandbox: SandboxServer,
    renderer: BrowserRenderer,
    listener: socket.socket,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = sandbox.port("jstube")
    sandbox.add_route(
        "jstube",
        "/probe.html",
        Resource(_probe_page(port, listener.getsockname()[1]), "text/html; charset=utf-8"),
    )
    fetcher = _strict_fetcher(tmp_path)
    url = f"http://tube.test:{port}/probe.html"
    with fetcher, caplog.at_level(logging.WARNING, logger="jianwang.monitoring.browser"):
        page = renderer.render(url, fetcher)

    refused = {r.url: r.reason for r in page.refused}
    assert "cloud metadata" in refused["http://169.254.169.254/latest/meta-data/"]
    assert "loopback" in refused[f"http://127.0.0.1:{port}/secret"]
    assert "private" in refused["http://10.1.2.3/pixel.gif"]
    logged = caplog.text
    assert "169.254.169.254" in logged and f"127.0.0.1:{port}/secret" in logged
    # none of them reached the fetcher's network side, nor did the WebSocket reach anything
    assert not any("169.254" in u or "127.0.0.1" in u or "10.1.2.3" in u for u in fetcher.requested)
    with pytest.raises(BlockingIOError):
        listener.accept()
    # the rest of the page rendered: the failed fetches settled, the player was built
    html = page.html.decode("utf-8")
    assert '<p id="probe">rejected,rejected,rejected</p>' in html
    assert "root:" not in html
    assert [ref.url for ref in page.media] == [f"http://tube.test:{port}/media/1.mp4"]
    assert page.status == 200 and page.final_url == url and page.resolved_ip == PUBLIC
    assert page.screenshot is not None and page.screenshot.startswith(PNG_SIGNATURE)


def test_redirects_are_checked_hop_by_hop_and_frames_keep_their_address(
    sandbox: SandboxServer, renderer: BrowserRenderer, tmp_path: Path
) -> None:
    frame_page = b'<html><body><img src="pic.svg"><script src="/evil.js"></script></body></html>'
    for path, route in {
        "/go": Redirect("/framed.html"),
        "/framed.html": Resource(b'<iframe src="/into"></iframe>', "text/html"),
        "/into": Redirect("/inner/page.html"),
        "/inner/page.html": Resource(frame_page, "text/html"),
        "/inner/pic.svg": Resource(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        "/evil.js": Redirect("http://169.254.169.254/latest/user-data"),
    }.items():
        sandbox.add_route("jstube", path, route)
    origin = f"http://tube.test:{sandbox.port('jstube')}"
    with _strict_fetcher(tmp_path) as fetcher:
        page = renderer.render(origin + "/go", fetcher)
    assert page.final_url == origin + "/framed.html"
    assert page.redirect_chain == (origin + "/go",)
    # the frame was sent on to its final address, so its relative image resolved against it
    assert origin + "/inner/pic.svg" in fetcher.requested
    assert [r.url for r in page.refused] == [origin + "/evil.js"]
    assert "cloud metadata" in page.refused[0].reason


def test_file_urls_are_refused(renderer: BrowserRenderer, tmp_path: Path) -> None:
    with _fetcher(tmp_path) as fetcher, pytest.raises(UnsafeURLError, match="scheme 'file'"):
        renderer.render("file:///etc/passwd", fetcher)


@pytest.fixture(scope="module")
def stalling() -> Iterator[str]:
    server = _Stalling(("127.0.0.1", 0), _StallingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("path", "why"), [("/stuck.html", "time limit"), ("/drip.html", "slow")])
def test_a_page_that_never_finishes_is_cut_off(
    renderer: BrowserRenderer, stalling: str, tmp_path: Path, path: str, why: str
) -> None:
    settings = Settings(
        allow_private_hosts=True, data_dir=tmp_path, browser_timeout_s=1.5, fetch_timeout_s=10
    )
    url = stalling + path
    started = time.monotonic()
    with (
        Fetcher(settings, backoff_s=0.0) as fetcher,
        pytest.raises(FetchError, match=why) as caught,
    ):
        renderer.render(url, fetcher)
    assert url in str(caught.value)
    assert time.monotonic() - started < 1.5 + 4


def test_a_missing_browser_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, browser_executable="/nonexistent/chromium")
    with pytest.raises(BrowserUnavailableError, match="/nonexistent/chromium"):
        find_browser(settings)


@pytest.fixture
def cli_logging() -> Iterator[None]:
    """Put back the logging set-up the command line replaces, for the tests that follow."""
    names = ("", "jianwang", "httpx", "httpcore", "alembic", "libav")
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    yield
    logging.getLogger().handlers[:] = handlers
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("cli_logging")
def test_a_site_added_with_browser_is_swept_with_screenshots(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Playwright's synchronous driver runs one browser per thread, and this module's renderer
    # holds this thread: the sweep starts its own browser in a thread of its own.
    monkeypatch.setenv("JIANWANG_ALLOW_PRIVATE_HOSTS", "true")
    monkeypatch.setenv("JIANWANG_BROWSER_WAIT_S", "0.3")
    data = tmp_path / "data"
    page = sandbox.base_url("jstube") + "/video/1.html"
    add = ["sites", "add", "--name", "js", "--kind", "video", "--seed", page, "--browser"]
    assert run(["--data-dir", str(data), *add, "--max-depth", "0"]) == 0
    codes: list[int] = []
    sweep = threading.Thread(
        target=lambda: codes.append(run(["--data-dir", str(data), "monitor", "run"]))
    )
    sweep.start()
    sweep.join(timeout=120)
    assert codes == [0]
    engine = create_db_engine(Settings(data_dir=data).db_url)
    with transaction(session_factory(engine)) as session:
        capture = session.scalars(select(Capture)).one()
        assert capture.media_url == page.replace("/video/1.html", "/media/1.mp4")
        kinds = {a.kind: a for a in session.scalars(select(Artefact))}
        assert set(kinds) == {"page", "headers", "screenshot"}
        shot = Path(kinds["screenshot"].path).read_bytes()
        assert kinds["screenshot"].content_type == "image/png" and _png_size(shot) == (1280, 720)


def test_sites_registered_for_browser_mode_are_swept_in_it(settings: Settings) -> None:
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    with transaction(session_factory(engine)) as session:
        js = sites.add_site(
            session, name="js", kind="video", seeds=["http://js.example/"], browser=True
        )
        plain = sites.add_site(session, name="plain", kind="video", seeds=["http://p.example/"])
        assert policy_for(js, settings).browser is True
        assert policy_for(plain, settings).browser is False
