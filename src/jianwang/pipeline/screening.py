"""Upload screening: does this file or URL copy a protected work? Asked by a platform before it
publishes a user's upload, so it can block the upload (the duty a protection-list warning names).

Screening identifies exactly as ``jianwang identify`` does, under the installation's decode
limits, but records nothing: no capture, no detection, no ledger entry. Each match says how
strong it is (``confident``: at or above the signal's auto-confirm band, strong enough to block
without a person looking) and, for a platform, whether the platform holds a licence for the
work today, in which case carrying it is its right.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from jianwang.catalog.indexes import IndexSet
from jianwang.catalog.service import licence_for
from jianwang.config import Settings
from jianwang.db.models import AssetKind, Site
from jianwang.detections.identify import MatchView, identify_file
from jianwang.media.limits import DecodeLimits
from jianwang.monitoring.capture import capture_url
from jianwang.signals.registry import SignalRegistry

log = logging.getLogger(__name__)

EVIDENCE_UNITS = {
    "audio": ("aligned audio landmarks", "s"),
    "video": ("matching video frames", "s"),
    "text": ("shared text k-grams", "characters"),
}


@dataclass(frozen=True)
class ScreenMatch:
    """One match of a screened input, with what it rests on."""

    match: MatchView
    evidence: str
    confident: bool
    licensed: bool | None  # None: not asked for a platform


@dataclass(frozen=True)
class Screening:
    """Everything a screened input matched, best first, and how long screening took."""

    matches: list[ScreenMatch]
    elapsed_s: float


def evidence_of(match: MatchView) -> str:
    """A sentence saying what a match's score counts and which stretches agree."""
    units, span = EVIDENCE_UNITS.get(match.signal.split(".", 1)[0], ("evidence items", "units"))
    return (
        f"{match.score:g} {units}: {match.query_start:g}-{match.query_end:g} {span} of the input "
        f"match {match.ref_start:g}-{match.ref_end:g} {span} of reference {match.asset!r} "
        f"at speed {match.speed:g}"
    )


def _judge(
    session: Session,
    views: list[MatchView],
    *,
    settings: Settings,
    platform: Site | None,
    today: date,
) -> list[ScreenMatch]:
    judged = []
    for view in views:
        band = settings.review_auto_confirm.get(view.signal)
        licensed = None
        if platform is not None:
            licensed = (
                licence_for(
                    session,
                    work_id=view.work_id,
                    site_id=platform.id,
                    on=today,
                    territory=platform.region,
                )
                is not None
            )
        judged.append(
            ScreenMatch(
                match=view,
                evidence=evidence_of(view),
                confident=band is not None and view.score >= band,
                licensed=licensed,
            )
        )
    return judged


def screen_file(
    path: Path,
    *,
    session: Session,
    indexes: IndexSet,
    registry: SignalRegistry,
    limits: DecodeLimits,
    settings: Settings,
    platform: Site | None = None,
    today: date | None = None,
) -> Screening:
    """Screen one local file (an upload held for the purpose) against the protection list."""
    began = time.perf_counter()
    views = identify_file(path, session=session, indexes=indexes, registry=registry, limits=limits)
    matches = _judge(
        session, views, settings=settings, platform=platform, today=today or date.today()
    )
    elapsed = round(time.perf_counter() - began, 3)
    log.info("screened %s: %d match(es) in %.2f s", path.name, len(matches), elapsed)
    return Screening(matches=matches, elapsed_s=elapsed)


def screen_url(
    url: str,
    *,
    session: Session,
    indexes: IndexSet,
    registry: SignalRegistry,
    limits: DecodeLimits,
    settings: Settings,
    platform: Site | None = None,
    today: date | None = None,
) -> Screening:
    """Screen what ``url`` serves: media, or a page with its text and the media it embeds.

    Fetched through the SSRF-guarded fetcher (private addresses refused unless the settings
    allow them), into a scratch folder removed afterwards; ``FetchError`` when nothing could be
    fetched."""
    began = time.perf_counter()
    scratch = settings.data_dir / "uploads"
    scratch.mkdir(parents=True, exist_ok=True)
    views: list[MatchView] = []
    with tempfile.TemporaryDirectory(prefix="screen-", dir=scratch) as tmp:
        for item in capture_url(url, settings=settings, dest_dir=Path(tmp)):
            views.extend(
                identify_file(
                    item.path,
                    session=session,
                    indexes=indexes,
                    registry=registry,
                    limits=limits,
                    kind=AssetKind(item.kind),
                    source=item.media_url or item.page_url,
                )
            )
    views.sort(key=lambda v: v.score, reverse=True)
    matches = _judge(
        session, views, settings=settings, platform=platform, today=today or date.today()
    )
    elapsed = round(time.perf_counter() - began, 3)
    log.info("screened %s: %d match(es) in %.2f s", url, len(matches), elapsed)
    return Screening(matches=matches, elapsed_s=elapsed)
