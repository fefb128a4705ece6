"""Title matches as detections: a page (or a link on it) names a protected work together with
distribution cues.

They are weaker evidence than a fingerprint match, since nothing of the work itself was seen,
so they carry their own evidence class (``title``), no reference asset and no timecodes; what
they quote (the spot's text, its cues, the episode) is kept with them and in the ledger. The
same licence check applies: a licensed platform listing a work it may carry is LICENSED.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.db.models import Capture, Detection, DetectionStatus, Work
from jianwang.detections.service import apply_licence, detection_basis
from jianwang.evidence import ledger
from jianwang.matching.titles import TitleEntry, TitleHit, TitleMatcher

log = logging.getLogger(__name__)

SIGNAL = "title"
EVIDENCE_CLASS = "title"


def title_matcher(session: Session, *, on: date | None = None) -> TitleMatcher:
    """A matcher over the names of every work still protected on ``on`` (default: today)."""
    day = on or date.today()
    entries = [
        TitleEntry(work_id=work.id, title=work.title, aliases=tuple(work.aliases or ()))
        for work in session.scalars(select(Work).order_by(Work.id))
        if work.protected_until is None or work.protected_until >= day
    ]
    return TitleMatcher(entries)


def _quote(hit: TitleHit) -> str:
    cues = ", ".join(hit.cues)
    episode = f"; episode {hit.episode}" if hit.episode else ""
    return f"{hit.where}: {hit.text} [cues: {cues}{episode}]"


def record_title_detections(
    session: Session, *, capture: Capture, hits: Sequence[TitleHit]
) -> list[Detection]:
    """One detection per work named on the capture (its best hit), each once: hits already
    recorded for the capture are not added again."""
    best: dict[int, TitleHit] = {}
    for hit in hits:
        if hit.work_id not in best or hit.score > best[hit.work_id].score:
            best[hit.work_id] = hit
    known = set(
        session.scalars(
            select(Detection.work_id).where(
                Detection.capture_id == capture.id, Detection.signal == SIGNAL
            )
        )
    )
    added: list[Detection] = []
    for work_id, hit in best.items():
        if work_id in known:
            continue
        detection = Detection(
            capture_id=capture.id,
            work_id=work_id,
            asset_id=None,
            signal=SIGNAL,
            evidence_class=EVIDENCE_CLASS,
            score=round(hit.score, 4),
            query_start=0.0,
            query_end=0.0,
            ref_start=0.0,
            ref_end=0.0,
            speed=1.0,
            matched_text=_quote(hit)[:2000],
            status=DetectionStatus.DETECTED,
        )
        apply_licence(session, detection=detection, capture=capture)
        session.add(detection)
        added.append(detection)
    if not added:
        return []
    session.flush()
    for detection, hit in ((d, best[d.work_id]) for d in added):
        ledger.append(
            session,
            kind="detection",
            subject=f"detection:{detection.id}",
            payload={
                **detection_basis(capture, detection),
                "signal": SIGNAL,
                "evidence_class": EVIDENCE_CLASS,
                "score": detection.score,
                "name": hit.name,
                "where": hit.where,
                "text": hit.text,
                "cues": list(hit.cues),
                "episode": hit.episode,
                "status": detection.status.value,
            },
        )
    log.info("capture %d: %d title match(es)", capture.id, len(added))
    return added
