"""iter_frames(): small frames sampled by timestamp, from whole, damaged and odd inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jianwang.errors import DecodeTimeout, MediaError
from jianwang.media import DecodeLimits, iter_frames, write_audio, write_video

FPS = 25.0
SECONDS = 4.0


def _frames(seconds: float, fps: float, size: tuple[int, int] = (160, 120)) -> list[np.ndarray]:
    """Left half bright, right half dark, and overall brightness rising with time."""
    width, height = size
    frames = []
    for i in range(round(seconds * fps)):
        image = np.zeros((height, width, 3), np.uint8)
        image[:, : width // 2] = 60 + i
        frames.append(image)
    return frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    return write_video(path, _frames(SECONDS, FPS), FPS)


def test_sampling_rate_and_times(clip: Path) -> None:
    frames = list(iter_frames(clip, fps=2.0))
    assert len(frames) == pytest.approx(2.0 * SECONDS, abs=1)
    times = [f.t for f in frames]
    assert times == sorted(times) and len(set(times)) == len(times)
    for k, t in enumerate(times):
        assert k / 2.0 <= t + 1e-6 < k / 2.0 + 1 / FPS + 1e-6
    image = frames[0].image
    assert image.shape == (64, 64) and image.dtype == np.uint8
    assert image[:, :24].mean() > image[:, 40:].mean() + 40


def test_rgb_native_size(clip: Path) -> None:
    frame = next(iter_frames(clip, fps=1.0, size=None, grey=False))
    assert frame.image.shape == (120, 160, 3)


def test_max_width_keeps_the_shape_and_fast_decoding_samples_the_same_moments(
    clip: Path,
) -> None:
    small = list(iter_frames(clip, fps=2.0, size=None, max_width=80, grey=True))
    assert {f.image.shape for f in small} == {(60, 80)}
    fast = list(iter_frames(clip, fps=2.0, size=None, max_width=80, grey=True, fast=True))
    assert len(fast) == len(small)
    for a, b in zip(small, fast, strict=True):
        # A skipped frame is replaced by the next decoded one: a frame or two later at most.
        assert 0 <= b.t - a.t <= 3 / FPS + 1e-6
        assert abs(float(a.image.mean()) - float(b.image.mean())) < 4
    # Narrower frames than max_width are left alone.
    first = next(iter_frames(clip, fps=2.0, size=None, max_width=400))
    assert first.image.shape == (120, 160)


def test_start_and_length(clip: Path) -> None:
    frames = list(iter_frames(clip, fps=5.0, start_s=1.0, max_seconds=2.0))
    assert len(frames) == pytest.approx(10, abs=1)
    assert frames[0].t == pytest.approx(1.0, abs=1e-3)
    assert all(1.0 - 1e-6 <= f.t < 3.0 for f in frames)


def test_higher_rate_than_source_yields_each_frame_once(tmp_path: Path) -> None:
    path = write_video(tmp_path / "slow.mp4", _frames(2.0, 5.0), 5.0)
    frames = list(iter_frames(path, fps=20.0))
    assert len(frames) == 10


def test_truncated_transport_stream_decodes_partially(tmp_path: Path) -> None:
    path = write_video(tmp_path / "cut.ts", _frames(SECONDS, FPS), FPS)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    frames = list(iter_frames(path, fps=5.0))
    assert 0 < len(frames) < 5.0 * SECONDS


def test_truncated_mp4_decodes_partially_or_names_the_file(tmp_path: Path, clip: Path) -> None:
    path = tmp_path / "half.mp4"
    data = clip.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    try:
        frames = list(iter_frames(path, fps=5.0))
    except MediaError as exc:
        assert "half.mp4" in str(exc)
    else:
        assert 0 < len(frames) < 5.0 * SECONDS


def test_no_video_stream(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "song.m4a", np.zeros(8000, np.float32), 8000)
    with pytest.raises(MediaError, match=r"song\.m4a: no video stream"):
        list(iter_frames(path))


def test_not_media(tmp_path: Path) -> None:
    path = tmp_path / "poster.mp4"
    path.write_text("<html>404 not found</html>\n" * 20)
    with pytest.raises(MediaError, match=r"poster\.mp4"):
        list(iter_frames(path))


def test_deadline(clip: Path) -> None:
    with pytest.raises(DecodeTimeout, match=r"clip\.mp4"):
        list(iter_frames(clip, limits=DecodeLimits(timeout_s=1e-9)))


def test_zero_length_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(MediaError, match=r"empty\.mp4"):
        list(iter_frames(path))


def _write_raw(path: Path, frames: list[np.ndarray], times: list[float], **options: object) -> Path:
    """Encode ``frames`` shown at ``times`` (seconds, any spacing) with PyAV, as a camera or an
    editor would; ``rotation`` adds a display matrix, ``interlaced`` codes fields."""
    from fractions import Fraction

    import av

    base = Fraction(1, 1000)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=1000)  # millisecond timestamps
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.time_base = base
        if options.get("interlaced"):
            stream.codec_context.options = {"flags": "+ildct+ilme"}
        if "rotation" in options:
            stream.set_display_rotation(float(options["rotation"]))  # type: ignore[arg-type]
        for image, t in zip(frames, times, strict=True):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = round(t * 1000), base
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def test_display_rotation_is_applied(tmp_path: Path) -> None:
    # A phone held upright stores landscape pictures and a display matrix turning them a
    # quarter clockwise (rotation -90): the left half of the stored picture is shown on top.
    frames = _frames(1.0, FPS)
    path = _write_raw(
        tmp_path / "phone.mp4", frames, [i / FPS for i in range(len(frames))], rotation=-90
    )
    image = next(iter(iter_frames(path, size=None, grey=True))).image
    assert image.shape == (160, 120)
    assert image[:60].mean() > image[100:].mean() + 30


def test_variable_frame_rate_is_sampled_by_timestamps(tmp_path: Path) -> None:
    times = [0.0, 0.1, 0.15, 0.7, 0.72, 1.6, 1.65, 2.4]
    frames = _frames(len(times) / FPS, FPS)
    path = _write_raw(tmp_path / "vfr.mkv", frames, times)
    sampled = [round(f.t, 2) for f in iter_frames(path, fps=2.0)]
    # The first frame shown at or after each instant 0, 0.5, 1.0, ...: 1.0 s has none of its
    # own (0.72 is still on screen), so the sample after it is 1.6 for both 1.0 and 1.5.
    assert sampled == [0.0, 0.7, 1.6, 2.4]


def test_interlaced_video_decodes_to_whole_frames(tmp_path: Path) -> None:
    frames = _frames(1.0, FPS)
    path = _write_raw(
        tmp_path / "tv.ts", frames, [i / FPS for i in range(len(frames))], interlaced=True
    )
    decoded = list(iter_frames(path, fps=5.0, size=None))
    assert len(decoded) == 5
    left, right = decoded[0].image[:, :70].mean(), decoded[0].image[:, 90:].mean()
    assert left > right + 30


def test_a_picture_over_the_size_limit_is_refused_by_name(clip: Path) -> None:
    with pytest.raises(MediaError, match=r"clip\.mp4: .*160x120.*larger than"):
        list(iter_frames(clip, limits=DecodeLimits(max_pixels=10_000)))
