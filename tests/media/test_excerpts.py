"""Stills and audio excerpts for evidence: the right frame, a bounded size, the same bytes twice."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from jianwang.errors import MediaError
from jianwang.media.audio import decode_audio
from jianwang.media.excerpts import span_times, stills_at, write_audio_excerpt
from jianwang.media.synth import synth_video
from jianwang.sandbox.hls import segment_to_hls

from media_factory import film, song


def test_stills_are_the_frames_on_screen_as_jpegs(tmp_path: Path) -> None:
    video = film(tmp_path / "f.mp4", seed=4, seconds=6.0)  # 12 fps
    stills = stills_at(video, [0.0, 2.5, 2.49, 5.999, 60.0, -1.0])
    assert [round(s.t * 12) for s in stills] == [0, 30, 29, 71, 71, 0]
    for still in stills:
        assert still.jpeg[:2] == b"\xff\xd8" and (still.width, still.height) == (192, 144)
    assert stills[4].jpeg == stills[3].jpeg  # past the end: the last frame
    assert stills_at(video, [2.5])[0].jpeg == stills[1].jpeg  # bit-exact


def test_wide_pictures_are_shrunk_to_640(tmp_path: Path) -> None:
    video = synth_video(tmp_path / "wide.mp4", 7, 1.0, fps=10.0, size=(960, 540), with_audio=False)
    (still,) = stills_at(video, [0.5])
    assert (still.width, still.height) == (640, 360)
    jpeg = tmp_path / "still.jpg"
    jpeg.write_bytes(still.jpeg)
    with av.open(str(jpeg)) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (640, 360)


def test_stills_of_a_non_video_fail_with_media_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00not a video" * 100)
    with pytest.raises(MediaError, match=r"junk\.mp4"):
        stills_at(junk, [1.0])
    with pytest.raises(MediaError, match="no video"):
        stills_at(song(tmp_path / "s.m4a", seed=1, seconds=2.0), [1.0])


def test_audio_excerpts_are_exact_in_length_and_bytes(tmp_path: Path) -> None:
    track = song(tmp_path / "s.mp3", seed=2, seconds=12.0)
    first, second = tmp_path / "a.ogg", tmp_path / "b.ogg"
    assert write_audio_excerpt(track, first, start_s=3.0, seconds=4.5) == pytest.approx(4.5)
    write_audio_excerpt(track, second, start_s=3.0, seconds=4.5)
    assert first.read_bytes() == second.read_bytes()
    assert decode_audio(first, sample_rate=8000).size / 8000 == pytest.approx(4.5, abs=0.03)
    # Near the end, the excerpt is what there is.
    tail = tmp_path / "tail.ogg"
    written = write_audio_excerpt(track, tail, start_s=10.0, seconds=5.0)
    assert written == pytest.approx(2.0, abs=0.1)
    with pytest.raises(MediaError, match="no audio"):
        write_audio_excerpt(track, tmp_path / "none.ogg", start_s=30.0, seconds=5.0)


def test_span_times_keep_the_end_inside_the_span() -> None:
    assert span_times(2.0, 8.0) == (2.0, 5.0, pytest.approx(7.999))
    assert span_times(3.0, 3.0) == (3.0, 3.0, 3.0)


def test_stills_of_an_mpeg_ts_capture_fall_at_the_times_asked(tmp_path: Path) -> None:
    """MPEG-TS seeks by byte estimate and can overshoot; the still is then taken decoding from
    the start, so an HLS capture's stills fall where the match is."""
    clip = film(tmp_path / "f.mp4", seed=5, seconds=20)
    segment_to_hls(clip, tmp_path / "h", segment_s=2.0, reencode=True)
    joined = tmp_path / "capture.ts"
    joined.write_bytes(b"".join(p.read_bytes() for p in sorted((tmp_path / "h").glob("*.ts"))))
    stills = stills_at(joined, [1.0, 9.5, 18.0])
    assert [round(s.t, 1) for s in stills] == [1.0, 9.5, 18.0]
