"""Evidence at matched timecodes: what a detection shows a reviewer, a platform or a court.

A detection is a claim ("seconds 12–48 of this copy are seconds 300–336 of that episode"); its
evidence lets a person check the claim without the matching engine: stills of the copy at the
start, middle and end of the matched span beside stills of the reference at the matching
moments, an excerpt of the copy's audio beside the reference's, the copied passage of a text
beside the original's.

Every file goes into the content store and gets an ``Artefact`` row tied to the detection, and
each new artefact appends an ``artefact`` ledger entry with its hash, so an evidence package can
prove every piece. Reference evidence is only made beside capture evidence that was made: a
reference still proves nothing about a copy whose own still could not be taken.

Evidence is a by-product of a detection, never a condition of it: unreadable media is logged
and recorded in the ledger (``artefact_failed``) and the detection stands. Recording twice adds
nothing: the files are bit-exact, so the same evidence has the same hash and is kept once.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.content import ContentStore, StoredFile, sha256_file
from jianwang.db.models import Artefact, AssetKind, Capture, Detection, ReferenceAsset
from jianwang.errors import JianwangError, NotFoundError
from jianwang.evidence import ledger
from jianwang.evidence.artefacts import add_artefact
from jianwang.media.excerpts import span_times, stills_at, write_audio_excerpt
from jianwang.media.limits import DecodeLimits
from jianwang.signals.base import MediaKind
from jianwang.signals.registry import SignalRegistry
from jianwang.signals.text import TextWinnow

log = logging.getLogger(__name__)

_UNREADABLE = (JianwangError, OSError, ValueError)
"""What unreadable, truncated or missing media raise on the way to a piece of evidence."""

KEYFRAME = "keyframe"
REFERENCE_KEYFRAME = "reference_keyframe"
EXCERPT = "excerpt"
REFERENCE_EXCERPT = "reference_excerpt"

MAX_EXCERPT_S = 30.0
"""Audio excerpts are cut to this: enough to recognise a work, short of copying it again."""

MAX_EXCERPT_CHARS = 2000
"""Text excerpts are cut to this many characters, for the same reason."""

JPEG_TYPE = "image/jpeg"
OPUS_TYPE = "audio/ogg; codecs=opus"
TEXT_TYPE = "text/plain; charset=utf-8"

_KIND_OF_CAPTURE = {
    AssetKind.VIDEO: MediaKind.VIDEO,
    AssetKind.AUDIO: MediaKind.AUDIO,
    AssetKind.TEXT: MediaKind.TEXT,
}


@dataclass
class EvidenceResult:
    """What recording one detection's evidence did: the artefacts it added (none when all were
    already kept) and the pieces it could not make, each as ``"kind: reason"``."""

    detection_id: int
    artefacts: list[Artefact] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Recorder:
    """Stores files for one detection, ties them to it, and notes failures; one per call."""

    def __init__(
        self, session: Session, detection: Detection, asset: ReferenceAsset, store: ContentStore
    ) -> None:
        self.session = session
        self.detection = detection
        self.capture: Capture = detection.capture
        self.asset = asset
        self.store = store
        self.result = EvidenceResult(detection.id)

    def keep(
        self, kind: str, stored: StoredFile, content_type: str, at_s: float, note: str
    ) -> None:
        """Tie a stored file to the detection, once; a new artefact enters the ledger."""
        known = self.session.scalar(
            select(Artefact.id).where(
                Artefact.capture_id == self.capture.id,
                Artefact.kind == kind,
                Artefact.sha256 == stored.sha256,
            )
        )
        if known is not None:
            return
        artefact = add_artefact(
            self.session,
            capture=self.capture,
            kind=kind,
            path=stored.path,
            content_type=content_type,
            detection_id=self.detection.id,
            at_s=round(at_s, 3),
            note=note,
        )
        ledger.append(
            self.session,
            kind="artefact",
            subject=f"detection:{self.detection.id}",
            payload={
                "detection_id": self.detection.id,
                "capture_id": self.capture.id,
                "artefact_id": artefact.id,
                "kind": kind,
                "sha256": artefact.sha256,
                "size_bytes": artefact.size_bytes,
                "content_type": content_type,
                "at_s": artefact.at_s,
                "note": note,
            },
        )
        self.result.artefacts.append(artefact)

    def failed(self, kind: str, exc: BaseException) -> None:
        """Log and record that a piece of evidence could not be made; the detection stands."""
        reason = str(exc) or type(exc).__name__
        log.warning("detection %d: no %s evidence (%s)", self.detection.id, kind, reason)
        ledger.append(
            self.session,
            kind="artefact_failed",
            subject=f"detection:{self.detection.id}",
            payload={
                "detection_id": self.detection.id,
                "capture_id": self.capture.id,
                "kind": kind,
                "error": reason,
            },
        )
        self.result.errors.append(f"{kind}: {reason}")

    def ref_time(self, query_s: float) -> float:
        """The reference moment matching a capture moment, along the matched spans (which
        carries any speed change of the copy)."""
        d = self.detection
        if d.query_end <= d.query_start:
            return d.ref_start
        ratio = (d.ref_end - d.ref_start) / (d.query_end - d.query_start)
        return d.ref_start + (query_s - d.query_start) * ratio

    def reference_label(self) -> str:
        return f"reference asset {self.asset.id} {self.asset.name!r} of {self.asset.work.title!r}"


def record_evidence(
    session: Session,
    *,
    detection: Detection,
    registry: SignalRegistry,
    store: ContentStore,
    limits: DecodeLimits,
) -> EvidenceResult:
    """Store and record the evidence of one detection at its matched timecodes.

    Video: JPEG stills of the capture at the start, middle and end of the matched span
    (``keyframe``, ``at_s`` the capture time of the frame) and of the reference at the matching
    moments (``reference_keyframe``, ``at_s`` the reference time). Audio: at most
    ``MAX_EXCERPT_S`` of each side as Ogg/Opus (``excerpt``, ``reference_excerpt``). Text: the
    matched passage of each side as UTF-8, at most ``MAX_EXCERPT_CHARS`` (``at_s`` is then a
    character offset). A title match has no reference medium and gets nothing here (the page it
    quotes is its capture's own artefact). Never raises for unreadable media: see
    ``EvidenceResult.errors``.
    """
    if detection.asset is None:  # a title match: its evidence is the page itself
        return EvidenceResult(detection.id)
    recorder = _Recorder(session, detection, detection.asset, store)
    try:
        kind = registry.get(detection.signal).kind
    except NotFoundError:
        kind = _KIND_OF_CAPTURE[AssetKind(detection.capture.kind)]
    if kind is MediaKind.VIDEO:
        _stills(recorder, limits)
    elif kind is MediaKind.AUDIO:
        _audio(recorder, limits)
    else:
        _text(recorder)
    return recorder.result


def record_evidence_for(
    session: Session,
    *,
    detections: Sequence[Detection],
    registry: SignalRegistry,
    content_dir: Path,
    limits: DecodeLimits,
) -> list[EvidenceResult]:
    """``record_evidence`` for several detections, into the content store at ``content_dir``."""
    store = ContentStore(content_dir)
    return [
        record_evidence(session, detection=d, registry=registry, store=store, limits=limits)
        for d in detections
    ]


def _stills(rec: _Recorder, limits: DecodeLimits) -> None:
    d = rec.detection
    times = span_times(d.query_start, d.query_end)
    try:
        stills = stills_at(Path(rec.capture.content_path), times, limits=limits)
    except _UNREADABLE as exc:
        rec.failed(KEYFRAME, exc)
        return
    span = f"match {d.query_start:.3f}–{d.query_end:.3f} s"
    try:
        for still in stills:
            note = f"capture frame shown at {still.requested_s:.3f} s ({span})"
            rec.keep(KEYFRAME, rec.store.put_bytes(still.jpeg, ".jpg"), JPEG_TYPE, still.t, note)
    except _UNREADABLE as exc:
        rec.failed(KEYFRAME, exc)
        return
    ref_times = [max(0.0, rec.ref_time(t)) for t in times]
    try:
        ref_stills = stills_at(Path(rec.asset.content_path), ref_times, limits=limits)
        for query_s, still in zip(times, ref_stills, strict=True):
            note = (
                f"{rec.reference_label()}: frame shown at {still.requested_s:.3f} s, "
                f"matching {query_s:.3f} s of the capture"
            )
            stored = rec.store.put_bytes(still.jpeg, ".jpg")
            rec.keep(REFERENCE_KEYFRAME, stored, JPEG_TYPE, still.t, note)
    except _UNREADABLE as exc:
        rec.failed(REFERENCE_KEYFRAME, exc)


def _audio(rec: _Recorder, limits: DecodeLimits) -> None:
    d = rec.detection
    seconds = min(d.query_end - d.query_start, MAX_EXCERPT_S)
    if seconds <= 0:
        rec.failed(EXCERPT, ValueError(f"empty matched span {d.query_start}–{d.query_end} s"))
        return
    try:
        stored, written = _excerpt_file(
            rec.store, Path(rec.capture.content_path), d.query_start, seconds, limits
        )
        note = (
            f"capture audio {d.query_start:.3f}–{d.query_start + written:.3f} s "
            f"(match {d.query_start:.3f}–{d.query_end:.3f} s)"
        )
        rec.keep(EXCERPT, stored, OPUS_TYPE, d.query_start, note)
    except _UNREADABLE as exc:
        rec.failed(EXCERPT, exc)
        return
    ref_start = max(0.0, d.ref_start)
    ref_seconds = min(rec.ref_time(d.query_start + seconds) - d.ref_start, MAX_EXCERPT_S)
    if ref_seconds <= 0:
        rec.failed(
            REFERENCE_EXCERPT, ValueError(f"empty reference span {d.ref_start}–{d.ref_end} s")
        )
        return
    try:
        stored, written = _excerpt_file(
            rec.store, Path(rec.asset.content_path), ref_start, ref_seconds, limits
        )
        note = (
            f"{rec.reference_label()}: audio {ref_start:.3f}–{ref_start + written:.3f} s, "
            f"matching {d.query_start:.3f}–{d.query_start + seconds:.3f} s of the capture"
        )
        rec.keep(REFERENCE_EXCERPT, stored, OPUS_TYPE, ref_start, note)
    except _UNREADABLE as exc:
        rec.failed(REFERENCE_EXCERPT, exc)


def _excerpt_file(
    store: ContentStore, source: Path, start_s: float, seconds: float, limits: DecodeLimits
) -> tuple[StoredFile, float]:
    """An Ogg/Opus excerpt written next to the store and moved into it under its hash."""
    store.root.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=store.root, prefix=".incoming-", suffix=".ogg")
    os.close(fd)
    tmp = Path(name)
    try:
        written = write_audio_excerpt(source, tmp, start_s=start_s, seconds=seconds, limits=limits)
        return store.settle(tmp, sha256_file(tmp), ".ogg"), written
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _passage(text: str, start: float, end: float) -> tuple[str, str]:
    """The characters ``start`` to ``end`` of ``text``, cut to ``MAX_EXCERPT_CHARS``, and a note
    of what was kept."""
    first = max(0, math.floor(start))
    last = min(len(text), max(first, math.ceil(end)))
    kept = min(last, first + MAX_EXCERPT_CHARS)
    note = f"characters {first}–{last}"
    if kept < last:
        note += f" (the first {MAX_EXCERPT_CHARS} of {last - first} kept)"
    return text[first:kept], note


def _text(rec: _Recorder) -> None:
    d = rec.detection
    try:
        passage, note = _passage(
            TextWinnow.read(rec.capture.content_path), d.query_start, d.query_end
        )
        if not passage.strip():
            raise ValueError(f"no text at characters {d.query_start:g}–{d.query_end:g}")
        stored = rec.store.put_bytes(passage.encode("utf-8"), ".txt")
        rec.keep(EXCERPT, stored, TEXT_TYPE, d.query_start, f"capture text, {note}")
    except _UNREADABLE as exc:
        rec.failed(EXCERPT, exc)
        return
    try:
        passage, note = _passage(TextWinnow.read(rec.asset.content_path), d.ref_start, d.ref_end)
        stored = rec.store.put_bytes(passage.encode("utf-8"), ".txt")
        rec.keep(
            REFERENCE_EXCERPT, stored, TEXT_TYPE, d.ref_start, f"{rec.reference_label()}: {note}"
        )
    except _UNREADABLE as exc:
        rec.failed(REFERENCE_EXCERPT, exc)
