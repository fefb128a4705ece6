"""Video frame hashes: pirate transformations still match, unrelated video does not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from jianwang.index import BinaryIndex
from jianwang.matching import match
from jianwang.media.picture import LogoAndCaption
from jianwang.signals.example_media import SyntheticVideo, SynthFrame, concat, transform
from jianwang.signals.inset import find_inset
from jianwang.signals.video import (
    VideoFrameHash,
    black_level,
    crop_black_bars,
    hash_region,
    resize_area,
    settled_boxes,
)

FPS = 2.0


@pytest.fixture(scope="module")
def signal() -> VideoFrameHash:
    return VideoFrameHash()


@pytest.fixture(scope="module")
def videos() -> list[SyntheticVideo]:
    return [SyntheticVideo(900 + i, 60.0) for i in range(8)]


@pytest.fixture(scope="module")
def index(signal: VideoFrameHash, videos: list[SyntheticVideo]) -> BinaryIndex:
    idx = signal.new_index()
    for i, video in enumerate(videos):
        signal.add_to_index(idx, i, signal.fingerprint_decoded(video.frames(FPS)))
    assert isinstance(idx, BinaryIndex)
    return idx


@pytest.mark.parametrize("how", ["reencode", "scale", "crop", "flip", "letterbox"])
def test_transformed_excerpts_match_at_the_right_place(
    signal: VideoFrameHash, videos: list[SyntheticVideo], index: BinaryIndex, how: str
) -> None:
    clip = transform(videos[3].frames(FPS, 30.0, 42.0), how, seed=2)
    found = match(signal, index, signal.fingerprint_decoded(clip))
    assert found and found[0].item_id == 3
    assert found[0].ref_start == pytest.approx(30.0, abs=1.0)
    assert found[0].ref_end == pytest.approx(41.5, abs=1.0)
    assert found[0].speed == pytest.approx(1.0, abs=0.05)


def test_heavier_crop_still_matches(
    signal: VideoFrameHash, videos: list[SyntheticVideo], index: BinaryIndex
) -> None:
    clip = transform(videos[4].frames(FPS, 20.0, 35.0), "crop", crop=0.10)
    found = match(signal, index, signal.fingerprint_decoded(clip))
    assert found and found[0].item_id == 4
    assert found[0].ref_start - found[0].query_start == pytest.approx(20.0, abs=1.0)


def test_a_copy_cropped_by_a_tenth_is_looked_up_as_cropped(
    signal: VideoFrameHash, videos: list[SyntheticVideo]
) -> None:
    # The reference stores the central region's hash; the query's "zoomed" hash widens the
    # region by 1/0.9, so it covers the same part of the picture again.
    frames = videos[4].frames(FPS, 20.0, 30.0)
    cropped = signal.fingerprint_decoded(transform(frames, "crop", crop=0.10))
    original = signal.fingerprint_decoded(frames)
    as_seen = np.bitwise_count(cropped.codes ^ original.codes).mean()
    as_cropped = np.bitwise_count(cropped.extra["zoomed"] ^ original.codes).mean()
    assert as_cropped < as_seen
    assert as_cropped <= 6


def test_logo_and_subtitle_bar_do_not_hide_the_copy(
    signal: VideoFrameHash, videos: list[SyntheticVideo], index: BinaryIndex
) -> None:
    frames = videos[2].frames(FPS, 15.0, 30.0)
    overlay = LogoAndCaption(128, 72, seed=3, corner=1)
    branded = []
    for f in frames:
        rgb = np.repeat((f.image[..., None] * 255).round().astype(np.uint8), 3, axis=2)
        branded.append(SynthFrame(f.t, overlay(rgb, f.t)))
    found = match(signal, index, signal.fingerprint_decoded(branded))
    assert found and found[0].item_id == 2
    assert found[0].ref_start - found[0].query_start == pytest.approx(15.0, abs=1.0)


def test_sped_up_copy_matches_with_its_speed(
    signal: VideoFrameHash, videos: list[SyntheticVideo], index: BinaryIndex
) -> None:
    clip = transform(videos[5].frames(FPS, 10.0, 40.0, speed=1.1), "reencode")
    found = match(signal, index, signal.fingerprint_decoded(clip))
    assert found and found[0].item_id == 5
    assert found[0].speed == pytest.approx(1.1, abs=0.04)
    assert found[0].ref_start == pytest.approx(10.0, abs=1.5)


def test_excerpt_inside_unrelated_video_is_localised(
    signal: VideoFrameHash, videos: list[SyntheticVideo], index: BinaryIndex
) -> None:
    filler = SyntheticVideo(4242, 40.0)
    clip = concat(
        filler.frames(FPS, 0.0, 20.0),
        videos[6].frames(FPS, 12.0, 24.0),
        filler.frames(FPS, 20.0, 40.0),
        fps=FPS,
    )
    found = match(signal, index, signal.fingerprint_decoded(clip))
    assert [m.item_id for m in found] == [6]
    assert found[0].query_start == pytest.approx(20.0, abs=1.0)
    assert found[0].query_end == pytest.approx(31.5, abs=1.0)
    assert found[0].ref_start == pytest.approx(12.0, abs=1.0)


def test_unrelated_videos_never_match(signal: VideoFrameHash, index: BinaryIndex) -> None:
    false_matches = []
    for k in range(30):
        clip = SyntheticVideo(20_000 + k, 20.0).frames(FPS)
        if k % 3 == 1:
            clip = transform(clip, "flip")
        false_matches += match(signal, index, signal.fingerprint_decoded(clip))
    assert false_matches == []


def test_uniform_frames_are_skipped(signal: VideoFrameHash, index: BinaryIndex) -> None:
    frames = [SynthFrame(i / FPS, np.full((72, 128), 0.4 * (i % 2), np.float32)) for i in range(40)]
    fp = signal.fingerprint_decoded(frames)
    assert fp.empty and fp.length == pytest.approx(20.0)
    assert match(signal, index, fp) == []


def test_rgb_and_uint8_frames_hash_like_grey_float(
    signal: VideoFrameHash, videos: list[SyntheticVideo]
) -> None:
    grey = videos[0].frame(7.3)
    rgb = (np.repeat(grey[..., None], 3, axis=2) * 255).round().astype(np.uint8)
    a, b = signal.frame_hashes(grey), signal.frame_hashes(rgb)
    assert a is not None and b is not None
    assert int(np.bitwise_count(a[0] ^ b[0])) <= 2


def test_flipped_hash_is_the_hash_of_the_mirrored_frame(
    signal: VideoFrameHash, videos: list[SyntheticVideo]
) -> None:
    img = videos[1].frame(3.0)
    plain, mirrored = signal.frame_hashes(img), signal.frame_hashes(img[:, ::-1])
    assert plain is not None and mirrored is not None
    assert int(np.bitwise_count(plain[1] ^ mirrored[0])) <= 2
    assert int(np.bitwise_count(plain[0] ^ mirrored[0])) > 12


def test_grey_bars_of_a_brightened_copy_are_cut_too() -> None:
    picture = np.random.default_rng(1).uniform(0.0, 0.8, (50, 80))
    boxed = np.zeros((70, 80))
    boxed[10:60] = picture
    brighter = np.clip(boxed * 0.9 + 0.12, 0, 1)  # black bars are now grey
    assert crop_black_bars(boxed, 0.08).shape == (50, 80)
    assert crop_black_bars(brighter, 0.08).shape == (70, 80)
    assert crop_black_bars(brighter, 0.08, black=black_level(brighter)).shape == (50, 80)


def test_a_brightened_letterboxed_copy_is_looked_up_without_its_grey_bars(
    signal: VideoFrameHash, videos: list[SyntheticVideo], index: BinaryIndex
) -> None:
    clip = transform(videos[7].frames(FPS, 5.0, 20.0), "letterbox")
    grey = [SynthFrame(f.t, np.clip(f.image * 0.85 + 0.12, 0, 1)) for f in clip]
    fp = signal.fingerprint_decoded(grey)
    assert fp.extra["has_grey_bars"].mean() > 0.9
    found = match(signal, index, fp)
    assert found and found[0].item_id == 7


def test_bar_boxes_that_flicker_settle_and_other_bars_stay() -> None:
    shape = (240, 320)
    boxes = [(23, 240, 0, 320), (27, 240, 0, 320), (28, 240, 0, 320), (26, 240, 0, 320)]
    boxed = (60, 180, 0, 320)  # a copy letterboxed inside other video
    settled = settled_boxes([*boxes, boxed], [shape] * 5)
    assert settled[:4] == [(27, 240, 0, 320)] * 4  # the median of all five
    assert settled[4] == boxed


def test_hash_region_is_symmetric_and_widens_for_a_cropped_copy() -> None:
    img = np.arange(100 * 101, dtype=float).reshape(100, 101)
    region = (0.1, 0.8, 0.2, 0.8)
    part = hash_region(img, region)
    mirrored = hash_region(img[:, ::-1], region)
    assert np.array_equal(part[:, ::-1], mirrored)
    wider = hash_region(img, region, shown=0.9)
    assert wider.shape[0] > part.shape[0] and wider.shape[1] > part.shape[1]
    assert hash_region(img, (0.0, 1.0, 0.0, 1.0), shown=0.5).shape == img.shape


def test_black_bars_are_cut_but_dark_pictures_are_kept() -> None:
    picture = np.random.default_rng(0).uniform(0.2, 0.9, (50, 80))
    boxed = np.zeros((70, 100))
    boxed[10:60, 10:90] = picture
    assert crop_black_bars(boxed, 0.08).shape == (50, 80)
    night = np.zeros((60, 60))
    night[25:30, 25:30] = 0.5
    assert crop_black_bars(night, 0.08).shape == (60, 60)
    assert resize_area(picture, 32).shape == (32, 32)
    assert resize_area(picture[:10, :10], 32).mean() == pytest.approx(
        picture[:10, :10].mean(), abs=0.02
    )


def test_fingerprint_of_an_encoded_file(
    signal: VideoFrameHash, videos: list[SyntheticVideo], index: BinaryIndex, tmp_path: Path
) -> None:
    encode = pytest.importorskip("jianwang.media.encode")
    rgb = [
        np.repeat((f.image[..., None] * 255).round().astype(np.uint8), 3, axis=2)
        for f in videos[2].frames(10.0, 5.0, 17.0)
    ]
    path = tmp_path / "copy.mp4"
    encode.write_video(path, rgb, 10.0)
    found = match(signal, index, signal.fingerprint(path))
    assert found and found[0].item_id == 2
    assert found[0].ref_start - found[0].query_start == pytest.approx(5.0, abs=1.0)


def _picture_in_picture(
    background: list[SynthFrame], copy: list[SynthFrame], x: int, y: int
) -> list[SynthFrame]:
    """``copy`` halved (2x2 averages) and pasted over ``background`` with its corner at x, y."""
    out = []
    for back, front in zip(background, copy, strict=False):
        image = back.image.copy()
        h, w = front.image.shape[0] // 2, front.image.shape[1] // 2
        small = front.image[: 2 * h, : 2 * w].reshape(h, 2, w, 2).mean(axis=(1, 3))
        image[y : y + h, x : x + w] = small
        out.append(SynthFrame(back.t, image))
    return out


@pytest.mark.parametrize(("x", "y"), [(60, 32), (10, 6), (30, 18), (0, 20), (40, 36)])
def test_a_film_in_a_window_over_other_video_is_found(
    signal: VideoFrameHash, videos: list[SyntheticVideo], index: BinaryIndex, x: int, y: int
) -> None:
    other = SyntheticVideo(4242, 40.0)
    clip = _picture_in_picture(
        other.frames(FPS, 0.0, 30.0), videos[5].frames(FPS, 12.0, 42.0), x, y
    )
    fp = signal.fingerprint_decoded(clip)
    assert fp.extra["has_inset"].mean() > 0.9
    found = match(signal, index, fp)
    assert found and found[0].item_id == 5
    assert found[0].ref_start - found[0].query_start == pytest.approx(12.0, abs=1.0)


def test_inset_borders_are_found_where_they_are() -> None:
    rng = np.random.default_rng(8)

    def smooth(shape: tuple[int, int]) -> np.ndarray:
        field = ndimage.gaussian_filter(rng.uniform(0, 1, shape), 5, mode="wrap")
        return (field - field.min()) / (np.ptp(field) + 1e-9)

    frames = []
    for _ in range(20):
        image = smooth((90, 160)).astype(np.float32)
        image[30:75, 0:80] = smooth((45, 80))
        frames.append(image)
    # The window touches the left edge: three borders are enough.
    assert find_inset(frames) == (30, 75, 0, 80)
    assert find_inset(frames[:3]) is None  # too few frames to tell a border from an edge


def test_no_inset_is_invented_in_plain_video(
    signal: VideoFrameHash, videos: list[SyntheticVideo]
) -> None:
    for video in videos[:4]:
        fp = signal.fingerprint_decoded(video.frames(FPS))
        assert fp.extra["has_inset"].mean() < 0.5


def test_a_slow_pan_is_found_although_its_frames_resemble_each_other(
    signal: VideoFrameHash, videos: list[SyntheticVideo], index: BinaryIndex
) -> None:
    # Every frame of a slow pan is within the match distance of its neighbours, so each query
    # frame hits a run of reference frames: the item's own pairs are no measure of chance.
    still = np.kron(np.random.default_rng(5).random((18, 40)), np.ones((8, 8)))
    pan = [SynthFrame(i / FPS, still[:, i : i + 192].astype(np.float32)) for i in range(40)]
    idx = signal.new_index()
    for i, video in enumerate(videos[:3]):
        signal.add_to_index(idx, i, signal.fingerprint_decoded(video.frames(FPS)))
    signal.add_to_index(idx, 7, signal.fingerprint_decoded(pan))
    found = match(signal, idx, signal.fingerprint_decoded(pan[5:35]))
    assert found and found[0].item_id == 7
