"""A detection's evidence as a reviewer looks at it: stills and excerpts side by side.

``detections.evidence`` records the files (stills of the copy and of the reference at the
matched moments, audio excerpts, the matched passage) and the crawler keeps the page, its HTTP
exchange and a screenshot with the capture. A reviewer needs them paired: the copy's still at
12 s beside the reference's still at the moment it matches, the copy's audio beside the
reference's. This module reads them back in that shape and hands out one file at a time, each
behind the same right that exporting the evidence needs, so the dashboard shows no more than an
evidence package would give the same person.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jianwang.catalog.actors import Action, Actor, require_rights
from jianwang.db.models import Artefact, Detection
from jianwang.errors import NotFoundError, PermissionDenied

KEYFRAME = "keyframe"
REFERENCE_KEYFRAME = "reference_keyframe"
EXCERPT = "excerpt"
REFERENCE_EXCERPT = "reference_excerpt"
SCREENSHOT = "screenshot"
CAPTURE_KINDS = ("page", "headers", SCREENSHOT)
"""Artefacts of the capture as a whole (kept by the crawler, shared by its detections)."""

MAX_INLINE_TEXT = 4000
"""Characters of a text excerpt shown on the page; the file itself is capped when recorded."""


@dataclass(frozen=True)
class ArtefactView:
    """One evidence file, described without its bytes."""

    id: int
    kind: str
    content_type: str
    sha256: str
    size_bytes: int
    at_s: float | None
    note: str | None
    detection_id: int | None
    capture_id: int

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_audio(self) -> bool:
        return self.content_type.startswith("audio/")

    @property
    def is_text(self) -> bool:
        return self.content_type.startswith("text/plain")


@dataclass(frozen=True)
class Pair:
    """A moment of the copy beside the moment of the reference it matches (either may be
    missing: a reference still is only made beside a capture still, not the other way)."""

    capture: ArtefactView | None
    reference: ArtefactView | None
    capture_text: str | None = None
    reference_text: str | None = None


@dataclass(frozen=True)
class DetectionEvidence:
    """What the review page lays out for one detection."""

    detection_id: int
    stills: tuple[Pair, ...]
    excerpts: tuple[Pair, ...]
    screenshot: ArtefactView | None
    others: tuple[ArtefactView, ...]  # the page, the HTTP exchange, anything else kept

    @property
    def empty(self) -> bool:
        return not (self.stills or self.excerpts or self.screenshot or self.others)


def _view(row: Artefact) -> ArtefactView:
    return ArtefactView(
        id=row.id,
        kind=row.kind,
        content_type=row.content_type,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        at_s=row.at_s,
        note=row.note,
        detection_id=row.detection_id,
        capture_id=row.capture_id,
    )


def _detection(session: Session, detection_id: int) -> Detection:
    found = session.get(Detection, detection_id)
    if found is None:
        raise NotFoundError(f"no detection with id {detection_id}")
    return found


def artefacts_of(session: Session, *, detection_id: int, actor: Actor) -> list[ArtefactView]:
    """The detection's own artefacts and its capture's (page, exchange, screenshot), ordered by
    kind and timecode; refused unless ``actor`` may take the detection's evidence."""
    detection = _detection(session, detection_id)
    require_rights(actor, Action.EVIDENCE, [detection])
    rows = session.scalars(
        select(Artefact)
        .where(
            Artefact.capture_id == detection.capture_id,
            or_(Artefact.detection_id == detection.id, Artefact.detection_id.is_(None)),
        )
        .order_by(Artefact.kind, Artefact.at_s, Artefact.id)
    )
    return [_view(row) for row in rows]


def _read_text(path: Path) -> str | None:
    """A text excerpt's characters for the page (they are short by construction)."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            return handle.read(MAX_INLINE_TEXT)
    except OSError:
        return None


def _pairs(
    found: list[ArtefactView], paths: dict[int, Path], mine: str, theirs: str
) -> tuple[Pair, ...]:
    """Pair the n-th capture piece with the n-th reference piece, both in timecode order: they
    were recorded together at the start, middle and end of the match."""
    ours = [a for a in found if a.kind == mine]
    refs = [a for a in found if a.kind == theirs]
    pairs = []
    for n in range(max(len(ours), len(refs))):
        left = ours[n] if n < len(ours) else None
        right = refs[n] if n < len(refs) else None
        pairs.append(
            Pair(
                capture=left,
                reference=right,
                capture_text=_read_text(paths[left.id]) if left and left.is_text else None,
                reference_text=_read_text(paths[right.id]) if right and right.is_text else None,
            )
        )
    return tuple(pairs)


def detection_evidence(session: Session, *, detection_id: int, actor: Actor) -> DetectionEvidence:
    """The detection's evidence laid out for review (see :class:`DetectionEvidence`)."""
    found = artefacts_of(session, detection_id=detection_id, actor=actor)
    paths = {
        row.id: Path(row.path)
        for row in session.scalars(select(Artefact).where(Artefact.id.in_([a.id for a in found])))
    }
    screenshots = [a for a in found if a.kind == SCREENSHOT]
    paired = {KEYFRAME, REFERENCE_KEYFRAME, EXCERPT, REFERENCE_EXCERPT, SCREENSHOT}
    return DetectionEvidence(
        detection_id=detection_id,
        stills=_pairs(found, paths, KEYFRAME, REFERENCE_KEYFRAME),
        excerpts=_pairs(found, paths, EXCERPT, REFERENCE_EXCERPT),
        screenshot=screenshots[-1] if screenshots else None,
        others=tuple(a for a in found if a.kind not in paired),
    )


def _may_take(actor: Actor, detection: Detection) -> bool:
    try:
        require_rights(actor, Action.EVIDENCE, [detection])
    except PermissionDenied:
        return False
    return True


@dataclass(frozen=True)
class ArtefactFile:
    """One evidence file to hand out: what it is and where its bytes lie."""

    artefact: ArtefactView
    path: Path


def artefact_file(
    session: Session, *, artefact_id: int, actor: Actor, content_dir: Path
) -> ArtefactFile:
    """The file of one artefact, for ``actor``.

    A detection's own artefact needs the evidence right over that detection; a capture's
    (page, exchange, screenshot) over at least one detection on the capture. The path must lie
    in the content store: a row pointing elsewhere is treated as missing rather than served."""
    row = session.get(Artefact, artefact_id)
    if row is None:
        raise NotFoundError(f"no artefact with id {artefact_id}")
    if row.detection_id is not None:
        require_rights(actor, Action.EVIDENCE, [_detection(session, row.detection_id)])
    else:
        detections = list(
            session.scalars(
                select(Detection)
                .where(Detection.capture_id == row.capture_id)
                .order_by(Detection.id)
            )
        )
        if not detections:
            raise NotFoundError(f"artefact {artefact_id} belongs to no detection")
        if not any(_may_take(actor, d) for d in detections):
            require_rights(actor, Action.EVIDENCE, detections)  # raises, naming why
    path = Path(row.path).resolve()
    if not path.is_relative_to(content_dir.resolve()) or not path.is_file():
        raise NotFoundError(f"the file of artefact {artefact_id} is not in the content store")
    return ArtefactFile(_view(row), path)
