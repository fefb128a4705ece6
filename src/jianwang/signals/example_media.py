"""Decoded example media for the signal types' ``examples()`` and tests, and how pirates alter it.

The works themselves come from ``jianwang.media.synth``, the one implementation of synthetic
music, video and prose (shared with the sandbox and the demo). This module only puts them in the
decoded forms a signal reads (PCM arrays, timed grey frames, strings of a fixed length) and
applies the pirate transformations at that level: a speed change, noise or a lossy codec on PCM;
traditional characters, reflowing or a pirate page around a chapter; re-encoding, scaling,
cropping, mirroring, letterboxing or splicing of frames. Working on arrays keeps ``examples()``
and the signal tests free of files and codecs and lets them control each change exactly; the
file-level transforms that real pirated copies are made with are ``jianwang.media.transform``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import signal as sps

from jianwang.media.synth import synth_prose, synth_video_frames

# ----------------------------------------------------------------------------------------- audio


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


# ------------------------------------------------------------------------------------------ text


def prose_chars(seed: int, n_chars: int, *, lang: str = "en") -> str:
    """The first ``n_chars`` characters of a synthesised chapter (``lang`` "en" or "zh").

    ``synth_prose`` makes chapters of at least a given length; tests and examples that cut
    excerpts at fixed offsets want an exact length, hence this cut.
    """
    return synth_prose(seed, lang=lang, n_chapters=1, chapter_chars=n_chars)[0][:n_chars]


def to_traditional(text: str) -> str:
    """The same text in traditional characters (OpenCC s2t)."""
    import opencc

    return str(opencc.OpenCC("s2t").convert(text))


def reflow(text: str, width: int = 37) -> str:
    """Text re-wrapped at ``width`` characters with irregular spacing, as a repost would."""
    flat = " ".join(text.split())
    lines = [flat[i : i + width] for i in range(0, len(flat), width)]
    return "\n  ".join(lines).replace(". ", ".   ")


def pirate_page(chapter: str, seed: int, title: str = "第一章") -> str:
    """An HTML page carrying ``chapter`` among navigation, ads, a sidebar and comments."""
    rng = np.random.default_rng(seed)

    def filler(n_chars: int, lang: str) -> str:
        return prose_chars(int(rng.integers(10**9)), n_chars, lang=lang)

    paras = [p for p in chapter.split("\n") if p.strip()]
    body: list[str] = []
    for i, p in enumerate(paras):
        body.append(f"<p>{p}</p>")
        if i % 3 == 1:
            body.append(f'<div class="ad-banner">{filler(60, "zh")}</div>')
        if i % 4 == 2:
            body.append("<p>本站域名 www.example-pirate.com 请收藏，最快更新！</p>")
    comments = "".join(f"<li>{filler(120, 'en')}</li>" for _ in range(5))
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + title + "</title>"
        "<style>p{margin:0}</style><script>var ad='x'; track();</script></head><body>"
        "<header><h1>免费小说网</h1></header>"
        "<nav><ul><li><a href='/'>首页</a></li><li><a href='/top'>排行榜</a></li></ul></nav>"
        f"<div class='main'><h2>{title}</h2>{''.join(body)}</div>"
        f"<aside class='sidebar'>{filler(200, 'zh')}</aside>"
        f"<div id='comments'><ul>{comments}</ul></div>"
        "<footer>Copyright pirate site</footer></body></html>"
    )


# ----------------------------------------------------------------------------------------- video

_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, what a decoder's grey output carries


@dataclass(frozen=True)
class SynthFrame:
    """A decoded frame: time in seconds and a grey image (float32 in [0, 1], or uint8)."""

    t: float
    image: np.ndarray


class SyntheticVideo:
    """``synth_video_frames(seed, seconds)`` held in memory as grey frames, sampled at will.

    The frames are rendered once at ``render_fps`` (20: every 2 fps sample of a copy played at
    1.1x falls on a rendered frame) and stored as uint8; ``frames`` samples them at any rate,
    start and playback speed, as decoding a sped-up copy at a fixed rate would.
    """

    def __init__(
        self,
        seed: int,
        seconds: float,
        *,
        height: int = 72,
        width: int = 128,
        render_fps: float = 20.0,
    ) -> None:
        rendered = synth_video_frames(seed, seconds, fps=render_fps, size=(width, height))
        self._grey = np.stack([np.rint(rgb @ _LUMA).astype(np.uint8) for rgb in rendered])
        self.seconds = seconds
        self.height, self.width = height, width
        self.render_fps = render_fps

    def frame(self, t: float) -> np.ndarray:
        """The picture at time ``t`` (float32 in [0, 1]): the rendered frame nearest ``t``."""
        index = min(max(round(t * self.render_fps), 0), len(self._grey) - 1)
        return self._grey[index].astype(np.float32) / 255.0

    def frames(
        self, fps: float, start: float = 0.0, end: float | None = None, speed: float = 1.0
    ) -> list[SynthFrame]:
        """Frames sampled at ``fps`` of a copy playing ``speed`` times faster from ``start``.

        Frame times are in the copy's own clock (starting at 0).
        """
        end = self.seconds if end is None else min(end, self.seconds)
        n = int(np.floor((end - start) / speed * fps + 1e-9))
        return [SynthFrame(i / fps, self.frame(start + i / fps * speed)) for i in range(n)]


def concat(*parts: list[SynthFrame], fps: float) -> list[SynthFrame]:
    """Frame lists played one after another, re-timed at ``fps``."""
    images = [f.image for part in parts for f in part]
    return [SynthFrame(i / fps, img) for i, img in enumerate(images)]


def transform(
    frames: list[SynthFrame], how: str, seed: int = 0, *, crop: float = 0.05
) -> list[SynthFrame]:
    """Apply one pirate transformation to every frame.

    ``how``: ``reencode`` (noise, contrast and brightness change, 8-bit), ``scale`` (half size),
    ``crop`` (``crop`` of each dimension, half off each side), ``flip`` (mirror),
    ``letterbox`` (black bars top and bottom).
    """
    rng = np.random.default_rng(seed)
    out = []
    for f in frames:
        img = f.image.astype(np.float32)
        if how == "reencode":
            img = np.clip(0.85 * img + 0.08 + rng.normal(0, 0.02, img.shape), 0, 1)
            img = (img * 255).round().astype(np.uint8)
        elif how == "scale":
            h, w = img.shape[0] // 2 * 2, img.shape[1] // 2 * 2
            img = img[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        elif how == "crop":
            dh, dw = round(img.shape[0] * crop / 2), round(img.shape[1] * crop / 2)
            img = img[dh : img.shape[0] - dh, dw : img.shape[1] - dw]
        elif how == "flip":
            img = img[:, ::-1]
        elif how == "letterbox":
            bar = np.zeros((img.shape[0] // 6, img.shape[1]), dtype=img.dtype)
            img = np.vstack([bar, img, bar])
        else:
            raise ValueError(f"unknown transformation {how!r}")
        out.append(SynthFrame(f.t, np.ascontiguousarray(img)))
    return out
