"""Staydown: is an item that was captured (and noticed) still served where it was found?

After a takedown notice the URL is fetched again, through the same guarded fetcher as a sweep.
The answer is one of four, each with the evidence that supports it:

* ``gone``: the server answers 404, 410 or 451: the item was taken down;
* ``same``: the same bytes are served again (sha256 equal to the capture's): still up;
* ``changed``: something else is served there now; whether it still copies the work is for
  matching to say (``jianwang.pipeline.staydown`` does so), and the new bytes are kept;
* ``unreachable``: the host cannot be reached or keeps failing: nothing can be concluded, the
  check is tried again later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from jianwang.content import ContentStore
from jianwang.errors import FetchError, UnsafeURLError
from jianwang.monitoring.fetch import Fetcher, HTTPStatusError

logger = logging.getLogger(__name__)

Outcome = Literal["gone", "same", "changed", "unreachable"]
GONE_STATUSES = frozenset({404, 410, 451})
"""Answers that mean the item was taken down (451: unavailable for legal reasons)."""


@dataclass(frozen=True)
class Recheck:
    """One re-check of one URL: what was found, when, and the bytes now served if any."""

    url: str
    outcome: Outcome
    checked_at: datetime
    http_status: int | None = None
    sha256: str | None = None
    path: Path | None = None
    reason: str = ""


def recheck(
    fetcher: Fetcher,
    url: str,
    *,
    expected_sha256: str,
    dest_dir: Path,
    page: bool = False,
    max_bytes: int | None = None,
) -> Recheck:
    """Fetch ``url`` again and compare it with the capture whose content hash is
    ``expected_sha256``; ``page`` for a page (literature) rather than a media file. What is
    served now is stored content-addressed in ``dest_dir``. A URL the SSRF guard refuses is
    an error of the caller's, not an outcome, and is raised."""
    checked_at = datetime.now(UTC)
    try:
        if page:
            fetched = fetcher.fetch_page(url)
            digest, status = fetched.sha256, fetched.status
            path = ContentStore(dest_dir).put_bytes(fetched.content, ".html").path
        else:
            download = fetcher.download(url, dest_dir, max_bytes=max_bytes)
            digest, status, path = download.sha256, download.status, download.path
    except UnsafeURLError:
        raise
    except HTTPStatusError as exc:
        if exc.status in GONE_STATUSES:
            return Recheck(url, "gone", checked_at, exc.status, reason=str(exc))
        return Recheck(url, "unreachable", checked_at, exc.status, reason=str(exc))
    except FetchError as exc:
        return Recheck(url, "unreachable", checked_at, reason=str(exc))
    outcome: Outcome = "same" if digest == expected_sha256 else "changed"
    logger.info("recheck %s: %s (%s)", url, outcome, digest[:12])
    return Recheck(url, outcome, checked_at, status, digest, path)
