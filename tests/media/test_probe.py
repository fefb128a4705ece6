"""probe(): facts from headers, and one-line MediaErrors that name the input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jianwang.errors import MediaError
from jianwang.media import probe, write_audio, write_video


def _tone(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_probe_audio_file(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "song.m4a", _tone(2.0, 22050), 22050)
    info = probe(path)
    assert info.has_audio and not info.has_video
    assert info.sample_rate == 22050
    assert info.channels == 1
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert info.width is None and info.fps is None


def test_probe_video_with_sound(tmp_path: Path) -> None:
    frames = (np.full((120, 160, 3), i * 5, dtype=np.uint8) for i in range(50))
    path = write_video(tmp_path / "clip.mp4", frames, 25.0, audio=_tone(2.0, 44100))
    info = probe(path)
    assert info.has_video and info.has_audio
    assert (info.width, info.height) == (160, 120)
    assert info.fps == pytest.approx(25.0)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert "mp4" in info.format_name


def test_text_file_is_not_media(tmp_path: Path) -> None:
    for name in ("notes.txt", "clip.mp4"):
        path = tmp_path / name
        path.write_text("Chapter one.\nIt was a dark and stormy night.\n" * 50)
        with pytest.raises(MediaError, match=name) as caught:
            probe(path)
        assert "\n" not in str(caught.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"absent\.mp4: no such file"):
        probe(tmp_path / "absent.mp4")
    with pytest.raises(MediaError, match="directory"):
        probe(tmp_path)


def test_random_bytes_are_not_media(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises(MediaError, match=r"noise\.mp3"):
        probe(path)
