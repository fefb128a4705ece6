"""Identify a file or URL against the protection list: which work, which asset, which stretch.

This is what ``jianwang identify`` and the capture pipeline share: decode with every signal type
that applies, query its index, and resolve the matched assets to their works.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy.orm import Session

from jianwang.catalog.indexes import IndexSet
from jianwang.catalog.references import media_kinds_of, stored_fingerprint
from jianwang.config import Settings
from jianwang.db.models import AssetKind, ReferenceAsset
from jianwang.errors import JianwangError, MediaError, NotFoundError
from jianwang.matching.engine import match
from jianwang.media.limits import DecodeLimits
from jianwang.media.text import chapter_headings, chapters_between
from jianwang.monitoring.capture import capture_url
from jianwang.signals.base import MediaKind
from jianwang.signals.registry import SignalRegistry
from jianwang.signals.text import TextWinnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchView:
    """One match resolved to its work: spans in seconds (media) or characters (text)."""

    work_id: int
    work: str
    asset_id: int
    asset: str
    signal: str
    score: float
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    speed: float
    coverage: float | None = None
    pitch_shift: float | None = None
    source: str | None = None
    chapter: str | None = None  # text: the chapter(s) of the reference the span falls in


@dataclass
class Identification:
    """What one input matched; ``error`` is set when the input could not be read."""

    input: str
    matches: list[MatchView] = field(default_factory=list)
    error: str | None = None


def _signal_kinds(kind: AssetKind) -> list[MediaKind]:
    return {
        AssetKind.TEXT: [MediaKind.TEXT],
        AssetKind.AUDIO: [MediaKind.AUDIO],
        AssetKind.VIDEO: [MediaKind.VIDEO, MediaKind.AUDIO],
    }[kind]


def identify_file(
    path: Path,
    *,
    session: Session,
    indexes: IndexSet,
    registry: SignalRegistry,
    limits: DecodeLimits,
    kind: AssetKind | None = None,
    source: str | None = None,
) -> list[MatchView]:
    """Every match of a local file, best first, one per (asset, signal)."""
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    if kind is None:
        kind, media_kinds, _ = media_kinds_of(path, limits=limits)
    else:
        media_kinds = _signal_kinds(kind)
    views: list[MatchView] = []
    headings: dict[int, list[tuple[int, str]]] = {}
    for media_kind in media_kinds:
        for signal in registry.for_kind(media_kind):
            try:
                fingerprint = signal.fingerprint(path, limits=limits)
            except MediaError as exc:
                if media_kind is MediaKind.AUDIO and kind is AssetKind.VIDEO:
                    log.info("%s: no usable soundtrack (%s)", path, exc)
                    continue
                raise
            references = partial(stored_fingerprint, session, signal)
            found_all = match(signal, indexes.index(signal), fingerprint, references=references)
            for found in found_all:
                asset = session.get(ReferenceAsset, found.item_id)
                if asset is None:
                    log.warning("index %s names unknown asset %d", signal.name, found.item_id)
                    continue
                chapter = None
                if isinstance(signal, TextWinnow):
                    chapter = _chapter(asset, found.ref_start, found.ref_end, headings)
                views.append(
                    MatchView(
                        work_id=asset.work_id,
                        work=asset.work.title,
                        asset_id=asset.id,
                        asset=asset.name,
                        signal=found.signal,
                        score=round(float(found.score), 4),
                        query_start=round(float(found.query_start), 3),
                        query_end=round(float(found.query_end), 3),
                        ref_start=round(float(found.ref_start), 3),
                        ref_end=round(float(found.ref_end), 3),
                        speed=round(float(found.speed), 4),
                        coverage=None if found.coverage is None else round(found.coverage, 4),
                        pitch_shift=found.pitch_shift,
                        source=source,
                        chapter=chapter,
                    )
                )
    views.sort(key=lambda v: v.score, reverse=True)
    return views


def _chapter(
    asset: ReferenceAsset, start: float, end: float, cache: dict[int, list[tuple[int, str]]]
) -> str | None:
    """The chapter(s) of a text reference that ``start``-``end`` falls in, from the headings of
    its stored text (read once per asset); ``None`` when the text has no chapter headings or
    can no longer be read."""
    if asset.id not in cache:
        try:
            cache[asset.id] = chapter_headings(TextWinnow.read(asset.content_path))
        except MediaError as exc:
            log.warning("asset %d: reference text unreadable (%s)", asset.id, exc)
            cache[asset.id] = []
    return chapters_between(cache[asset.id], start, end)


def identify_input(
    target: str,
    *,
    session: Session,
    indexes: IndexSet,
    registry: SignalRegistry,
    limits: DecodeLimits,
    settings: Settings,
) -> Identification:
    """Identify a path or an http(s) URL; errors are reported in the result, not raised."""
    result = Identification(input=target)
    try:
        if target.startswith(("http://", "https://")) or "://" in target:
            result.matches = _identify_url(
                target,
                session=session,
                indexes=indexes,
                registry=registry,
                limits=limits,
                settings=settings,
            )
        else:
            result.matches = identify_file(
                Path(target), session=session, indexes=indexes, registry=registry, limits=limits
            )
    except JianwangError as exc:
        result.error = str(exc)
    return result


def _identify_url(
    url: str,
    *,
    session: Session,
    indexes: IndexSet,
    registry: SignalRegistry,
    limits: DecodeLimits,
    settings: Settings,
) -> list[MatchView]:
    """Fetch a URL through the guarded fetcher: a page (its text, the media it embeds) or media."""
    with tempfile.TemporaryDirectory(prefix="jianwang-identify-") as tmp:
        items = capture_url(url, settings=settings, dest_dir=Path(tmp))
        views: list[MatchView] = []
        for item in items:
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
    return views
