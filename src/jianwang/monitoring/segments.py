"""Appending a stream's segments into one stored file: what HLS and DASH capture share.

Segments of one rendition (MPEG-TS pieces, or an fMP4 initialization segment and its fragments)
concatenate into a valid file. Each is fetched through the guarded fetcher, under one total
size limit and one deadline, hashed on the way, and the result is stored content-addressed; a
failure leaves no partial file behind.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from jianwang.content import ContentStore
from jianwang.errors import FetchError
from jianwang.monitoring.fetch import Download, Fetcher, FetchResult


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
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=".segments-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with open(fd, "wb") as out:
            for index, segment in enumerate(segment_urls):
                remaining_s = deadline - time.monotonic()
                if remaining_s <= 0:
                    raise FetchError(f"{url}: too slow (time limit passed at segment {index})")
                with fetcher.open(segment, time_limit_s=remaining_s) as opened:
                    for chunk in opened.iter_chunks(max_bytes=max_bytes - size):
                        out.write(chunk)
                        hasher.update(chunk)
                        size += len(chunk)
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
