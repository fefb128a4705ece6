"""decode_audio() and iter_audio_blocks(): canonical mono PCM from awkward inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jianwang.errors import DecodeTimeout, MediaError
from jianwang.media import (
    Deadline,
    DecodeLimits,
    decode_audio,
    iter_audio_blocks,
    write_audio,
    write_video,
)


def _chirp(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """A sweep plus a little noise: no two stretches look alike, so offsets are measurable."""
    t = np.arange(round(seconds * rate)) / rate
    noise = np.random.default_rng(seed).standard_normal(t.size)
    return (0.4 * np.sin(2 * np.pi * (150 * t + 120 * t**2)) + 0.05 * noise).astype(np.float32)


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_audio(tmp_path_factory.mktemp("audio") / "song.m4a", _chirp(4.0, 44100), 44100)


def test_decode_gives_mono_float_at_the_rate(song: Path) -> None:
    pcm = decode_audio(song, sample_rate=8000)
    assert pcm.dtype == np.float32 and pcm.ndim == 1
    assert pcm.size / 8000 == pytest.approx(4.0, abs=0.1)
    assert 0.2 < np.abs(pcm).max() <= 1.0


def test_odd_rate_stereo_input(tmp_path: Path) -> None:
    rate = 11025
    t = np.arange(3 * rate) / rate
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    right = 0.5 * np.sin(2 * np.pi * 440 * t + 0.3)
    for suffix in (".m4a", ".mp3", ".wav"):
        path = write_audio(tmp_path / f"odd{suffix}", np.stack([left, right], axis=1), rate)
        pcm = decode_audio(path, sample_rate=8000)
        assert pcm.size / 8000 == pytest.approx(3.0, abs=0.1)
        spectrum = np.abs(np.fft.rfft(pcm[1000:9000]))
        assert np.argmax(spectrum) * 8000 / 8000 == pytest.approx(440, abs=2)
        assert np.abs(pcm).max() <= 1.0


def test_window_is_exact_and_aligned(song: Path) -> None:
    full = decode_audio(song, sample_rate=8000)
    part = decode_audio(song, sample_rate=8000, start_s=1.3, max_seconds=1.5)
    assert part.size == 12000
    offset = round(1.3 * 8000)
    lags = range(-40, 41)
    errors = [np.abs(full[offset + lag : offset + lag + 4000] - part[:4000]).mean() for lag in lags]
    assert abs(lags[int(np.argmin(errors))]) <= 1


def test_limits_cap_the_length(song: Path) -> None:
    pcm = decode_audio(song, sample_rate=8000, limits=DecodeLimits(max_seconds=1.0))
    assert pcm.size == 8000


def test_blocks_cover_the_same_samples(song: Path) -> None:
    blocks = list(iter_audio_blocks(song, sample_rate=8000, block_seconds=0.75))
    assert all(block.size == 6000 for block in blocks[:-1])
    assert 0 < blocks[-1].size <= 6000
    np.testing.assert_array_equal(np.concatenate(blocks), decode_audio(song, sample_rate=8000))


def test_corrupt_middle_still_decodes(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "damaged.mp3", _chirp(4.0, 44100, seed=1), 44100)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 3000] = (
        np.random.default_rng(2).integers(0, 256, 3000, np.uint8).tobytes()
    )
    path.write_bytes(bytes(data))
    pcm = decode_audio(path, sample_rate=8000)
    assert pcm.size / 8000 > 3.0


def test_no_audio_stream(tmp_path: Path) -> None:
    frames = (np.zeros((64, 64, 3), np.uint8) for _ in range(10))
    path = write_video(tmp_path / "silent.mp4", frames, 10.0)
    with pytest.raises(MediaError, match=r"silent\.mp4: no audio stream"):
        decode_audio(path)


def test_not_media_and_missing(tmp_path: Path) -> None:
    text = tmp_path / "chapter.txt"
    text.write_text("not audio at all\n" * 100)
    with pytest.raises(MediaError, match=r"chapter\.txt"):
        decode_audio(text)
    with pytest.raises(MediaError, match=r"gone\.mp3"):
        decode_audio(tmp_path / "gone.mp3")


def test_deadline(song: Path) -> None:
    with pytest.raises(DecodeTimeout, match=r"song\.m4a"):
        decode_audio(song, limits=DecodeLimits(timeout_s=1e-9))


def test_deadline_message_and_remaining() -> None:
    deadline = Deadline(0.0, "film.mp4")
    assert deadline.remaining() == 0.0
    with pytest.raises(DecodeTimeout, match=r"^film\.mp4: decoding exceeded 0 s$"):
        deadline.check()
    Deadline(60.0, "film.mp4").check()
