"""Audio landmarks: identification under the transformations pirates use, and no false matches."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from jianwang.index import HashIndex
from jianwang.matching import match
from jianwang.media.synth import synth_music
from jianwang.signals.audio import AudioLandmarks
from jianwang.signals.example_media import add_noise, change_speed, reencode

SR = 8000
# Known weakness, kept visible (strict: this fails today and must be unmarked once fixed). The
# music of ``jianwang.media.synth`` repeats its accompaniment (pads, bass, drums) bar after bar
# on exact equal-tempered pitches, as loop-based productions do. Two unrelated songs whose tempos
# lie within the ±6% speed search then line up on many landmarks for a few bars: the Poisson
# chance model assumes scattered offsets. The aligned-rate guard (3.5 anchor times a second)
# removes most of these, not all: measured, 3 of 30 unrelated 10 s songs here and 19 of 200
# songs of 5-30 s still match over 3.5-8.6 s spans. The audio issue replaces this rule.
PERIODIC_MUSIC = pytest.mark.xfail(
    strict=True,
    reason="audio.landmarks decision rule cannot yet tell repeated accompaniment from a copy",
)
N_REFS = 12
REF_SECONDS = 40.0


@pytest.fixture(scope="module")
def signal() -> AudioLandmarks:
    return AudioLandmarks()


@pytest.fixture(scope="module")
def refs() -> list[np.ndarray]:
    return [synth_music(500 + i, REF_SECONDS, sample_rate=SR) for i in range(N_REFS)]


@pytest.fixture(scope="module")
def index(signal: AudioLandmarks, refs: list[np.ndarray]) -> HashIndex:
    idx = signal.new_index()
    for i, pcm in enumerate(refs):
        signal.add_to_index(idx, i, signal.fingerprint_decoded(pcm))
    assert isinstance(idx, HashIndex)
    return idx


def _excerpt(pcm: np.ndarray, start: float, seconds: float) -> np.ndarray:
    return pcm[round(start * SR) : round((start + seconds) * SR)]


@pytest.mark.parametrize(
    ("speed", "noise_db", "codec"),
    [
        (1.0, None, False),
        (1.0, 10.0, False),
        (1.0, None, True),
        (1.05, None, False),
        (0.95, None, False),
        (1.03, 10.0, True),
        (0.97, 10.0, False),
    ],
)
def test_ten_second_excerpts_from_anywhere_are_identified(
    signal: AudioLandmarks,
    refs: list[np.ndarray],
    index: HashIndex,
    speed: float,
    noise_db: float | None,
    codec: bool,
) -> None:
    rng = np.random.default_rng(round(speed * 100 + (noise_db or 0)))
    for item in (1, 8):
        start = float(rng.uniform(0, REF_SECONDS - 11 * speed))
        clip = change_speed(_excerpt(refs[item], start, 10.0 * speed), speed)
        if codec:
            clip = reencode(clip, SR)
        if noise_db is not None:
            clip = add_noise(clip, noise_db, seed=item)
        found = match(signal, index, signal.fingerprint_decoded(clip))
        assert found, f"item {item} at {start:.1f}s, speed {speed}, noise {noise_db}"
        best = found[0]
        assert best.item_id == item
        assert best.speed == pytest.approx(speed, abs=0.01)
        assert best.score >= 20
        # The query's start maps onto the excerpt's start in the reference.
        ref_at_query_zero = best.ref_start - best.speed * best.query_start
        assert ref_at_query_zero == pytest.approx(start, abs=0.3)
        assert best.ref_end - best.ref_start > 7.0


@PERIODIC_MUSIC
def test_random_unrelated_queries_never_match(signal: AudioLandmarks, index: HashIndex) -> None:
    rng = np.random.default_rng(99)
    false_matches = []
    for k in range(40):
        if k % 4 == 0:
            clip = rng.normal(0, 0.2, 10 * SR).astype(np.float32)
        else:
            clip = change_speed(
                synth_music(10_000 + k, 10.5, sample_rate=SR), float(rng.uniform(0.95, 1.05))
            )
        false_matches += match(signal, index, signal.fingerprint_decoded(clip))
    assert false_matches == []


@pytest.mark.parametrize("seconds", [0.0, 0.01, 0.2, 10.0])
def test_silence_and_tiny_inputs_give_empty_fingerprints(
    signal: AudioLandmarks, index: HashIndex, seconds: float
) -> None:
    fp = signal.fingerprint_decoded(np.zeros(round(seconds * SR), dtype=np.float32))
    assert fp.empty
    assert fp.length == pytest.approx(seconds)
    assert match(signal, index, fp) == []
    assert signal.query_codes(fp)[0].size == 0


def test_stereo_is_refused(signal: AudioLandmarks) -> None:
    with pytest.raises(ValueError, match="mono"):
        signal.fingerprint_decoded(np.zeros((100, 2), dtype=np.float32))


def test_query_codes_contain_the_plain_hashes_and_speed_variants(signal: AudioLandmarks) -> None:
    fp = signal.fingerprint_decoded(synth_music(3, 5.0, sample_rate=SR))
    codes, positions = signal.query_codes(fp)
    assert np.isin(fp.codes, codes).all()
    assert codes.size > 5 * fp.codes.size
    assert set(np.unique(positions)) == set(np.unique(fp.positions))


def test_fingerprinting_is_much_faster_than_real_time(
    signal: AudioLandmarks, refs: list[np.ndarray]
) -> None:
    started = time.perf_counter()
    signal.fingerprint_decoded(refs[0])
    elapsed = time.perf_counter() - started
    assert REF_SECONDS / elapsed > 50


def test_fingerprint_of_an_encoded_file(
    signal: AudioLandmarks, refs: list[np.ndarray], index: HashIndex, tmp_path: Path
) -> None:
    encode = pytest.importorskip("jianwang.media.encode")
    path = tmp_path / "copy.mp3"
    encode.write_audio(path, _excerpt(refs[5], 12.0, 12.0), SR)
    found = match(signal, index, signal.fingerprint(path))
    assert found and found[0].item_id == 5
    assert found[0].ref_start - found[0].query_start == pytest.approx(12.0, abs=0.3)
