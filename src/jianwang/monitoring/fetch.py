"""Safe fetching: the only way monitoring code talks HTTP.

Every request goes through :class:`Fetcher`, which

* checks each URL, and each redirect hop, with the SSRF guard and connects to the address it
  checked (the name is not resolved a second time);
* follows redirects itself (at most :data:`MAX_REDIRECTS`, loops refused) so each hop is checked;
* paces requests per host and caps how many are in flight to one host at once (threads may share
  one fetcher), retries connection errors, 429 and 5xx a bounded number of times with
  exponential backoff, and sends the configured User-Agent;
* sends a site's credentials (see :mod:`jianwang.monitoring.credentials`) only to the site's own
  domains, deciding again on every redirect hop, and keeps no cookie jar of its own, so nothing a
  server sets travels on to another host;
* streams bodies and stops at a size limit and at a *total* time limit, so neither a huge file nor a
  server dripping one byte at a time can hold the crawler.

Non-2xx answers raise :class:`HTTPStatusError` (a ``FetchError`` carrying the status): a monitoring
capture of an error page is not evidence of anything, and callers that care about the status (the
robots.txt reader, resumable downloads) catch it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from types import TracebackType
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.errors import FetchError, UnsafeURLError
from jianwang.monitoring.credentials import SiteCredentials
from jianwang.monitoring.safety import (
    DEFAULT_PORTS,
    ResolvedURL,
    Resolver,
    check_url,
    normalise_url,
    system_resolver,
)
from jianwang.monitoring.store import suffix_for
from jianwang.monitoring.throttle import DEFAULT_CONCURRENCY, HostSlots, HostThrottle

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MIN_MEDIA_RATE = 256 * 1024
"""Bytes per second a media download must average; sets its default total time limit."""

_DISALLOW_ALL = ("User-agent: *", "Disallow: /")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class HTTPStatusError(FetchError):
    """A server answered with a status other than 2xx (after redirects and retries)."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url} answered HTTP {status}")
        self.url = url
        self.status = status


class TooLargeError(FetchError):
    """A body passed its size limit; nothing of it is kept."""


class NotModifiedError(FetchError):
    """The server says the item is unchanged since the validators sent (HTTP 304)."""


@dataclass(frozen=True)
class Validators:
    """What a server said identifies a version of an item: its ETag and Last-Modified date.

    Sent back as ``If-None-Match`` / ``If-Modified-Since``, they let an unchanged item be
    confirmed without transferring it again (an incremental sweep).
    """

    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def of(cls, headers: dict[str, str]) -> Validators | None:
        """The validators in response ``headers`` (lower-case names), or ``None``."""
        found = cls(headers.get("etag"), headers.get("last-modified"))
        return found if found.etag or found.last_modified else None

    def request_headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


class BodyInterruptedError(FetchError):
    """The connection broke while a body was being read; what arrived may be resumed."""


class _RestartError(FetchError):
    """A ranged answer that does not continue the partial file; start the download over."""


@dataclass(frozen=True)
class FetchResult:
    """A page fetched whole into memory, with what the evidence record needs about the exchange.

    ``redirect_chain`` lists every URL that answered with a redirect, starting with ``url``; it is
    empty when the first URL answered directly. ``resolved_ip`` is the address connected to.
    """

    url: str
    final_url: str
    redirect_chain: tuple[str, ...]
    status: int
    headers: dict[str, str]
    content: bytes
    content_type: str
    fetched_at: datetime
    sha256: str
    elapsed_s: float
    resolved_ip: str | None

    @classmethod
    def read(cls, opened: OpenResponse, content: bytes, started: float) -> FetchResult:
        """The result of reading ``content`` whole from ``opened``, begun at ``started``
        (``time.monotonic()``)."""
        return cls(
            url=opened.url,
            final_url=opened.final_url,
            redirect_chain=opened.redirect_chain,
            status=opened.status,
            headers=opened.headers,
            content=content,
            content_type=opened.content_type,
            fetched_at=opened.fetched_at,
            sha256=hashlib.sha256(content).hexdigest(),
            elapsed_s=time.monotonic() - started,
            resolved_ip=opened.resolved_ip,
        )


@dataclass(frozen=True)
class Download:
    """A body streamed to disk and stored under its sha256 (see :mod:`jianwang.monitoring.store`).

    ``resumed_from`` is the byte offset a ranged request continued from (0 for a fresh download).
    ``parts`` counts the bodies joined into the file (HLS segments; 1 for a plain download).
    """

    url: str
    final_url: str
    redirect_chain: tuple[str, ...]
    path: Path
    sha256: str
    size: int
    content_type: str
    status: int
    headers: dict[str, str]
    fetched_at: datetime
    elapsed_s: float
    resolved_ip: str | None
    resumed_from: int = 0
    parts: int = 1
    # A sampled stream: (start in the file, start in the stream, duration) of each stretch.
    source_spans: tuple[tuple[float, float, float], ...] | None = None


@dataclass
class OpenResponse:
    """A response whose status and headers are in and whose body is not read yet."""

    url: str
    final_url: str
    redirect_chain: tuple[str, ...]
    status: int
    headers: dict[str, str]
    content_type: str
    resolved_ip: str | None
    fetched_at: datetime
    deadline: float
    response: httpx.Response = field(repr=False)

    def iter_chunks(self, *, max_bytes: int) -> Iterator[bytes]:
        """The body in chunks; raises past ``max_bytes`` or past the deadline.

        The deadline is checked after every chunk, so a server sending one byte every few
        seconds is cut off on time even though no single read times out.
        """
        declared = self.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise TooLargeError(
                f"{self.final_url}: too large ({declared} bytes declared, limit {max_bytes})"
            )
        total = 0
        try:
            for chunk in self.response.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise TooLargeError(f"{self.final_url}: too large (over {max_bytes} bytes)")
                if time.monotonic() > self.deadline:
                    raise FetchError(f"{self.final_url}: too slow (time limit passed)")
                yield chunk
        except httpx.TimeoutException as exc:
            raise FetchError(f"{self.final_url}: too slow ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise BodyInterruptedError(
                f"{self.final_url}: connection broke after {total} bytes ({exc!r})"
            ) from exc


def _header_dict(headers: httpx.Headers) -> dict[str, str]:
    merged: dict[str, str] = {}
    for key, value in headers.multi_items():
        name = key.lower()
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


def _host_key(resolved: ResolvedURL) -> str:
    return f"{resolved.host}:{resolved.port}"


def _no_cookies() -> CookieJar:
    """A cookie jar that accepts nothing: requests go to checked IP addresses, so a jar keyed by
    host would hand one site's cookies to every other host on the same address."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None


class Fetcher:
    """Fetches pages and media safely; use it as a context manager so its client is closed.

    The HTTP client is created on first use (or given, e.g. an ``httpx.MockTransport`` client in
    tests), so constructing a ``Fetcher`` opens nothing. A given client is not closed by it.

    One fetcher may be shared by threads: the client is created once under a lock, httpx's pool
    is thread-safe, and at most ``concurrency`` requests are in flight to one host at once (a
    response counts until it is closed). ``credentials`` are sent only inside their domains.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        client: httpx.Client | None = None,
        resolver: Resolver = system_resolver,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        credentials: SiteCredentials | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.settings = settings
        self.credentials = credentials
        self._slots = HostSlots(concurrency)
        self._client_lock = threading.Lock()
        self._client = client
        self._owns_client = client is None
        self._resolver = resolver
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._throttle = HostThrottle(settings.crawl_delay_s, sleep=sleep)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this fetcher created it."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    @property
    def concurrency(self) -> int:
        """The most requests this fetcher has in flight to one host at once."""
        return self._slots.limit

    def _http(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(
                    follow_redirects=False,
                    trust_env=False,
                    timeout=self.settings.fetch_timeout_s,
                    headers={"User-Agent": self.settings.user_agent},
                    cookies=_no_cookies(),
                )
            return self._client

    def check(self, url: str) -> ResolvedURL:
        """Run the SSRF guard with this fetcher's settings and resolver."""
        return check_url(
            url, allow_private=self.settings.allow_private_hosts, resolver=self._resolver
        )

    def _build(
        self, resolved: ResolvedURL, headers: dict[str, str], timeout: float
    ) -> httpx.Request:
        """A request to the checked address, carrying the original name in Host and SNI."""
        request_headers = {"User-Agent": self.settings.user_agent, **headers}
        extensions: dict[str, str] = {}
        target = resolved.url
        if resolved.addresses:
            parts = urlsplit(resolved.url)
            ip = resolved.addresses[0]
            ip_host = f"[{ip}]" if ":" in ip else ip
            default = DEFAULT_PORTS[resolved.scheme] == resolved.port
            port_part = "" if default else f":{resolved.port}"
            target = urlunsplit((parts.scheme, ip_host + port_part, parts.path, parts.query, ""))
            host_header = resolved.host if ":" not in resolved.host else f"[{resolved.host}]"
            request_headers["Host"] = host_header + port_part
            if resolved.scheme == "https":
                extensions["sni_hostname"] = resolved.host
        return self._http().build_request(
            "GET", target, headers=request_headers, timeout=timeout, extensions=extensions
        )

    def _send(
        self, resolved: ResolvedURL, headers: dict[str, str], deadline: float
    ) -> httpx.Response:
        """Send one hop, retrying connection errors, 429 and 5xx with exponential backoff.

        The response returned holds one of its host's slots; :meth:`_finish` gives it back. No
        slot is held while backing off, so a failing host does not block its other requests.
        """
        key = _host_key(resolved)
        last_error = ""
        retry_after: float | None = None
        for attempt in range(self._max_retries + 1):
            if retry_after:
                self._sleep(max(0.0, min(retry_after, deadline - time.monotonic())))
            if attempt:
                pause = self._backoff_s * 2 ** (attempt - 1)
                self._sleep(max(0.0, min(pause, deadline - time.monotonic())))
            retry_after = None
            if not self._slots.acquire(key, deadline - time.monotonic()):
                raise FetchError(
                    f"{resolved.url}: too slow (no free connection to {key} in the time limit)"
                )
            keep = False
            try:
                self._throttle.wait(key)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FetchError(f"{resolved.url}: too slow (time limit passed; {last_error})")
                timeout = min(self.settings.fetch_timeout_s, remaining)
                try:
                    response = self._http().send(
                        self._build(resolved, headers, timeout), stream=True
                    )
                except httpx.TransportError as exc:
                    last_error = repr(exc)
                    logger.info("fetch %s failed (attempt %d): %s", resolved.url, attempt + 1, exc)
                    continue
                if response.status_code in RETRY_STATUSES and attempt < self._max_retries:
                    last_error = f"HTTP {response.status_code}"
                    retry_after = _retry_after(response)
                    response.close()
                    logger.info("fetch %s got %s; retrying", resolved.url, last_error)
                    continue
                keep = True
                return response
            finally:
                if not keep:
                    self._slots.release(key)
        raise FetchError(f"cannot fetch {resolved.url}: {last_error}")

    def _finish(self, resolved: ResolvedURL, response: httpx.Response) -> None:
        """Close a response from :meth:`_send` and give back its host's slot."""
        try:
            response.close()
        finally:
            self._slots.release(_host_key(resolved))

    def _hop_headers(self, resolved: ResolvedURL, headers: dict[str, str] | None) -> dict[str, str]:
        """The caller's headers, plus the site's credentials where this hop's host is its own."""
        if self.credentials is None:
            return dict(headers or {})
        extra = self.credentials.headers_for(resolved.host, resolved.port)
        if extra:
            logger.debug("sending site credentials to %s", _host_key(resolved))
        return {**extra, **(headers or {})}

    @contextlib.contextmanager
    def open(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        time_limit_s: float | None = None,
    ) -> Iterator[OpenResponse]:
        """Follow ``url`` through its redirects, every hop guarded, and yield the 2xx response.

        Raises :class:`UnsafeURLError` for a refused hop, :class:`HTTPStatusError` for a final
        status outside 2xx, and :class:`FetchError` for too many redirects, a loop, or a
        connection that cannot be made within the time limit (default ``fetch_timeout_s``).
        """
        started = time.monotonic()
        limit_s = self.settings.fetch_timeout_s if time_limit_s is None else time_limit_s
        deadline = started + limit_s
        chain: list[str] = []
        visited: set[str] = set()
        current = url
        while True:
            resolved = self.check(current)
            if resolved.url in visited:
                raise FetchError(f"redirect loop fetching {url}: {resolved.url} seen twice")
            visited.add(resolved.url)
            fetched_at = datetime.now(UTC)
            response = self._send(resolved, self._hop_headers(resolved, headers), deadline)
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                self._finish(resolved, response)
                chain.append(resolved.url)
                if len(chain) > MAX_REDIRECTS:
                    raise FetchError(f"too many redirects fetching {url} (over {MAX_REDIRECTS})")
                current = urljoin(resolved.url, location.strip())
                logger.debug("redirect %s -> %s", resolved.url, current)
                continue
            break
        try:
            if not 200 <= response.status_code < 300:
                raise HTTPStatusError(resolved.url, response.status_code)
            header_map = _header_dict(response.headers)
            yield OpenResponse(
                url=url,
                final_url=resolved.url,
                redirect_chain=tuple(chain),
                status=response.status_code,
                headers=header_map,
                content_type=header_map.get("content-type", ""),
                resolved_ip=(resolved.addresses[0] if resolved.addresses else _peer_ip(response)),
                fetched_at=fetched_at,
                deadline=deadline,
                response=response,
            )
        finally:
            self._finish(resolved, response)

    def fetch_page(self, url: str, *, unless: Validators | None = None) -> FetchResult:
        """Fetch a page whole, within ``max_page_bytes`` and ``fetch_timeout_s`` in total.

        With ``unless`` (the validators of the copy last fetched) the request is conditional:
        an unchanged page raises :class:`NotModifiedError` and transfers no body.
        """
        started = time.monotonic()
        headers = unless.request_headers() if unless is not None else None
        try:
            with self.open(url, headers=headers) as opened:
                content = b"".join(opened.iter_chunks(max_bytes=self.settings.max_page_bytes))
        except HTTPStatusError as exc:
            if exc.status == 304 and unless is not None:
                raise NotModifiedError(f"{url}: not modified since it was last fetched") from exc
            raise
        return FetchResult.read(opened, content, started)

    def media_time_limit(self, max_bytes: int) -> float:
        """Default total time for a media transfer: the limit's worth at :data:`MIN_MEDIA_RATE`."""
        return self.settings.fetch_timeout_s + max_bytes / MIN_MEDIA_RATE

    def download(
        self,
        url: str,
        dest_dir: Path,
        *,
        max_bytes: int | None = None,
        time_limit_s: float | None = None,
        unless: Validators | None = None,
    ) -> Download:
        """Stream ``url`` into ``dest_dir`` under its content address, hashing on the way.

        The body first goes to ``dest_dir/.partial/<key>.part``. If the connection breaks, the
        download is retried with ``Range: bytes=<have>-`` (and ``If-Range`` with the validator
        seen first), in this call and in a later call for the same URL; a server that ignores the
        range gets a fresh start. A body over ``max_bytes`` is deleted. With ``unless`` (the
        validators of a version already captured) the request is conditional, and an unchanged
        item raises :class:`NotModifiedError` without a byte of body transferred.
        """
        limit = max_bytes if max_bytes is not None else self.settings.max_media_bytes
        started = time.monotonic()
        deadline = started + (
            self.media_time_limit(limit) if time_limit_s is None else time_limit_s
        )
        partial_dir = dest_dir / ".partial"
        partial_dir.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256(normalise_url(url).encode()).hexdigest()[:40]
        partial = partial_dir / f"{key}.part"
        validator_file = partial_dir / f"{key}.validator"
        for attempt in range(self._max_retries + 1):
            offset = partial.stat().st_size if partial.exists() else 0
            headers = {"Accept-Encoding": "identity"}
            if unless is not None and not offset:
                headers.update(unless.request_headers())
            if offset:
                headers["Range"] = f"bytes={offset}-"
                if validator_file.exists():
                    headers["If-Range"] = validator_file.read_text(encoding="utf-8")
            try:
                with self.open(
                    url, headers=headers, time_limit_s=deadline - time.monotonic()
                ) as opened:
                    start = _range_start(opened) if offset else None
                    if opened.status == 206 and start != offset:
                        raise _RestartError(f"{url}: server answered an unasked range")
                    hasher = hashlib.sha256()
                    if start == offset:
                        with partial.open("rb") as fh:
                            for block in iter(lambda: fh.read(1 << 20), b""):
                                hasher.update(block)
                        mode = "ab"
                    else:
                        offset, mode = 0, "wb"
                    validator = opened.headers.get("etag") or opened.headers.get("last-modified")
                    if validator:
                        validator_file.write_text(validator, encoding="utf-8")
                    size = offset
                    with partial.open(mode) as out:
                        for chunk in opened.iter_chunks(max_bytes=limit - offset):
                            out.write(chunk)
                            hasher.update(chunk)
                            size += len(chunk)
            except HTTPStatusError as exc:
                if exc.status == 304 and unless is not None:
                    raise NotModifiedError(f"{url}: not modified since it was captured") from exc
                if exc.status == 416 and offset:
                    logger.info("range on %s refused; starting again", url)
                    partial.unlink(missing_ok=True)
                    continue
                raise
            except _RestartError as exc:
                logger.info("download of %s restarts: %s", url, exc)
                partial.unlink(missing_ok=True)
                validator_file.unlink(missing_ok=True)
                continue
            except BodyInterruptedError as exc:
                if attempt == self._max_retries:
                    raise
                logger.info("download of %s interrupted, will resume: %s", url, exc)
                continue
            except TooLargeError:
                partial.unlink(missing_ok=True)
                validator_file.unlink(missing_ok=True)
                raise
            digest = hasher.hexdigest()
            suffix = suffix_for(opened.final_url, opened.content_type)
            path = ContentStore(dest_dir).settle(partial, digest, suffix).path
            validator_file.unlink(missing_ok=True)
            return Download(
                url=url,
                final_url=opened.final_url,
                redirect_chain=opened.redirect_chain,
                path=path,
                sha256=digest,
                size=size,
                content_type=opened.content_type,
                status=opened.status,
                headers=opened.headers,
                fetched_at=opened.fetched_at,
                elapsed_s=time.monotonic() - started,
                resolved_ip=opened.resolved_ip,
                resumed_from=offset,
            )
        raise FetchError(f"cannot download {url}: ranged retries exhausted")


def _range_start(opened: OpenResponse) -> int | None:
    """The first byte of a 206 answer, or ``None`` when the server sent the whole body."""
    if opened.status != 206:
        return None
    match = _CONTENT_RANGE.match(opened.headers.get("content-range", ""))
    return int(match.group(1)) if match else None


def _peer_ip(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        address = stream.get_extra_info("server_addr")
    except Exception:  # a transport without socket details; the IP is then unknown
        return None
    return str(address[0]) if address else None


class RobotsCache:
    """Answers "may we fetch this URL" from each origin's robots.txt, fetched once per origin.

    The file is fetched through the same :class:`Fetcher` (guarded, paced, size-limited). Following
    RFC 9309: a 4xx other than 401/403 means no rules; 401/403, a 5xx or an unreachable server
    mean "fetch nothing" for that origin during this cache's life.

    Threads may share a cache: each origin's file is fetched once, under that origin's own lock,
    so a slow robots.txt on one host does not hold up the answers for others.
    """

    def __init__(self, fetcher: Fetcher, *, user_agent: str | None = None) -> None:
        self._fetcher = fetcher
        self._agent = user_agent or fetcher.settings.user_agent
        self._parsers: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def _parser(self, url: str) -> urllib.robotparser.RobotFileParser:
        parts = urlsplit(self._fetcher.check(url).url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._parsers.get(origin)
        if parser is not None:
            return parser
        with self._lock:
            origin_lock = self._locks.setdefault(origin, threading.Lock())
        with origin_lock:
            parser = self._parsers.get(origin)
            if parser is None:
                parser = self._read(origin)
                self._parsers[origin] = parser
        return parser

    def sitemaps(self, url: str) -> list[str]:
        """The ``Sitemap:`` URLs the robots.txt of ``url``'s origin lists."""
        return list(self._parser(url).site_maps() or [])

    def _read(self, origin: str) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        lines: list[str] = []
        try:
            page = self._fetcher.fetch_page(f"{origin}/robots.txt")
        except UnsafeURLError:
            raise
        except HTTPStatusError as exc:
            if exc.status in (401, 403) or exc.status >= 500:
                lines = list(_DISALLOW_ALL)
            logger.info("robots.txt of %s: HTTP %d", origin, exc.status)
        except FetchError as exc:
            logger.warning("robots.txt of %s unreachable, fetching nothing there: %s", origin, exc)
            lines = list(_DISALLOW_ALL)
        else:
            lines = page.content.decode("utf-8", errors="replace").splitlines()
        parser.parse(lines)
        return parser

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets this fetcher's User-Agent fetch ``url``."""
        return self._parser(url).can_fetch(self._agent, url)

    def crawl_delay(self, url: str) -> float | None:
        """The Crawl-delay robots.txt asks of this User-Agent, if any."""
        delay = self._parser(url).crawl_delay(self._agent)
        return float(delay) if delay is not None else None
