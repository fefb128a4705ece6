"""Evidence artefacts kept with a capture: the page as fetched, a screenshot, keyframes and
excerpts at matched timecodes.

The file already lies in the content store (named by its sha256); an artefact row ties it to its
capture (and detection) so an evidence package can gather every piece and prove each by hash.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.content import sha256_file
from jianwang.db.models import Artefact, Capture


def add_artefact(
    session: Session,
    *,
    capture: Capture,
    kind: str,
    path: Path,
    content_type: str,
    detection_id: int | None = None,
    at_s: float | None = None,
    note: str | None = None,
) -> Artefact:
    """Record a stored file as evidence of ``capture`` (once per kind and content)."""
    sha256 = sha256_file(path)
    existing = session.scalar(
        select(Artefact).where(
            Artefact.capture_id == capture.id, Artefact.kind == kind, Artefact.sha256 == sha256
        )
    )
    if existing is not None:
        return existing
    artefact = Artefact(
        capture_id=capture.id,
        detection_id=detection_id,
        kind=kind,
        path=str(path),
        sha256=sha256,
        size_bytes=path.stat().st_size,
        content_type=content_type,
        at_s=at_s,
        note=note,
    )
    session.add(artefact)
    session.flush()
    return artefact
