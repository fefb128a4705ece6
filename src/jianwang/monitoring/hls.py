"""Capture an HLS stream (``.m3u8``) as one MPEG-TS file.

Every request (master playlist, variant playlist, each segment) goes through the
:class:`~jianwang.monitoring.fetch.Fetcher`, so a playlist cannot point the crawler at an internal
address. From a master playlist the lowest-bandwidth variant is taken: it is the cheapest to
fetch and still enough to fingerprint. MPEG-TS segments of one rendition concatenate into a
valid TS stream, so the segments are appended in playlist order to one file, hashed on the way,
and stored content-addressed like any other download. A long finished stream (a whole film) is
sampled instead: a few stretches spread over it are enough to say which work it is.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import m3u8

from jianwang.errors import FetchError
from jianwang.monitoring.fetch import Download, Fetcher, FetchResult, Validators
from jianwang.monitoring.segments import append_segments, sample_segments, sample_windows

logger = logging.getLogger(__name__)

TS_CONTENT_TYPE = "video/mp2t"
SAMPLED_CONTENT_TYPE = "video/x-matroska"


def load_playlist(page: FetchResult) -> Any:
    """Parse a fetched playlist, or raise FetchError naming its URL."""
    text = page.content.decode("utf-8", errors="replace")
    if not text.lstrip("\ufeff \r\n\t").startswith("#EXTM3U"):
        raise FetchError(f"{page.final_url}: not an HLS playlist (no #EXTM3U header)")
    try:
        return m3u8.loads(text, uri=page.final_url)
    except Exception as exc:  # m3u8 raises assorted errors on malformed input
        raise FetchError(f"{page.final_url}: malformed HLS playlist: {exc}") from exc


def _bandwidth(playlist: Any) -> float:
    info = playlist.stream_info
    value = getattr(info, "bandwidth", None) or getattr(info, "average_bandwidth", None)
    return float(value) if value else float("inf")


def _media_playlist(
    fetcher: Fetcher, url: str, unless: Validators | None = None
) -> tuple[FetchResult, Any]:
    """The media playlist for ``url``: itself, or its lowest-bandwidth variant. ``unless`` are
    the media playlist's validators from the last capture: :class:`NotModifiedError` when the
    server says it is unchanged (its segments are then not fetched again)."""
    page = fetcher.fetch_page(url, unless=unless)
    parsed = load_playlist(page)
    if not parsed.is_variant:
        return page, parsed
    if not parsed.playlists:
        raise FetchError(f"{page.final_url}: master playlist lists no variants")
    variant = min(parsed.playlists, key=_bandwidth)
    logger.info("HLS %s: taking variant %s", url, variant.absolute_uri)
    page = fetcher.fetch_page(variant.absolute_uri, unless=unless)
    parsed = load_playlist(page)
    if parsed.is_variant:
        raise FetchError(f"{page.final_url}: variant playlist is itself a master playlist")
    return page, parsed


def media_playlist_url(fetcher: Fetcher, url: str) -> str:
    """The URL of the media playlist to follow for ``url`` (itself, or its cheapest variant):
    a live watch resolves it once and then polls only the media playlist."""
    page, _ = _media_playlist(fetcher, url)
    return page.final_url


def _check_segments(page: FetchResult, parsed: Any) -> list[Any]:
    segments = list(parsed.segments)
    if not segments:
        raise FetchError(f"{page.final_url}: media playlist has no segments")
    for key in parsed.keys or []:
        if key is not None and (key.method or "NONE").upper() != "NONE":
            raise FetchError(f"{page.final_url}: encrypted HLS ({key.method}) is not captured")
    if any(getattr(seg, "init_section", None) for seg in segments):
        raise FetchError(f"{page.final_url}: fMP4 HLS (EXT-X-MAP) is not captured yet")
    if any(seg.byterange for seg in segments):
        raise FetchError(f"{page.final_url}: byte-range HLS segments are not captured yet")
    return segments


def capture_hls(
    fetcher: Fetcher,
    url: str,
    dest_dir: Path,
    *,
    max_bytes: int,
    max_segments: int | None = None,
    unless: Validators | None = None,
) -> Download:
    """Fetch the stream at ``url`` into one ``.ts`` file stored under its sha256 in ``dest_dir``.

    A live playlist (no ``#EXT-X-ENDLIST``) is captured as listed at the moment of the fetch.
    ``max_segments`` keeps only the first segments. A finished (VOD) stream longer than
    ``settings.stream_sample_over_s`` is sampled instead: a few stretches spread over it are
    joined into one ``.mkv`` and ``Download.source_spans`` says where each came from. ``unless``
    (the media playlist's validators at the last capture) makes the playlist request
    conditional: :class:`NotModifiedError` when it is unchanged. Raises
    :class:`FetchError` for malformed or unsupported playlists (naming the URL), a refused or
    failing segment, or more than ``max_bytes`` in total.
    """
    started = time.monotonic()
    page, parsed = _media_playlist(fetcher, url, unless)
    segments = _check_segments(page, parsed)
    if max_segments is not None:
        segments = segments[: max(1, max_segments)]
    settings = fetcher.settings
    runs = (
        sample_windows(
            [float(s.duration or 0.0) for s in segments],
            over_s=settings.stream_sample_over_s,
            windows=settings.stream_sample_windows,
            window_s=settings.stream_sample_window_s,
        )
        if parsed.is_endlist
        else None  # a live playlist lists only its last few segments: take them as they are
    )
    if runs is not None:
        starts = [0.0]
        for segment in segments[:-1]:
            starts.append(starts[-1] + float(segment.duration or 0.0))
        download = sample_segments(
            fetcher,
            url,
            page,
            [(starts[run[0]], [segments[i].absolute_uri for i in run]) for run in runs],
            dest_dir,
            max_bytes=max_bytes,
            started=started,
            content_type=SAMPLED_CONTENT_TYPE,
        )
        logger.info(
            "HLS %s: %.0f s long, sampled %d stretches (%d of %d segments) -> %s",
            url,
            sum(float(s.duration or 0.0) for s in segments),
            len(runs),
            download.parts,
            len(segments),
            download.path.name,
        )
        return download
    download = append_segments(
        fetcher,
        url,
        page,
        [segment.absolute_uri for segment in segments],
        dest_dir,
        max_bytes=max_bytes,
        started=started,
        suffix=".ts",
        content_type=TS_CONTENT_TYPE,
    )
    logger.info(
        "HLS %s: %d segments, %d bytes -> %s", url, len(segments), download.size, download.path.name
    )
    return download
