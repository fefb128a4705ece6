"""The writers and the pirate transforms, checked by decoding what they wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jianwang.media import (
    Transform,
    apply_transform,
    decode_audio,
    iter_frames,
    probe,
    write_audio,
    write_video,
)

FPS = 25.0
SECONDS = 4.0


def _frames(seconds: float) -> list[np.ndarray]:
    """Left half bright, right half dark; the bright half gets brighter every frame."""
    frames = []
    for i in range(round(seconds * FPS)):
        image = np.zeros((120, 160, 3), np.uint8)
        image[:, :80] = 40 + 2 * i
        frames.append(image)
    return frames


def _sound(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.4 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("film") / "film.mp4"
    return write_video(path, _frames(SECONDS), FPS, audio=_sound(SECONDS, 44100))


@pytest.mark.parametrize(
    ("suffix", "rate"), [(".m4a", 22050), (".mp3", 22050), (".opus", 48000), (".wav", 22050)]
)
def test_write_audio_by_suffix(tmp_path: Path, suffix: str, rate: int) -> None:
    path = write_audio(tmp_path / f"tone{suffix}", _sound(2.0, 22050), 22050)
    info = probe(path)
    assert info.sample_rate == rate
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert decode_audio(path).size / 8000 == pytest.approx(2.0, abs=0.1)


def test_write_video_evens_odd_sizes(tmp_path: Path) -> None:
    frames = [np.zeros((121, 161, 3), np.uint8)] * 10
    info = probe(write_video(tmp_path / "odd.mp4", frames, 10.0))
    assert (info.width, info.height) == (160, 120)


def test_speed_shortens_both_streams(film: Path, tmp_path: Path) -> None:
    out = apply_transform(film, tmp_path / "fast.mp4", Transform(speed=1.25))
    info = probe(out)
    assert info.duration_s == pytest.approx(SECONDS / 1.25, abs=0.15)
    assert decode_audio(out).size / 8000 == pytest.approx(SECONDS / 1.25, abs=0.15)
    spectrum = np.abs(np.fft.rfft(decode_audio(out)[800:8800]))
    assert np.argmax(spectrum) == pytest.approx(330 * 1.25, abs=3)


def test_excerpt(film: Path, tmp_path: Path) -> None:
    out = apply_transform(film, tmp_path / "part.mp4", Transform(start_s=1.0, duration_s=2.0))
    assert probe(out).duration_s == pytest.approx(2.0, abs=0.1)
    first = next(iter_frames(out, size=None, fps=1.0))
    original = next(iter_frames(film, size=None, fps=1.0, start_s=1.0))
    assert abs(float(first.image[:, :60].mean()) - float(original.image[:, :60].mean())) < 4


def test_crop_scale_fps(film: Path, tmp_path: Path) -> None:
    t = Transform(crop=0.2, scale=0.5, fps=10.0)
    info = probe(apply_transform(film, tmp_path / "small.mp4", t))
    assert (info.width, info.height) == (64, 48)
    assert info.fps == pytest.approx(10.0)
    assert info.duration_s == pytest.approx(SECONDS, abs=0.15)


def test_hflip_mirrors(film: Path, tmp_path: Path) -> None:
    out = apply_transform(film, tmp_path / "mirror.mp4", Transform(hflip=True))
    image = next(iter_frames(out, size=None)).image
    assert image[:, 100:].mean() > image[:, :60].mean() + 20


def test_audio_only_copy(film: Path, tmp_path: Path) -> None:
    out = apply_transform(film, tmp_path / "rip.mp3", Transform(start_s=0.5, speed=0.8))
    info = probe(out)
    assert info.has_audio and not info.has_video
    assert info.duration_s == pytest.approx((SECONDS - 0.5) / 0.8, abs=0.15)


def test_transform_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="crop"):
        Transform(crop=1.0)
    with pytest.raises(ValueError, match="speed"):
        Transform(speed=0.0)
