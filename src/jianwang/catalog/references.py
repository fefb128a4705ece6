"""Reading a reference file: what kind of medium it is, and its fingerprints for each signal;
and reading those fingerprints back from the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.content import sha256_file
from jianwang.db.models import AssetKind, AssetSignal
from jianwang.errors import MediaError, NotFoundError
from jianwang.media.limits import DecodeLimits
from jianwang.media.probe import probe
from jianwang.media.text import read_text_file
from jianwang.signals.base import Fingerprint, MediaKind, SignalType
from jianwang.signals.registry import SignalRegistry

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".html", ".htm", ".xhtml"})


@dataclass(frozen=True)
class PreparedReference:
    """A reference file read, hashed and fingerprinted, not yet stored."""

    path: Path
    kind: AssetKind
    sha256: str
    length: float | None
    fingerprints: list[tuple[SignalType, Fingerprint]]


def media_kinds_of(
    path: Path, *, limits: DecodeLimits
) -> tuple[AssetKind, list[MediaKind], float | None]:
    """The asset kind of a file, the signal kinds that apply to it, and its length."""
    if path.suffix.lower() in TEXT_SUFFIXES:
        text = read_text_file(path)
        return AssetKind.TEXT, [MediaKind.TEXT], float(len(text))
    info = probe(path, timeout_s=min(60.0, limits.timeout_s))
    if info.has_video:
        kinds = [MediaKind.VIDEO] + ([MediaKind.AUDIO] if info.has_audio else [])
        return AssetKind.VIDEO, kinds, info.duration_s
    if info.has_audio:
        return AssetKind.AUDIO, [MediaKind.AUDIO], info.duration_s
    raise MediaError(f"{path}: has neither audio nor video")


def fingerprint_reference(
    path: Path, *, registry: SignalRegistry, limits: DecodeLimits
) -> PreparedReference:
    """Fingerprint ``path`` with every signal type that applies; refuse it if none yields any."""
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    if not path.is_file():
        raise MediaError(f"{path}: not a regular file")
    kind, media_kinds, length = media_kinds_of(path, limits=limits)
    fingerprints: list[tuple[SignalType, Fingerprint]] = []
    for media_kind in media_kinds:
        for signal in registry.for_kind(media_kind):
            fp = signal.fingerprint(path, limits=limits)
            if len(fp.codes):
                fingerprints.append((signal, fp))
    if not fingerprints:
        raise MediaError(f"{path}: nothing to fingerprint (silent, blank or too short)")
    return PreparedReference(
        path=path, kind=kind, sha256=sha256_file(path), length=length, fingerprints=fingerprints
    )


def stored_fingerprint(session: Session, signal: SignalType, asset_id: int) -> Fingerprint | None:
    """The fingerprint of ``asset_id`` kept in the database for ``signal`` (this version), so a
    match can be examined against the reference itself; ``None`` where there is none."""
    blob = session.scalar(
        select(AssetSignal.fingerprint).where(
            AssetSignal.asset_id == asset_id,
            AssetSignal.signal == signal.name,
            AssetSignal.version == signal.version,
        )
    )
    return None if blob is None else Fingerprint.from_bytes(blob)
