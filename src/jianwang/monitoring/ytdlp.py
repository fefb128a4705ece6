"""Media of pages that a site-specific yt-dlp extractor knows (players fed by an API, not a tag).

Our own discovery reads links, ``<video>`` tags and manifests from a page's HTML; many real sites
build their player from an API call instead, and yt-dlp's extractors know how to make those
calls. For a page URL that an extractor *other than the generic one* claims, :class:`MediaExtractor`
runs that extractor (no download, no cookies file, no cache, no external downloader), picks one
small format that carries what we capture, and returns it as a :class:`MediaRef`. The crawler
then downloads that URL through the guarded :class:`~jianwang.monitoring.fetch.Fetcher` like any
other media. The generic extractor is never used: it only re-does what our discovery does.

yt-dlp makes its extraction requests itself, past our fetcher, so this module guards them: the
page URL and every URL yt-dlp asks for are checked with the SSRF guard first, and the extraction
has a total time limit (no request starts after it, each request's timeout is cut to what is
left). Every error yt-dlp raises comes out as a :class:`FetchError` naming the page URL.

yt-dlp is imported on first use: it takes a noticeable time to import and most commands never
extract anything.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from jianwang.config import Settings
from jianwang.errors import FetchError, UnsafeURLError
from jianwang.monitoring.discover import MediaKind, MediaRef

logger = logging.getLogger(__name__)

EXTRACTION_TIME_FACTOR = 3.0
"""A whole extraction may take this many times ``fetch_timeout_s`` (an API call or three)."""
MAX_ENTRIES = 5
"""At most this many entries of a page that is a playlist are extracted."""

Guard = Callable[[str], object]
"""Raises :class:`UnsafeURLError` for a URL that must not be requested (the fetcher's check)."""

_GENERIC = "Generic"
_DIRECT = frozenset({"http", "https"})
_HLS = frozenset({"m3u8", "m3u8_native"})
_DASH = frozenset({"http_dash_segments", "http_dash_segments_generator"})


@functools.cache
def _builtin_extractors() -> tuple[Any, ...]:
    """yt-dlp's enabled, working extractor classes, the generic one left out (loaded once)."""
    from yt_dlp.extractor import gen_extractor_classes

    return tuple(
        ie
        for ie in gen_extractor_classes()
        if ie.ie_key() != _GENERIC and ie._ENABLED and ie.working()
    )


class _YtDlpLog:
    """Routes yt-dlp's messages to logging, one level down: the crawl reports its own errors."""

    def debug(self, msg: str) -> None:
        logger.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        logger.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        logger.info("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        logger.info("yt-dlp: %s", msg)


@functools.cache
def _guarded_class() -> type[Any]:
    """A ``YoutubeDL`` whose every request passes the guard and the extraction's time limit.

    Extractors fetch through ``YoutubeDL.urlopen``, so checking there covers the API calls an
    extractor makes, not only the page URL. Redirects inside one request are followed by
    yt-dlp's own handler and are not checked hop by hop.
    """
    from yt_dlp import YoutubeDL
    from yt_dlp.networking import Request

    class GuardedYoutubeDL(YoutubeDL):
        def __init__(
            self, params: dict[str, Any], *, guard: Guard, deadline: float, timeout_s: float
        ) -> None:
            super().__init__(params, auto_init=True)
            self._jw_guard = guard
            self._jw_deadline = deadline
            self._jw_timeout_s = timeout_s

        def urlopen(self, req: Any) -> Any:
            if isinstance(req, str):
                req = Request(req)
            url = req.url if isinstance(req, Request) else req.get_full_url()
            remaining = self._jw_deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError(f"time limit passed before requesting {url}")
            self._jw_guard(url)
            if isinstance(req, Request):
                req.extensions["timeout"] = max(0.1, min(self._jw_timeout_s, remaining))
            return super().urlopen(req)

    return GuardedYoutubeDL


def _reason(exc: BaseException) -> str:
    """yt-dlp's message without its "ERROR:" prefix and its plea to report a bug upstream."""
    text = str(exc).strip() or type(exc).__name__
    return text.removeprefix("ERROR: ").split("; please report this issue", 1)[0]


def _has(codec: object) -> bool | None:
    """Whether a format carries a stream: yt-dlp says ``"none"`` when not, ``None`` if unknown."""
    if codec is None:
        return None
    return codec != "none"


def _size_key(fmt: Mapping[str, Any]) -> tuple[bool, float, float]:
    """Smallest first: by height (unknown last), then by bitrate or size."""
    height = fmt.get("height")
    rate = fmt.get("tbr") or fmt.get("abr") or fmt.get("filesize") or fmt.get("filesize_approx")
    return (height is None, float(height or 0), float(rate or 0))


def _as_ref(fmt: Mapping[str, Any], source: str) -> tuple[int, MediaRef] | None:
    """A format as (rank, MediaRef): combined files rank first, then HLS, DASH, video, audio."""
    if fmt.get("has_drm") or not fmt.get("url"):
        return None
    protocol = str(fmt.get("protocol") or "")
    if protocol in _HLS:
        return 1, MediaRef(url=str(fmt["url"]), kind="hls", source_tag=source)
    if protocol in _DASH:
        manifest = fmt.get("manifest_url")
        return (
            (2, MediaRef(url=str(manifest), kind="dash", source_tag=source)) if manifest else None
        )
    if protocol not in _DIRECT:
        return None  # RTMP, f4m, ISM, storyboards: nothing our fetcher can capture
    video, audio = _has(fmt.get("vcodec")), _has(fmt.get("acodec"))
    if video is False and audio is not False:
        return 4, MediaRef(url=str(fmt["url"]), kind="audio", source_tag=source)
    kind: MediaKind = "video" if video else "unknown"
    return (0 if audio is not False else 3), MediaRef(
        url=str(fmt["url"]), kind=kind, source_tag=source
    )


def choose_format(
    formats: Sequence[Mapping[str, Any]], kinds: Collection[str], *, source: str = "yt-dlp"
) -> MediaRef | None:
    """The one format to capture: small, and carrying what ``kinds`` asks for.

    With video wanted: the lowest-resolution file with audio and video, else an HLS or DASH
    manifest (our stream capture takes its smallest variant), else a video-only file, else audio.
    With audio only (a music site): the smallest audio-only file first. ``None`` when nothing
    is capturable (DRM, RTMP, no URL).
    """
    ranked: list[tuple[int, tuple[bool, float, float], int, MediaRef]] = []
    for index, fmt in enumerate(formats):
        found = _as_ref(fmt, source)
        if found is not None:
            ranked.append((found[0], _size_key(fmt), index, found[1]))
    if "video" not in kinds:
        if "audio" not in kinds:
            return None
        ranked = [
            (0 if ref.kind == "audio" else rank + 1, size, index, ref)
            for rank, size, index, ref in ranked
        ]
    if not ranked:
        return None
    return min(ranked, key=lambda entry: entry[:3])[3]


class MediaExtractor:
    """Runs yt-dlp's site-specific extractors on the pages they claim.

    ``extra`` are additional ``InfoExtractor`` classes, tried before yt-dlp's own (tests pass a
    sandbox extractor here). ``guard`` is the SSRF check every URL passes first, normally
    :meth:`Fetcher.check <jianwang.monitoring.fetch.Fetcher.check>`. Constructing one loads
    nothing; yt-dlp is imported on the first :meth:`claims`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        guard: Guard,
        extra: Sequence[type[Any]] = (),
        builtin: bool = True,
        time_limit_s: float | None = None,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.settings = settings
        self._guard = guard
        self._extra = tuple(extra)
        self._builtin = builtin
        self.time_limit_s = (
            settings.fetch_timeout_s * EXTRACTION_TIME_FACTOR
            if time_limit_s is None
            else time_limit_s
        )
        self._max_entries = max_entries

    def _candidates(self) -> tuple[Any, ...]:
        return self._extra + (_builtin_extractors() if self._builtin else ())

    def claims(self, url: str) -> str | None:
        """The key of the non-generic extractor that claims ``url``, or ``None``."""
        for ie in self._candidates():
            if ie.ie_key() != _GENERIC and ie.suitable(url):
                return str(ie.ie_key())
        return None

    def _params(self) -> dict[str, Any]:
        return {
            "quiet": True,
            "no_warnings": False,
            "noprogress": True,
            "logger": _YtDlpLog(),
            "color": {"stdout": "no_color", "stderr": "no_color"},
            "cachedir": False,
            "cookiefile": None,
            "socket_timeout": self.settings.fetch_timeout_s,
            "http_headers": {"User-Agent": self.settings.user_agent},
            "allowed_extractors": ["default", "-generic"],
            "external_downloader": {},
            "check_formats": False,
            "format": "all",  # every format stays listed; choose_format picks, nothing downloads
            "noplaylist": True,
            "playlist_items": f"1:{self._max_entries}",
            "ignore_no_formats_error": True,
        }

    def extract(self, url: str, *, kinds: Collection[str]) -> list[MediaRef]:
        """What to capture from the page at ``url``: one small format per video (or entry).

        Raises :class:`UnsafeURLError` for a page or request the guard refuses and
        :class:`FetchError` for anything else that goes wrong, naming ``url``; an empty list
        when no extractor claims the page.
        """
        key = self.claims(url)
        if key is None:
            return []
        self._guard(url)  # refused before yt-dlp sends anything
        started = time.monotonic()
        deadline = started + self.time_limit_s
        try:
            ydl = _guarded_class()(
                self._params(),
                guard=self._guard,
                deadline=deadline,
                timeout_s=self.settings.fetch_timeout_s,
            )
            with ydl:
                for ie in self._extra:
                    ydl.add_info_extractor(ie())
                info = ydl.extract_info(url, download=False, ie_key=key)
        except UnsafeURLError as exc:
            raise UnsafeURLError(f"yt-dlp ({key}) on {url}: {exc}") from exc
        except Exception as exc:  # yt-dlp and its extractors raise anything; one error per page
            if time.monotonic() >= deadline:
                raise FetchError(
                    f"yt-dlp ({key}) on {url}: too slow (over {self.time_limit_s:g} s)"
                ) from exc
            raise FetchError(f"yt-dlp ({key}) could not extract {url}: {_reason(exc)}") from exc
        refs = self._refs(info, kinds, f"yt-dlp:{key}")
        logger.info(
            "yt-dlp (%s) found %d media on %s in %.1f s",
            key,
            len(refs),
            url,
            time.monotonic() - started,
        )
        if not refs:
            raise FetchError(f"yt-dlp ({key}) found no capturable format on {url}")
        return refs

    def _refs(self, info: Any, kinds: Collection[str], source: str) -> list[MediaRef]:
        if not isinstance(info, Mapping):
            return []
        entries = info.get("entries")
        if info.get("_type") in ("playlist", "multi_video") and entries is not None:
            found: list[MediaRef] = []
            for entry in list(entries)[: self._max_entries]:
                found += self._refs(entry, kinds, source)
            return found
        formats = info.get("formats") or ([info] if info.get("url") else [])
        chosen = choose_format(formats, kinds, source=source)
        return [chosen] if chosen is not None else []
