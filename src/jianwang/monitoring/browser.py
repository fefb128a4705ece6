"""Browser mode: render a page in headless Chromium and record the media its scripts request.

Some players exist only in JavaScript: the page's HTML has an empty ``<div>``, and a script asks
an API for the stream and hands it to a ``<video>``. Plain HTML parsing finds nothing there, so
browser mode lets Debian's Chromium (driven by Playwright; Playwright's own browser downloads
are never used) run the page, and records every media request it makes.

A browser running a hostile site's scripts is the riskiest thing the crawler does, so **the
browser has no network of its own**:

* every request it makes (documents, frames, scripts, XHR/fetch, images, media, from pages,
  frames, popups and workers) is intercepted and answered by the crawler's guarded
  :class:`~jianwang.monitoring.fetch.Fetcher`: the SSRF guard checks each URL and redirect hop and
  the connection goes to the address checked, so neither a forbidden address nor a DNS answer
  that changes after the check can reach inside. Refused requests are aborted and logged with
  the guard's reason, and listed on the :class:`RenderedPage`;
* the browser's proxy is a loopback port that refuses connections (loopback included, with
  ``<-loopback>``), so whatever escapes interception (WebSockets, prefetches, the browser's own
  background traffic) fails instead of going out; WebRTC may not use UDP outside the proxy;
* only ``GET`` is made (other methods are aborted: the fetcher makes no others), fonts are not
  fetched, service workers are blocked, downloads refused, and each page gets a fresh context;
* ``data:`` and ``blob:`` URLs are not network requests (Chromium decodes them itself), so they
  are left alone; every other scheme (``file:``, ``ftp:``, ``chrome:``) is refused by the guard.

Limits: one wall-clock budget per page (``browser_timeout_s``) covers the page and all its
requests; each request gets at most ``fetch_timeout_s`` and ``max_page_bytes``; a page makes at
most :data:`MAX_REQUESTS` requests and transfers at most :data:`BYTES_PER_PAGE_FACTOR` times
``max_page_bytes`` in all. Media requests are recorded, not transferred: the crawler downloads
them afterwards through the same fetcher, with its robots.txt and media limits.

Redirects of a frame's navigation are answered with a ``<meta refresh>`` to the final URL (the
fetcher has checked every hop), so the frame's document knows its own address; other redirected
subresources are served at the URL asked for. Chromium is sandboxed unless the crawler runs as
root, where the sandbox cannot start: run sweeps in browser mode as an ordinary user.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import html
import logging
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from types import TracebackType
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Frame, Playwright, Request, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from jianwang.config import Settings
from jianwang.errors import FetchError, UnsafeURLError, UserError
from jianwang.monitoring.discover import MediaKind, MediaRef, has_media_extension, media_kind_of
from jianwang.monitoring.fetch import Fetcher, FetchResult, HTTPStatusError, TooLargeError
from jianwang.monitoring.safety import normalise_url

logger = logging.getLogger(__name__)

DEBIAN_CHROMIUM = Path("/usr/lib/chromium/chromium")
"""Debian's Chromium binary, behind the ``/usr/bin/chromium`` script that would add its
``/etc/chromium.d`` flags (extension loading among them)."""

MAX_REQUESTS = 500
"""Requests one rendered page may make; the rest are aborted."""

BYTES_PER_PAGE_FACTOR = 10
"""A rendered page may transfer this many times ``max_page_bytes`` in all its requests."""

VIEWPORT = {"width": 1280, "height": 720}
"""The window screenshots show: a desktop browser's first screen, where players sit."""

SEGMENT_EXTENSIONS = frozenset({".m4s", ".cmfv", ".cmfa"})
"""Pieces of a stream that are never media on their own."""

_LAUNCH_ARGS = (
    "--disable-dev-shm-usage",  # containers give /dev/shm 64 MB, too little for Chromium
    "--autoplay-policy=no-user-gesture-required",  # players start, and request media, unprompted
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",  # WebRTC UDP would skip the proxy
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-pings",
    "--dns-prefetch-disable",
)
_FORWARDED_HEADERS = ("accept", "accept-language", "referer", "cookie", "x-requested-with")
_UNFORWARDED_RESPONSE_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}
)
_NOT_MEDIA_TYPES = frozenset({"script", "stylesheet", "image", "font", "texttrack", "manifest"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class BrowserUnavailableError(UserError):
    """Browser mode cannot start: no Chromium, or Chromium would not launch."""


@dataclass(frozen=True)
class RefusedRequest:
    """A request a rendered page tried to make and the guard refused, and why."""

    url: str
    reason: str


@dataclass(frozen=True)
class RenderedPage:
    """A page after its scripts ran, with the exchange that brought its document.

    ``html`` is the DOM serialised after rendering, in the document's own character set (its
    ``<meta charset>`` stays true). ``status``, ``headers`` and ``resolved_ip`` describe the
    document's response; ``final_url`` is where its redirects ended. ``media`` lists the media
    URLs the page requested, in order, without repeats or stream segments. ``screenshot`` is a
    PNG of the first screen; it is ``None`` when the URL was not an HTML page (nothing rendered).
    """

    url: str
    final_url: str
    redirect_chain: tuple[str, ...]
    status: int
    headers: dict[str, str]
    content_type: str
    html: bytes
    media: tuple[MediaRef, ...]
    screenshot: bytes | None
    resolved_ip: str | None
    fetched_at: datetime
    elapsed_s: float
    refused: tuple[RefusedRequest, ...] = ()

    def as_fetch_result(self) -> FetchResult:
        """The rendered page in the form a fetched page has, for the crawler's page handling."""
        return FetchResult(
            url=self.url,
            final_url=self.final_url,
            redirect_chain=self.redirect_chain,
            status=self.status,
            headers=self.headers,
            content=self.html,
            content_type=self.content_type,
            fetched_at=self.fetched_at,
            sha256=hashlib.sha256(self.html).hexdigest(),
            elapsed_s=self.elapsed_s,
            resolved_ip=self.resolved_ip,
        )


def find_browser(settings: Settings) -> str:
    """The Chromium executable browser mode launches; raises when there is none."""
    if settings.browser_executable:
        named = shutil.which(settings.browser_executable)
        if named is None:
            raise BrowserUnavailableError(
                f"browser_executable {settings.browser_executable!r} is not an executable file"
            )
        return named
    if os.access(DEBIAN_CHROMIUM, os.X_OK):
        return str(DEBIAN_CHROMIUM)
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailableError(
        "browser mode needs Chromium: install Debian's chromium package "
        "(apt-get install chromium) or set JIANWANG_BROWSER_EXECUTABLE"
    )


def _is_html(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return not mime or mime in _HTML_TYPES


def _media_type_kind(content_type: str) -> MediaKind | None:
    """The media kind a response's type declares, or ``None`` for anything that is not media."""
    kind = media_kind_of("", content_type)
    return None if kind == "unknown" else kind


def _suffix(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).suffix.lower()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _encode(text: str, charset: str) -> tuple[bytes, str]:
    """The serialised DOM in the document's character set (UTF-8 where Python lacks it)."""
    try:
        return text.encode(charset, errors="xmlcharrefreplace"), charset
    except LookupError:
        return text.encode("utf-8"), "utf-8"


def _refresh_page(url: str) -> bytes:
    """A document that sends its frame on to ``url``: a checked redirect Chromium cannot take."""
    target = html.escape(url, quote=True)
    return f'<!DOCTYPE html><meta http-equiv="refresh" content="0;url={target}">'.encode()


def _fetch_whole(
    fetcher: Fetcher,
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    stop_at_media: bool = False,
) -> FetchResult | tuple[str, MediaKind]:
    """Fetch ``url`` through the guarded fetcher within ``deadline``.

    With ``stop_at_media``, a response that declares a media type is not read: ``(final_url,
    kind)`` comes back instead, and the crawler downloads the body later under its media limits.
    """
    started = time.monotonic()
    remaining = deadline - started
    if remaining <= 0:
        raise FetchError(f"{url}: too slow (the page's time limit passed)")
    limit = min(fetcher.settings.fetch_timeout_s, remaining)
    with fetcher.open(url, headers=headers, time_limit_s=limit) as opened:
        kind = _media_type_kind(opened.content_type)
        if kind is not None and stop_at_media:
            return opened.final_url, kind
        content = b"".join(opened.iter_chunks(max_bytes=max_bytes))
    return FetchResult.read(opened, content, started)


@dataclass
class _Render:
    """The requests of one page's rendering, each answered through the guarded fetcher."""

    fetcher: Fetcher
    document: FetchResult
    deadline: float
    bytes_left: int
    main_frame: Frame | None = None
    requests: int = 0
    media: dict[str, MediaRef] = field(default_factory=dict)
    refused: list[RefusedRequest] = field(default_factory=list)
    waiting: dict[str, FetchResult] = field(default_factory=dict)  # fetched, to be served once

    def handle(self, route: Route) -> None:
        """Answer one intercepted request (Playwright calls this for every request)."""
        try:
            self._answer(route, route.request)
        except PlaywrightError as exc:  # the page or its context closed meanwhile
            logger.debug("browser: request %s dropped: %s", route.request.url, _first_line(exc))

    def _skip(self, route: Route, url: str, why: str, error_code: str = "blockedbyclient") -> None:
        logger.debug("browser: %s not fetched: %s", url, why)
        route.abort(error_code)

    def _refuse(self, route: Route, url: str, exc: UnsafeURLError) -> None:
        logger.warning("browser: on %s, %s", self.document.final_url, exc)
        self.refused.append(RefusedRequest(url=url, reason=str(exc)))
        route.abort("blockedbyclient")

    def _record(self, url: str, kind: MediaKind) -> None:
        if url not in self.media:
            logger.info("browser: %s requested %s (%s)", self.document.final_url, url, kind)
            self.media[url] = MediaRef(url=url, kind=kind, source_tag="browser")

    def _answer(self, route: Route, request: Request) -> None:
        url = request.url
        try:
            key = self.fetcher.check(url).url
        except UnsafeURLError as exc:
            self._refuse(route, url, exc)
            return
        except FetchError as exc:  # a name that does not resolve
            self._skip(route, url, str(exc), "namenotresolved")
            return
        self.requests += 1
        if request.method != "GET":
            self._skip(route, url, f"method {request.method} is not made in browser mode")
            return
        if (
            self.requests > MAX_REQUESTS
            or self.bytes_left <= 0
            or time.monotonic() >= self.deadline
        ):
            self._skip(route, url, "the page's request, byte or time budget is spent")
            return
        kind = request.resource_type
        if kind == "font":
            self._skip(route, url, "fonts are not fetched")
            return
        if kind == "media" or (kind not in _NOT_MEDIA_TYPES and has_media_extension(key)):
            self._record(key, media_kind_of(key))
            route.abort("aborted")
            return
        navigation = request.is_navigation_request()
        served = self.waiting.pop(key, None)
        if served is None:
            headers = {k: v for k, v in request.all_headers().items() if k in _FORWARDED_HEADERS}
            try:
                answer = _fetch_whole(
                    self.fetcher,
                    key,
                    deadline=self.deadline,
                    max_bytes=min(self.fetcher.settings.max_page_bytes, self.bytes_left),
                    headers=headers,
                    stop_at_media=True,
                )
            except UnsafeURLError as exc:  # a redirect hop to a forbidden address
                self._refuse(route, url, exc)
                return
            except HTTPStatusError as exc:
                route.fulfill(status=exc.status, body=b"")
                return
            except FetchError as exc:  # too slow, too large, unreachable
                logger.info("browser: on %s, %s", self.document.final_url, exc)
                route.abort("failed")
                return
            if isinstance(answer, tuple):
                self._record(*answer)
                route.abort("aborted")
                return
            served = answer
            self.bytes_left -= len(served.content)
            if navigation and normalise_url(served.final_url) != key:
                self.waiting[normalise_url(served.final_url)] = served
                route.fulfill(
                    status=200, content_type="text/html", body=_refresh_page(served.final_url)
                )
                return
        if navigation and request.frame == self.main_frame:
            self.document = served  # the page navigated itself: this is its document now
        headers = {
            k: v for k, v in served.headers.items() if k not in _UNFORWARDED_RESPONSE_HEADERS
        }
        route.fulfill(status=served.status, headers=headers, body=served.content)

    def media_refs(self) -> tuple[MediaRef, ...]:
        """The recorded media without stream segments (their playlist is what gets captured)."""
        refs = list(self.media.values())
        has_manifest = any(ref.kind in ("hls", "dash") for ref in refs)
        return tuple(
            ref
            for ref in refs
            if _suffix(ref.url) not in SEGMENT_EXTENSIONS
            and not (has_manifest and _suffix(ref.url) == ".ts")
        )


def _closed_port() -> socket.socket:
    """A loopback TCP port that is bound and never listens: every connection to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


class BrowserRenderer:
    """One headless Chromium for a whole crawl; use it as a context manager so it is closed.

    Constructing it starts nothing; entering it (or the first :meth:`render`) launches the
    browser, and a browser that crashed is launched again for the next page. Playwright's
    synchronous driver allows one running renderer per thread.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._proxy_port: socket.socket | None = None

    def __enter__(self) -> BrowserRenderer:
        self._launch()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the browser and its driver; safe to call twice."""
        with contextlib.suppress(PlaywrightError):
            if self._browser is not None:
                self._browser.close()
        with contextlib.suppress(PlaywrightError):
            if self._playwright is not None:
                self._playwright.stop()
        if self._proxy_port is not None:
            self._proxy_port.close()
        self._browser = self._playwright = self._proxy_port = None

    def _launch(self) -> Browser:
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        if self._browser is not None:
            logger.warning("browser: Chromium went away; starting it again")
            self.close()
        executable = find_browser(self.settings)
        self._proxy_port = _closed_port()
        port = self._proxy_port.getsockname()[1]
        sandbox = os.geteuid() != 0  # Chromium's sandbox cannot start as root
        try:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=executable,
                headless=True,
                chromium_sandbox=sandbox,
                args=list(_LAUNCH_ARGS),
                proxy={"server": f"http://127.0.0.1:{port}", "bypass": "<-loopback>"},
                timeout=self.settings.browser_timeout_s * 1000,
            )
        except PlaywrightError as exc:
            self.close()
            hint = " (its sandbox needs unprivileged user namespaces)" if sandbox else ""
            raise BrowserUnavailableError(
                f"cannot start the browser {executable}{hint}: {_first_line(exc)}"
            ) from exc
        logger.info("browser: started %s (%s)", executable, self._browser.version)
        return self._browser

    def render(self, url: str, fetcher: Fetcher) -> RenderedPage:
        """Load ``url`` in a fresh browser context, let its scripts run, and record what it did.

        Every request goes through ``fetcher``, whose settings set the limits (the renderer's
        own settings only name and start the browser). Raises
        :class:`UnsafeURLError` for a URL the guard refuses, :class:`HTTPStatusError` for a
        document answered with an error status, and :class:`FetchError` naming the URL when the
        page cannot be rendered within ``browser_timeout_s``.
        """
        started = time.monotonic()
        settings = fetcher.settings  # the settings in force for this crawl
        limit_s = settings.browser_timeout_s
        deadline = started + limit_s
        max_bytes = settings.max_page_bytes
        document = _fetch_whole(fetcher, url, deadline=deadline, max_bytes=max_bytes)
        assert isinstance(document, FetchResult)  # not stop_at_media: always the page
        if not _is_html(document.content_type):
            return self._page(url, document, document.content, (), None, started)
        browser = self._launch()
        state = _Render(
            fetcher=fetcher,
            document=document,
            deadline=deadline,
            bytes_left=max_bytes * BYTES_PER_PAGE_FACTOR - len(document.content),
        )
        state.waiting[normalise_url(document.final_url)] = document

        def remaining_ms() -> float:
            return max(1.0, (deadline - time.monotonic()) * 1000)  # 0 would mean "no limit"

        try:
            context = browser.new_context(
                service_workers="block",
                accept_downloads=False,
                user_agent=settings.user_agent,
                viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]},
            )
        except PlaywrightError as exc:
            raise FetchError(f"{url}: the browser could not open a page: {exc}") from exc
        try:
            context.route(lambda _url: True, state.handle)
            page = context.new_page()
            state.main_frame = page.main_frame
            page.goto(document.final_url, wait_until="load", timeout=remaining_ms())
            settle_s = min(settings.browser_wait_s, deadline - time.monotonic())
            if settle_s > 0:
                page.wait_for_timeout(settle_s * 1000)
            if time.monotonic() >= deadline:
                raise FetchError(f"{url}: rendering passed its time limit of {limit_s:g} s")
            charset = str(page.evaluate("document.characterSet"))
            text = page.content()
            screenshot = page.screenshot(type="png", timeout=remaining_ms())
        except PlaywrightTimeoutError as exc:
            raise FetchError(
                f"{url}: rendering passed its time limit of {limit_s:g} s ({_first_line(exc)})"
            ) from exc
        except PlaywrightError as exc:
            raise FetchError(f"{url}: the browser could not render it: {_first_line(exc)}") from exc
        finally:
            with contextlib.suppress(PlaywrightError):
                context.close()
        rendered, charset = _encode(text, charset)
        if len(rendered) > max_bytes:
            raise TooLargeError(f"{url}: rendered page too large (over {max_bytes} bytes)")
        final = state.document
        page_doc = dataclasses.replace(final, content_type=f"text/html; charset={charset}")
        return self._page(
            url, page_doc, rendered, state.media_refs(), screenshot, started, state.refused
        )

    @staticmethod
    def _page(
        url: str,
        document: FetchResult,
        content: bytes,
        media: tuple[MediaRef, ...],
        screenshot: bytes | None,
        started: float,
        refused: list[RefusedRequest] | None = None,
    ) -> RenderedPage:
        return RenderedPage(
            url=url,
            final_url=document.final_url,
            redirect_chain=document.redirect_chain,
            status=document.status,
            headers=document.headers,
            content_type=document.content_type,
            html=content,
            media=media,
            screenshot=screenshot,
            resolved_ip=document.resolved_ip,
            fetched_at=document.fetched_at,
            elapsed_s=time.monotonic() - started,
            refused=tuple(refused or ()),
        )
