"""What the last sweep of a site saw of each page, so the next sweep can skip unchanged pages.

A sweep's links are its pages, so pages cannot simply be left out of an incremental sweep. They
are asked for conditionally instead (``If-None-Match`` / ``If-Modified-Since`` from the last
visit); when the server answers 304 the crawl reads the links, the text and the media
references from the copy stored at the last visit, and no body crosses the network.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.content import ContentStore
from jianwang.db.models import PageVisit
from jianwang.monitoring.fetch import FetchResult, Validators

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeenPage:
    """A page as the crawl last fetched it: where its copy lies and how to ask if it changed."""

    url: str
    final_url: str
    validators: Validators | None
    sha256: str
    path: Path
    content_type: str
    fetched_at: datetime

    @classmethod
    def keep(cls, page: FetchResult, store_dir: Path) -> SeenPage:
        """Store a fetched page by sha256 under ``store_dir`` and describe it for next time."""
        stored = ContentStore(store_dir).put_bytes(page.content, ".html")
        return cls(
            url=page.url,
            final_url=page.final_url,
            validators=Validators.of({k.lower(): v for k, v in page.headers.items()}),
            sha256=page.sha256,
            path=stored.path,
            content_type=page.content_type,
            fetched_at=page.fetched_at,
        )

    def as_fetch_result(self, content: bytes) -> FetchResult:
        """The stored copy as a fetch result: the page as it was when it was last fetched."""
        validators = self.validators or Validators()
        headers = {"content-type": self.content_type}
        if validators.etag:
            headers["etag"] = validators.etag
        if validators.last_modified:
            headers["last-modified"] = validators.last_modified
        return FetchResult(
            url=self.url,
            final_url=self.final_url,
            redirect_chain=(),
            status=200,
            headers=headers,
            content=content,
            content_type=self.content_type,
            fetched_at=self.fetched_at,
            sha256=self.sha256,
            elapsed_s=0.0,
            resolved_ip=None,
        )

    def read(self) -> bytes | None:
        """The stored copy, or ``None`` when it is gone (then the page is fetched whole)."""
        try:
            content = self.path.read_bytes()
        except OSError as exc:
            log.info("stored copy of %s unreadable (%s); fetching it whole", self.url, exc)
            return None
        if hashlib.sha256(content).hexdigest() != self.sha256:
            log.warning("stored copy of %s does not match its hash; fetching it whole", self.url)
            return None
        return content


def seen_pages(session: Session, site_id: int) -> dict[str, SeenPage]:
    """The last visit of every page of a site, by the URL the crawl asked for."""
    rows = session.scalars(select(PageVisit).where(PageVisit.site_id == site_id))
    return {
        row.url: SeenPage(
            url=row.url,
            final_url=row.final_url,
            validators=Validators(row.etag, row.last_modified)
            if row.etag or row.last_modified
            else None,
            sha256=row.sha256,
            path=Path(row.path),
            content_type=row.content_type,
            fetched_at=row.fetched_at,
        )
        for row in rows
    }


def remember_pages(session: Session, site_id: int, pages: Iterable[SeenPage]) -> int:
    """Record (or update) the visit of each page; returns how many were written."""
    existing = {
        row.url: row
        for row in session.scalars(select(PageVisit).where(PageVisit.site_id == site_id))
    }
    written = 0
    for page in pages:
        row = existing.get(page.url)
        if row is None:
            row = PageVisit(site_id=site_id, url=page.url)
            session.add(row)
            existing[page.url] = row
        row.final_url = page.final_url
        row.etag = page.validators.etag if page.validators else None
        row.last_modified = page.validators.last_modified if page.validators else None
        row.sha256 = page.sha256
        row.path = str(page.path)
        row.content_type = page.content_type
        row.fetched_at = page.fetched_at
        written += 1
    session.flush()
    return written
