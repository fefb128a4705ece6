"""Music-like test audio generated in code, and the transformations pirated copies go through.

Used by ``AudioLandmarks.examples()`` and the tests, so they need no media files: notes with
harmonics and decaying envelopes over a bass line, with noise-burst percussion, are close enough
to music for spectral peaks to behave as they do on real recordings.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy import signal as sps


def synth_music(seed: int, seconds: float, sample_rate: int = 8000) -> np.ndarray:
    """``seconds`` of mono float32 music-like audio in [-1, 1], fully determined by ``seed``."""
    rng = np.random.default_rng(seed)
    n = round(seconds * sample_rate)
    out = np.zeros(n, dtype=np.float64)
    for voice, (low, high, gap) in enumerate(((60, 88, 0.18), (40, 60, 0.45), (55, 80, 0.3))):
        t0 = rng.uniform(0, gap)
        while t0 < seconds:
            dur = rng.uniform(0.15, 0.7)
            midi = rng.integers(low, high)
            f0 = 440.0 * 2 ** ((midi - 69) / 12)
            start = round(t0 * sample_rate)
            length = min(round(dur * sample_rate), n - start)
            if length > 0:
                t = np.arange(length) / sample_rate
                env = np.minimum(1.0, t / 0.01) * np.exp(-t * rng.uniform(2, 6))
                tone = sum(
                    (0.6**h) * np.sin(2 * np.pi * f0 * (h + 1) * t + rng.uniform(0, 6.3))
                    for h in range(4)
                    if f0 * (h + 1) < sample_rate / 2 - 200
                )
                out[start : start + length] += (0.5 if voice else 0.35) * env * tone
            t0 += dur * rng.uniform(0.5, 1.2) + rng.uniform(0, gap)
    beat = 60.0 / rng.uniform(80, 140)
    for tb in np.arange(rng.uniform(0, beat), seconds, beat):
        start = round(tb * sample_rate)
        length = min(round(0.05 * sample_rate), n - start)
        if length > 0:
            burst = rng.normal(0, 0.15, length) * np.exp(-np.arange(length) / (0.01 * sample_rate))
            out[start : start + length] += burst
    peak = float(np.max(np.abs(out))) or 1.0
    return (0.9 * out / peak).astype(np.float32)


def change_speed(audio: np.ndarray, speed: float) -> np.ndarray:
    """Play ``audio`` ``speed`` times faster, tempo and pitch together (plain resampling)."""
    ratio = Fraction(speed).limit_denominator(200)
    return sps.resample_poly(audio, ratio.denominator, ratio.numerator).astype(np.float32)


def add_noise(audio: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    """White noise added at ``snr_db`` dB below the signal's power."""
    rng = np.random.default_rng(seed)
    power = float(np.mean(audio.astype(np.float64) ** 2)) or 1e-12
    noise = rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), audio.shape)
    return (audio + noise).astype(np.float32)


def reencode(audio: np.ndarray, sample_rate: int = 8000) -> np.ndarray:
    """A lossy-codec stand-in: low-pass at 3 kHz, gain change, 10-bit quantisation."""
    sos = sps.butter(6, 3000, btype="low", fs=sample_rate, output="sos")
    out = 0.6 * sps.sosfilt(sos, audio)
    return (np.round(out * 512) / 512).astype(np.float32)
