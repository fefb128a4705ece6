"""Deterministic synthesis: same seed, same bits; different seeds, different works."""

from __future__ import annotations

import time
from itertools import islice
from pathlib import Path

import numpy as np

from jianwang.media import decode_audio, iter_frames, probe
from jianwang.media.synth import synth_music, synth_prose, synth_video, synth_video_frames


def _spectrogram(pcm: np.ndarray) -> np.ndarray:
    frames = pcm[: pcm.size // 1024 * 1024].reshape(-1, 1024)
    return np.log1p(np.abs(np.fft.rfft(frames * np.hanning(1024), axis=1)))


def _grey_hash(image: np.ndarray) -> np.ndarray:
    """A coarse 8x8 mean hash, enough to tell pictures apart."""
    grey = image.mean(axis=2)
    h, w = grey.shape
    blocks = grey[: h // 8 * 8, : w // 8 * 8].reshape(8, h // 8, 8, w // 8).mean(axis=(1, 3))
    return blocks > blocks.mean()


def test_music_is_deterministic_and_normalised() -> None:
    a = synth_music(7, 6.0)
    np.testing.assert_array_equal(a, synth_music(7, 6.0))
    assert a.dtype == np.float32 and a.size == 6 * 22050
    assert np.abs(a).max() == np.float32(0.8)
    assert np.sqrt(np.mean(a**2)) > 0.05


def test_music_seeds_differ() -> None:
    spectra = [_spectrogram(synth_music(seed, 6.0)) for seed in (1, 2, 3)]
    for i in range(3):
        for j in range(i + 1, 3):
            corr = np.corrcoef(spectra[i].mean(axis=0), spectra[j].mean(axis=0))[0, 1]
            assert corr < 0.97
            assert not np.allclose(spectra[i], spectra[j], atol=0.5)


def test_music_does_not_repeat_its_bars() -> None:
    pcm = synth_music(5, 12.0, sample_rate=8000)
    spec = _spectrogram(pcm)
    half = spec.shape[0] // 2
    assert not np.allclose(spec[:half], spec[half : 2 * half], atol=0.5)


def test_video_frames_deterministic_textured_and_fast() -> None:
    started = time.perf_counter()
    frames = list(synth_video_frames(3, 8.0, fps=25.0))
    elapsed = time.perf_counter() - started
    assert len(frames) == 200
    assert frames[0].shape == (240, 320, 3) and frames[0].dtype == np.uint8
    assert all(f.std() > 15 for f in frames[::10])
    again = list(synth_video_frames(3, 8.0, fps=25.0))
    assert all(np.array_equal(a, b) for a, b in zip(frames, again, strict=True))
    assert elapsed < 2.0


def test_video_scenes_and_seeds_differ() -> None:
    one = list(synth_video_frames(1, 12.0, fps=2.0))
    two = list(synth_video_frames(2, 12.0, fps=2.0))
    # The first and last frames are in different scenes (scenes last at most 5 s).
    assert (_grey_hash(one[0]) != _grey_hash(one[-1])).sum() >= 8
    distances = [(_grey_hash(a) != _grey_hash(b)).sum() for a, b in zip(one, two, strict=True)]
    assert min(distances) >= 6


def test_synth_video_file(tmp_path: Path) -> None:
    path = synth_video(tmp_path / "film.mp4", seed=4, seconds=3.0, size=(160, 120))
    info = probe(path)
    assert info.has_video and info.has_audio
    assert (info.width, info.height) == (160, 120)
    assert info.duration_s is not None and abs(info.duration_s - 3.0) < 0.15
    assert np.abs(decode_audio(path)).max() > 0.3
    assert len(list(islice(iter_frames(path), 4))) == 4


def _grams(text: str, n: int = 20) -> set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def test_prose_english() -> None:
    chapters = synth_prose(11, n_chapters=2, chapter_chars=2000)
    assert chapters == synth_prose(11, n_chapters=2, chapter_chars=2000)
    assert len(chapters) == 2
    assert all(len(c) >= 2000 and "\n\n" in c for c in chapters)
    words = " ".join(chapters).split()
    assert len(set(words)) > 0.3 * len(words)


def test_prose_chinese() -> None:
    chapters = synth_prose(11, lang="zh", n_chapters=1, chapter_chars=1500)
    text = chapters[0]
    assert len(text) >= 1500 and "\n\n" in text
    assert "，" in text and "。" in text and "“" in text
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) > 0.7 * len(text)


def test_prose_seeds_share_no_long_passage() -> None:
    for lang in ("en", "zh"):
        grams = [_grams("\n".join(synth_prose(seed, lang=lang))) for seed in range(4)]
        for i in range(4):
            for j in range(i + 1, 4):
                assert not grams[i] & grams[j], (lang, i, j)
