"""Appending a stream's segments into one stored file: what HLS and DASH capture share; and
sampling a long stream a few stretches at a time instead of fetching it whole.

Segments of one rendition (MPEG-TS pieces, or an fMP4 initialization segment and its fragments)
concatenate into a valid file. Each is fetched through the guarded fetcher, under one total
size limit and one deadline, hashed on the way, and the result is stored content-addressed; a
failure leaves no partial file behind.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from jianwang.content import ContentStore
from jianwang.errors import FetchError, MediaError
from jianwang.media.remux import join_pieces
from jianwang.monitoring.fetch import Download, Fetcher, FetchResult


def _write_segments(
    fetcher: Fetcher,
    url: str,
    segment_urls: Sequence[str],
    out: BinaryIO,
    *,
    deadline: float,
    budget: int,
    on_chunk: Callable[[bytes], object] | None = None,
) -> int:
    """Fetch ``segment_urls`` in order into ``out`` (each chunk also to ``on_chunk``), at most
    ``budget`` bytes before ``deadline`` (``time.monotonic()``); returns the bytes written.
    ``FetchError`` naming the stream ``url`` when time runs out, ``TooLargeError`` past the
    budget."""
    written = 0
    for index, segment in enumerate(segment_urls):
        remaining_s = deadline - time.monotonic()
        if remaining_s <= 0:
            raise FetchError(f"{url}: too slow (time limit passed at segment {index})")
        with fetcher.open(segment, time_limit_s=remaining_s) as opened:
            for chunk in opened.iter_chunks(max_bytes=budget - written):
                out.write(chunk)
                if on_chunk is not None:
                    on_chunk(chunk)
                written += len(chunk)
    return written


def append_segments(
    fetcher: Fetcher,
    url: str,
    listing: FetchResult,
    segment_urls: Sequence[str],
    dest_dir: Path,
    *,
    max_bytes: int,
    started: float,
    suffix: str,
    content_type: str,
) -> Download:
    """Fetch ``segment_urls`` in order into one file stored in ``dest_dir`` with ``suffix``, as
    the download of stream ``url`` whose segments ``listing`` (the playlist or manifest fetched)
    named. The time limit is the fetcher's for ``max_bytes`` of media from ``started``
    (``time.monotonic()``): ``FetchError`` naming ``url`` when it passes, ``TooLargeError`` past
    ``max_bytes`` in total."""
    deadline = started + fetcher.media_time_limit(max_bytes)
    dest_dir.mkdir(parents=True, exist_ok=True)
    hasher = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=".segments-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with open(fd, "wb") as out:
            size = _write_segments(
                fetcher,
                url,
                segment_urls,
                out,
                deadline=deadline,
                budget=max_bytes,
                on_chunk=hasher.update,
            )
        digest = hasher.hexdigest()
        path = ContentStore(dest_dir).settle(tmp, digest, suffix).path
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Download(
        url=url,
        final_url=listing.final_url,
        redirect_chain=listing.redirect_chain,
        path=path,
        sha256=digest,
        size=size,
        content_type=content_type,
        status=listing.status,
        headers=listing.headers,
        fetched_at=listing.fetched_at,
        elapsed_s=time.monotonic() - started,
        resolved_ip=listing.resolved_ip,
        parts=len(segment_urls),
    )


def sample_windows(
    durations: Sequence[float], *, over_s: float, windows: int, window_s: float
) -> list[list[int]] | None:
    """Which segments to take from a stream whose segments last ``durations``: ``None`` (take
    them all) when it lasts at most ``over_s``, else ``windows`` runs of consecutive segments
    covering about ``window_s`` each, spread evenly from the start to the end."""
    total = sum(durations)
    if total <= over_s or windows < 1:
        return None
    starts = [0.0]
    for duration in durations[:-1]:
        starts.append(starts[-1] + duration)
    picked: list[list[int]] = []
    taken: set[int] = set()
    step = (total - window_s) / max(1, windows - 1)
    for n in range(windows):
        begin = n * step
        run = [
            i
            for i, (start, duration) in enumerate(zip(starts, durations, strict=True))
            if start + duration > begin and start < begin + window_s and i not in taken
        ]
        if run:
            picked.append(run)
            taken.update(run)
    return picked


def sample_segments(
    fetcher: Fetcher,
    url: str,
    listing: FetchResult,
    runs: Sequence[tuple[float, Sequence[str]]],
    dest_dir: Path,
    *,
    max_bytes: int,
    started: float,
    content_type: str,
) -> Download:
    """Fetch each run of segments (its start in the stream, its URLs) as one piece, join the
    pieces with continuous timestamps (:func:`jianwang.media.remux.join_pieces`) into one
    Matroska file stored in ``dest_dir``, and say in ``source_spans`` where each came from."""
    deadline = started + fetcher.media_time_limit(max_bytes)
    dest_dir.mkdir(parents=True, exist_ok=True)
    size = 0
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".sample-") as tmp:
        pieces: list[Path] = []
        for n, (_, urls) in enumerate(runs):
            piece = Path(tmp) / f"piece{n:03d}.ts"
            with piece.open("wb") as out:
                size += _write_segments(
                    fetcher, url, urls, out, deadline=deadline, budget=max_bytes - size
                )
            pieces.append(piece)
        joined = Path(tmp) / "joined.mkv"
        try:
            spans = join_pieces(pieces, joined)
        except MediaError as exc:
            raise FetchError(f"{url}: sampled stretches do not play: {exc}") from exc
        stored = ContentStore(dest_dir).put_file(joined)
    return Download(
        url=url,
        final_url=listing.final_url,
        redirect_chain=listing.redirect_chain,
        path=stored.path,
        sha256=stored.sha256,
        size=stored.size,
        content_type=content_type,
        status=listing.status,
        headers=listing.headers,
        fetched_at=listing.fetched_at,
        elapsed_s=time.monotonic() - started,
        resolved_ip=listing.resolved_ip,
        parts=sum(len(urls) for _, urls in runs),
        source_spans=tuple(
            (start, source, duration)
            for (start, duration), (source, _) in zip(spans, runs, strict=True)
        ),
    )
