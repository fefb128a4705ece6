"""Cut a media file into an HLS VOD playlist of MPEG-TS segments, as pirate sites serve video.

H.264 video and AAC audio are copied into the segments packet for packet (no quality loss, and the
captured stream stays a faithful copy of the reference); anything else is re-encoded to
H.264/AAC. The written playlist is opened and decoded once before returning, so a sandbox never
serves a stream that does not play.
"""

from __future__ import annotations

import logging
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from jianwang.errors import MediaError

logger = logging.getLogger(__name__)

PLAYLIST_NAME = "index.m3u8"
COPYABLE = frozenset({"h264", "aac"})
_CHECK_FRAMES = 10


def _muxer_options(out_dir: Path, segment_s: float) -> dict[str, str]:
    return {
        "hls_time": f"{segment_s:g}",
        "hls_playlist_type": "vod",
        "hls_list_size": "0",
        "hls_segment_type": "mpegts",
        "hls_segment_filename": str(out_dir / "seg%05d.ts"),
    }


def _streams(container: Any) -> list[Any]:
    """The first video and first audio stream of an input (either may be missing)."""
    picked = [s for s in container.streams.video[:1]] + [s for s in container.streams.audio[:1]]
    if not picked:
        raise MediaError(f"{container.name}: no audio or video stream")
    return picked


def _remux(src: Path, playlist: Path, segment_s: float) -> None:
    with av.open(str(src)) as inp:
        streams = _streams(inp)
        with av.open(
            str(playlist), "w", format="hls", options=_muxer_options(playlist.parent, segment_s)
        ) as out:
            mapping = {s.index: out.add_stream_from_template(s) for s in streams}
            for packet in inp.demux(streams):
                if packet.dts is None:  # demuxer flush packets carry no data
                    continue
                packet.stream = mapping[packet.stream.index]
                out.mux(packet)


def _reencode(src: Path, playlist: Path, segment_s: float) -> None:
    with av.open(str(src)) as inp:
        streams = _streams(inp)
        with av.open(
            str(playlist), "w", format="hls", options=_muxer_options(playlist.parent, segment_s)
        ) as out:
            encoders: dict[int, Any] = {}
            fps = Fraction(25)
            for stream in streams:
                if stream.type == "video":
                    fps = Fraction(stream.average_rate or 25)
                    video: Any = out.add_stream("libx264", rate=fps)
                    video.width = stream.codec_context.width // 2 * 2
                    video.height = stream.codec_context.height // 2 * 2
                    video.pix_fmt = "yuv420p"
                    video.options = {"preset": "veryfast", "g": str(max(1, round(fps * segment_s)))}
                    encoders[stream.index] = video
                else:
                    audio: Any = out.add_stream(
                        "aac", rate=stream.codec_context.sample_rate or 44100
                    )
                    audio.layout = "stereo" if stream.codec_context.channels > 1 else "mono"
                    encoders[stream.index] = audio
            frames_out = 0
            for packet in inp.demux(streams):
                enc = encoders[packet.stream.index]
                try:
                    decoded_frames = packet.decode()
                except av.FFmpegError as exc:  # a damaged packet: players skip it too
                    logger.debug("%s: skipping a packet that does not decode: %s", src, exc)
                    continue
                for decoded in decoded_frames:
                    frame: Any = decoded
                    if isinstance(decoded, av.VideoFrame):
                        frame = decoded.reformat(
                            width=enc.width, height=enc.height, format="yuv420p"
                        )
                        frame.pts = frames_out
                        frame.time_base = 1 / fps
                        frames_out += 1
                    else:
                        frame.pts = None  # the audio encoder re-times through its own FIFO
                    for out_packet in enc.encode(frame):
                        out.mux(out_packet)
            for enc in encoders.values():
                for out_packet in enc.encode(None):
                    out.mux(out_packet)


def _check_plays(playlist: Path) -> None:
    """Decode the first frames of every stream through the playlist, or raise MediaError."""
    try:
        with av.open(str(playlist)) as container:
            if not container.streams:
                raise MediaError(f"{playlist}: playlist has no streams")
            decoded = 0
            for frame in container.decode(container.streams[0]):
                del frame
                decoded += 1
                if decoded >= _CHECK_FRAMES:
                    break
    except av.FFmpegError as exc:
        raise MediaError(f"{playlist}: written playlist does not play: {exc}") from exc
    if decoded == 0:
        raise MediaError(f"{playlist}: written playlist decodes to nothing")


def _codecs(src: Path) -> set[str]:
    try:
        with av.open(str(src)) as container:
            return {s.codec_context.name for s in _streams(container)}
    except av.FFmpegError as exc:
        raise MediaError(f"{src}: cannot open as media: {exc}") from exc


def segment_to_hls(
    src: Path, out_dir: Path, *, segment_s: float = 4.0, reencode: bool = False
) -> Path:
    """Write ``out_dir/index.m3u8`` and ``segNNNNN.ts`` segments for ``src``; return the playlist.

    ``out_dir`` is emptied of earlier segments first. Segments start on key frames, so with
    stream copy they last about ``segment_s`` when the source has key frames that often;
    ``reencode`` places a key frame every ``segment_s`` whatever the source (live channels
    want short, even segments).
    Raises :class:`MediaError` for input that is not media or output that does not play.
    """
    if not src.is_file():
        raise MediaError(f"{src}: no such media file")
    if segment_s <= 0:
        raise ValueError(f"segment_s must be positive, not {segment_s}")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    playlist = out_dir / PLAYLIST_NAME
    codecs = _codecs(src)
    try:
        if codecs <= COPYABLE and not reencode:
            _remux(src, playlist, segment_s)
        else:
            logger.info("re-encoding %s (codecs %s) for HLS", src, sorted(codecs))
            _reencode(src, playlist, segment_s)
    except av.FFmpegError as exc:
        raise MediaError(f"{src}: cannot segment to HLS: {exc}") from exc
    _check_plays(playlist)
    return playlist
