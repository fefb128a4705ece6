"""The pirate effects on PCM do what their names say, measured on the audio they return."""

from __future__ import annotations

import numpy as np
import pytest

from jianwang.media import effects
from jianwang.media.synth import synth_music

RATE = 22050


def _sine(freq: float, seconds: float = 3.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _frequency(pcm: np.ndarray, rate: int = RATE) -> float:
    """The strongest frequency, interpolated between FFT bins (well under 0.1 % error here)."""
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(pcm.size)))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-12)
    delta = 0.5 * (a - c) / (a - 2 * b + c)
    return float((k + delta) * rate / pcm.size)


@pytest.mark.parametrize("speed", [0.9, 0.95, 1.02, 1.1])
def test_resample_speed_changes_length_and_pitch_together(speed: float) -> None:
    out = effects.resample_speed(_sine(440.0), speed)
    assert out.dtype == np.float32
    assert out.size == pytest.approx(3.0 * RATE / speed, abs=2)
    assert _frequency(out) == pytest.approx(440.0 * speed, rel=0.002)


@pytest.mark.parametrize("factor", [0.95, 1.05, 1.25])
def test_tempo_changes_length_but_keeps_pitch(factor: float) -> None:
    out = effects.tempo(_sine(440.0), RATE, factor)
    assert out.size == round(3.0 * RATE / factor)
    assert _frequency(out[RATE // 4 : -RATE // 4]) == pytest.approx(440.0, rel=0.01)


@pytest.mark.parametrize("semitones", [-1.0, 1.0, 2.0])
def test_pitch_shift_moves_frequency_and_keeps_length(semitones: float) -> None:
    source = _sine(440.0)
    out = effects.pitch_shift(source, RATE, semitones)
    assert out.size == source.size
    expected = 440.0 * 2.0 ** (semitones / 12.0)
    assert _frequency(out[RATE // 4 : -RATE // 4]) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 20.0])
def test_white_noise_has_the_requested_snr(snr_db: float) -> None:
    music = synth_music(11, 5.0, sample_rate=RATE)
    noisy = effects.white_noise(music, snr_db, seed=4)
    noise = noisy.astype(np.float64) - music
    measured = 10 * np.log10(np.mean(music.astype(np.float64) ** 2) / np.mean(noise**2))
    assert measured == pytest.approx(snr_db, abs=0.1)
    assert np.array_equal(noisy, effects.white_noise(music, snr_db, seed=4))
    assert not np.array_equal(noisy, effects.white_noise(music, snr_db, seed=5))


def test_white_noise_leaves_silence_alone() -> None:
    silence = np.zeros(1000, dtype=np.float32)
    assert np.array_equal(effects.white_noise(silence, 0.0, seed=1), silence)


@pytest.mark.parametrize(
    ("codec", "bitrate"), [("libmp3lame", 32_000), ("libopus", 16_000), ("aac", 32_000)]
)
def test_codec_roundtrip_keeps_length_and_alignment(codec: effects.Codec, bitrate: int) -> None:
    music = synth_music(12, 4.0, sample_rate=RATE)
    out = effects.codec_roundtrip(music, RATE, codec=codec, bitrate=bitrate)
    assert out.dtype == np.float32
    assert abs(out.size - music.size) <= 1152  # within one codec frame; in fact exact
    n = min(out.size, music.size)
    assert np.corrcoef(out[:n], music[:n])[0, 1] > 0.9
    assert not np.array_equal(out[:n], music[:n])


def test_resample_changes_rate_through_ffmpeg() -> None:
    out = effects.resample(_sine(440.0), RATE, 8000)
    assert out.size == round(3.0 * 8000)
    assert _frequency(out, 8000) == pytest.approx(440.0, rel=0.002)


@pytest.mark.parametrize(
    "call",
    [
        lambda: effects.white_noise(np.zeros((10, 2)), 10.0, seed=1),
        lambda: effects.white_noise(np.array([0.0, np.nan]), 10.0, seed=1),
        lambda: effects.white_noise(np.zeros(10), float("inf"), seed=1),
        lambda: effects.resample_speed(np.zeros(10), 0.0),
        lambda: effects.resample_speed(np.zeros(10), -1.0),
        lambda: effects.tempo(np.zeros(10), RATE, 0.0),
        lambda: effects.tempo(np.zeros(10), 0, 1.1),
        lambda: effects.pitch_shift(np.zeros(10), RATE, float("nan")),
        lambda: effects.pitch_shift(np.array([np.inf]), RATE, 1.0),
        lambda: effects.codec_roundtrip(np.zeros(10), RATE, codec="flac", bitrate=32_000),  # type: ignore[arg-type]
        lambda: effects.codec_roundtrip(np.zeros(10), RATE, bitrate=0),
        lambda: effects.resample(np.zeros(10), RATE, -8000),
    ],
)
def test_bad_input_is_refused_with_a_value_error(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("effect", "length"),
    [
        (effects.Effect("none"), 3.0),
        (effects.Effect("noise", 10.0), 3.0),
        (effects.Effect("mp3", 32_000), 3.0),
        (effects.Effect("opus", 16_000), 3.0),
        (effects.Effect("aac", 32_000), 3.0),
        (effects.Effect("speed", 1.1), 3.0 / 1.1),
        (effects.Effect("tempo", 0.95), 3.0 / 0.95),
        (effects.Effect("pitch", -1.0), 3.0),
    ],
)
def test_effect_values_apply_their_change(effect: effects.Effect, length: float) -> None:
    out = effect.apply(_sine(440.0), RATE, seed=1)
    assert out.dtype == np.float32
    assert out.size == pytest.approx(length * RATE, abs=2)
    assert effect.time_factor == (effect.amount if effect.kind in ("speed", "tempo") else 1.0)
