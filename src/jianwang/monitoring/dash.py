"""Capture an MPEG-DASH presentation (``.mpd``) as one fragmented MP4 file.

Every request (the manifest, the initialization segment, each media segment) goes through the
:class:`~jianwang.monitoring.fetch.Fetcher`, so a manifest cannot point the crawler at an
internal address. Of the video adaptation sets (audio ones when there is no video) the
lowest-bandwidth representation is taken: the cheapest to fetch and still enough to
fingerprint. Its initialization segment followed by its media segments, in order, is a valid
fragmented MP4, so they are appended to one file, hashed on the way and stored content-addressed
like any other download. Segment addresses come from ``SegmentTemplate`` (``$Number$`` with
``duration``, or ``$Time$``/``$Number$`` with a ``SegmentTimeline``), ``SegmentList``, or a
single ``BaseURL`` file; ``BaseURL`` elements at every level are resolved as the standard says.
Live (``type="dynamic"``) presentations and encrypted ones are refused with a reason. A long
presentation whose segment durations the manifest gives is sampled like a long HLS film: a few
stretches (each its initialization plus consecutive fragments) joined into one file.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from lxml import etree

from jianwang.errors import FetchError
from jianwang.monitoring.fetch import Download, Fetcher, FetchResult
from jianwang.monitoring.segments import append_segments, sample_segments, sample_windows

logger = logging.getLogger(__name__)

MP4_CONTENT_TYPE = "video/mp4"
SAMPLED_CONTENT_TYPE = "video/x-matroska"
MAX_SEGMENTS = 100_000
"""More segments than this in one representation is a hostile or broken manifest."""
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_IDENTIFIER = re.compile(r"\$(RepresentationID|Number|Time|Bandwidth)(%0(\d+)d)?\$|\$\$")


@dataclass(frozen=True)
class DashTrack:
    """The representation chosen and the URLs to fetch, initialization first."""

    kind: str  # "video" or "audio"
    representation: str
    bandwidth: int
    urls: tuple[str, ...]
    # Seconds of each media segment, where the manifest says (SegmentTemplate): a long
    # presentation can then be sampled. ``has_init``: ``urls`` starts with the initialization.
    durations: tuple[float, ...] | None = None
    has_init: bool = False


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: etree._Element | None, name: str) -> etree._Element | None:
    if el is None:
        return None
    found = _children(el, name)
    return found[0] if found else None


def _first(*elements: etree._Element | None) -> etree._Element | None:
    """The first element that exists (lxml elements without children are false: never ``or``)."""
    return next((el for el in elements if el is not None), None)


def iso_duration(text: str | None) -> float | None:
    """Seconds of an ISO 8601 duration such as ``PT1H2M3.5S`` (``None`` when absent or bad)."""
    if not text:
        return None
    match = _DURATION.match(text.strip())
    if match is None:
        return None
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return (
        parts.get("d", 0.0) * 86400
        + parts.get("h", 0.0) * 3600
        + parts.get("m", 0.0) * 60
        + parts.get("s", 0.0)
    )


def _fill(template: str, rep_id: str, bandwidth: int, number: int, t: int) -> str:
    """A ``SegmentTemplate`` address with its ``$...$`` identifiers replaced."""

    def one(match: re.Match[str]) -> str:
        name, width = match.group(1), match.group(3)
        if name is None:
            return "$"
        if name == "RepresentationID":
            return rep_id
        value = {"Number": number, "Time": t, "Bandwidth": bandwidth}[name]
        return f"{value:0{int(width)}d}" if width else str(value)

    return _IDENTIFIER.sub(one, template)


def _merged(*elements: etree._Element | None) -> dict[str, str]:
    """Attributes of one kind of element given at several levels, the innermost winning."""
    out: dict[str, str] = {}
    for el in elements:
        if el is not None:
            out.update({str(k): str(v) for k, v in el.attrib.items()})
    return out


def _base(url: str, *levels: etree._Element) -> str:
    for el in levels:
        base = _child(el, "BaseURL")
        if base is not None and (base.text or "").strip():
            url = urljoin(url, (base.text or "").strip())
    return url


def _template_urls(
    attrs: dict[str, str],
    timeline: etree._Element | None,
    base: str,
    rep_id: str,
    bandwidth: int,
    total_s: float | None,
    manifest_url: str,
) -> tuple[list[str], list[float]]:
    """The initialization (first, when there is one) and media segment URLs, and each media
    segment's duration in seconds."""
    media = attrs.get("media")
    if not media:
        raise FetchError(f"{manifest_url}: SegmentTemplate without a media address")
    start = int(attrs.get("startNumber", "1"))
    urls: list[str] = []
    durations: list[float] = []
    init = attrs.get("initialization")
    if init:
        urls.append(urljoin(base, _fill(init, rep_id, bandwidth, start, 0)))
    timescale = float(attrs.get("timescale", "1")) or 1.0
    if timeline is not None:
        number, t = start, 0
        for s in _children(timeline, "S"):
            t = int(s.get("t", t))
            d = int(s.get("d", "0"))
            repeat = int(s.get("r", "0"))
            if d <= 0 or repeat < -1:
                raise FetchError(f"{manifest_url}: malformed SegmentTimeline entry")
            if repeat == -1:  # "until the end of the period"
                if total_s is None:
                    raise FetchError(f"{manifest_url}: open-ended timeline without a duration")
                repeat = max(0, math.ceil((total_s * timescale - t) / d) - 1)
            for _ in range(repeat + 1):
                urls.append(urljoin(base, _fill(media, rep_id, bandwidth, number, t)))
                durations.append(d / timescale)
                number, t = number + 1, t + d
                if len(urls) > MAX_SEGMENTS:
                    raise FetchError(f"{manifest_url}: more than {MAX_SEGMENTS} segments")
        return urls, durations
    duration = float(attrs.get("duration", "0"))
    if duration <= 0 or total_s is None:
        raise FetchError(f"{manifest_url}: SegmentTemplate without a duration or a timeline")
    count = math.ceil(total_s * timescale / duration - 1e-9)
    if count > MAX_SEGMENTS:
        raise FetchError(f"{manifest_url}: more than {MAX_SEGMENTS} segments")
    for number in range(start, start + count):
        t = int((number - start) * duration)
        urls.append(urljoin(base, _fill(media, rep_id, bandwidth, number, t)))
        durations.append(duration / timescale)
    return urls, durations


def parse_mpd(content: bytes, manifest_url: str) -> DashTrack:
    """The lowest-bandwidth video representation (audio when there is no video) of a static
    manifest, with its segment URLs; ``FetchError`` naming the URL for anything else."""
    try:
        root = etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise FetchError(f"{manifest_url}: malformed DASH manifest: {exc}") from exc
    if _local(root.tag) != "MPD":
        raise FetchError(f"{manifest_url}: not a DASH manifest (no MPD element)")
    if root.get("type", "static") == "dynamic":
        raise FetchError(f"{manifest_url}: live DASH is not captured yet")
    total_s = iso_duration(root.get("mediaPresentationDuration"))
    period = _child(root, "Period")
    if period is None:
        raise FetchError(f"{manifest_url}: DASH manifest has no Period")
    total_s = iso_duration(period.get("duration")) or total_s
    choices: list[tuple[int, int, str, etree._Element, etree._Element]] = []
    for aset in _children(period, "AdaptationSet"):
        if _child(aset, "ContentProtection") is not None:
            raise FetchError(f"{manifest_url}: encrypted DASH is not captured")
        for rep in _children(aset, "Representation"):
            mime = rep.get("mimeType") or aset.get("mimeType") or ""
            kind = aset.get("contentType") or mime.split("/", 1)[0]
            if kind not in ("video", "audio"):
                continue
            rank = 0 if kind == "video" else 1
            choices.append((rank, int(rep.get("bandwidth", "0") or 0), kind, aset, rep))
    if not choices:
        raise FetchError(f"{manifest_url}: DASH manifest has no video or audio representation")
    _, bandwidth, kind, aset, rep = min(choices, key=lambda c: (c[0], c[1]))
    rep_id = rep.get("id", "")
    base = _base(manifest_url, root, period, aset, rep)
    template = [_child(x, "SegmentTemplate") for x in (period, aset, rep)]
    durations: list[float] = []
    init_count = 0
    if any(t is not None for t in template):
        attrs = _merged(*template)
        timeline = next(
            (tl for t in reversed(template) if (tl := _child(t, "SegmentTimeline")) is not None),
            None,
        )
        urls, durations = _template_urls(
            attrs, timeline, base, rep_id, bandwidth, total_s, manifest_url
        )
        init_count = len(urls) - len(durations)
    elif (seg_list := _first(_child(rep, "SegmentList"), _child(aset, "SegmentList"))) is not None:
        urls = []
        init = _child(seg_list, "Initialization")
        if init is not None and init.get("sourceURL"):
            urls.append(urljoin(base, init.get("sourceURL", "")))
        urls += [urljoin(base, s.get("media", "")) for s in _children(seg_list, "SegmentURL")]
    else:
        urls = [base]  # one file (SegmentBase): the representation's BaseURL itself
    if not urls:
        raise FetchError(f"{manifest_url}: representation {rep_id!r} lists no segments")
    if durations and init_count in (0, 1):
        return DashTrack(kind, rep_id, bandwidth, tuple(urls), tuple(durations), init_count == 1)
    return DashTrack(kind, rep_id, bandwidth, tuple(urls))


def capture_dash(
    fetcher: Fetcher,
    url: str,
    dest_dir: Path,
    *,
    max_bytes: int,
    max_segments: int | None = None,
) -> tuple[Download, str]:
    """Fetch the presentation at ``url`` into one ``.mp4`` stored under its sha256 in
    ``dest_dir``; returns the download and the track kind (``"video"`` or ``"audio"``).

    ``max_segments`` keeps the initialization and the first media segments (a sample is enough
    to match). Raises :class:`FetchError` for malformed or unsupported manifests (naming the
    URL), a refused or failing segment, or more than ``max_bytes`` in total.
    """
    started = time.monotonic()
    page: FetchResult = fetcher.fetch_page(url)
    track = parse_mpd(page.content, page.final_url)
    urls = list(track.urls)
    if max_segments is not None:
        urls = urls[: max(2, max_segments + 1)]
    settings = fetcher.settings
    runs = (
        sample_windows(
            list(track.durations),
            over_s=settings.stream_sample_over_s,
            windows=settings.stream_sample_windows,
            window_s=settings.stream_sample_window_s,
        )
        if track.durations is not None and max_segments is None
        else None
    )
    if runs is not None and track.durations is not None:
        init = list(track.urls[:1]) if track.has_init else []
        media = track.urls[1:] if track.has_init else track.urls
        starts = [0.0]
        for duration in track.durations[:-1]:
            starts.append(starts[-1] + duration)
        download = sample_segments(
            fetcher,
            url,
            page,
            [(starts[run[0]], init + [media[i] for i in run]) for run in runs],
            dest_dir,
            max_bytes=max_bytes,
            started=started,
            content_type=SAMPLED_CONTENT_TYPE,
        )
        logger.info(
            "DASH %s: %.0f s long, sampled %d stretches of representation %s -> %s",
            url,
            sum(track.durations),
            len(runs),
            track.representation,
            download.path.name,
        )
        return download, track.kind
    download = append_segments(
        fetcher,
        url,
        page,
        urls,
        dest_dir,
        max_bytes=max_bytes,
        started=started,
        suffix=".mp4",
        content_type=MP4_CONTENT_TYPE if track.kind == "video" else "audio/mp4",
    )
    logger.info(
        "DASH %s: representation %s (%s), %d requests, %d bytes -> %s",
        url,
        track.representation,
        track.kind,
        len(urls),
        download.size,
        download.path.name,
    )
    return download, track.kind
