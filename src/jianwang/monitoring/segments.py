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
from jianwang.monitoring.fetch import Fetcher


def append_segments(
    fetcher: Fetcher,
    stream_url: str,
    segment_urls: Sequence[str],
    dest_dir: Path,
    *,
    max_bytes: int,
    deadline: float,
    suffix: str,
) -> tuple[Path, str, int]:
    """Fetch ``segment_urls`` in order into one file stored in ``dest_dir`` with ``suffix``;
    returns its path, sha256 and size. ``FetchError`` (naming ``stream_url``) when the deadline
    (``time.monotonic()``) passes, ``TooLargeError`` past ``max_bytes`` in total."""
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
                    raise FetchError(
                        f"{stream_url}: too slow (time limit passed at segment {index})"
                    )
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
    return path, digest, size
