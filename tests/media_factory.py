"""Small real media for the tests, synthesised and encoded on the spot (never from ../shared)."""

from __future__ import annotations

from pathlib import Path

from jianwang.media.encode import write_audio
from jianwang.media.synth import synth_music, synth_prose, synth_video

RATE = 22050


def song(path: Path, seed: int, seconds: float = 20.0) -> Path:
    """An AAC or MP3 song (by suffix) of synthesised music."""
    return write_audio(path, synth_music(seed, seconds, sample_rate=RATE), RATE)


def film(path: Path, seed: int, seconds: float = 16.0) -> Path:
    """A small H.264 + AAC film of moving pictures with a soundtrack."""
    return synth_video(path, seed, seconds, fps=12.0, size=(192, 144))


def chapter(path: Path, seed: int, lang: str = "zh", chars: int = 2500) -> Path:
    """A novel chapter as a UTF-8 text file."""
    path.write_text(
        synth_prose(seed, lang=lang, n_chapters=1, chapter_chars=chars)[0], encoding="utf-8"
    )
    return path
