"""Join pieces of one stream, taken from different places in it, into one playable file.

A long film served as HLS is sampled a few stretches at a time rather than fetched whole. The
stretches' timestamps jump from one to the next, which decoders take as gaps (video) or ignore
(audio), so capture times would no longer agree between signals. Here the packets are copied
unchanged (no re-encoding: the evidence stays the served bytes' content) and only re-timed, so
the pieces play back to back from zero; the caller records where each piece came from.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from jianwang.errors import MediaError

log = logging.getLogger(__name__)


def _first_time(path: Path) -> tuple[float, float]:
    """(earliest, latest end) of the packet times of a piece, in seconds."""
    first, last = float("inf"), float("-inf")
    with av.open(str(path)) as container:
        streams = [s for s in container.streams if s.type in ("video", "audio")]
        for packet in container.demux(streams):
            if packet.pts is None or packet.time_base is None:
                continue
            start = float(packet.pts * packet.time_base)
            end = start + float((packet.duration or 0) * packet.time_base)
            first, last = min(first, start), max(last, end)
    if first == float("inf"):
        raise MediaError(f"{path}: no timed audio or video packets")
    return first, last


def join_pieces(pieces: Sequence[Path], out: Path) -> list[tuple[float, float]]:
    """Write ``pieces`` (each a self-contained stretch of the same stream) one after another
    into the Matroska file ``out`` with continuous timestamps; returns each piece's (start,
    duration) in ``out``, seconds. ``MediaError`` when a piece does not demux."""
    spans: list[tuple[float, float]] = []
    try:
        with av.open(str(out), "w", format="matroska") as sink:
            mapping: dict[str, Any] = {}
            cursor = 0.0
            for piece in pieces:
                first, last = _first_time(piece)
                shift = cursor - first
                with av.open(str(piece)) as source:
                    for stream in source.streams:
                        if stream.type in ("video", "audio") and stream.type not in mapping:
                            mapping[stream.type] = sink.add_stream_from_template(stream)
                    streams = [s for s in source.streams if s.type in mapping]
                    for packet in source.demux(streams):
                        if packet.dts is None or packet.time_base is None:
                            continue
                        target = mapping[packet.stream.type]
                        base: Fraction = packet.time_base
                        offset = round(shift / base)
                        packet.pts = None if packet.pts is None else packet.pts + offset
                        packet.dts = packet.dts + offset
                        packet.stream = target
                        sink.mux(packet)
                spans.append((cursor, last - first))
                cursor += last - first
    except av.FFmpegError as exc:
        raise MediaError(f"cannot join stream pieces into {out.name}: {exc}") from exc
    log.debug("joined %d pieces into %s (%.1f s)", len(pieces), out, cursor)
    return spans
