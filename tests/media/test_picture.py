"""Picture edits on arrays: sizes, bars, overlays, warps and colour changes do what they say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jianwang.media import Transform, picture, retimed_frames, write_video


def _scene(width: int = 160, height: int = 120) -> np.ndarray:
    """A bright, textured frame: a horizontal ramp in red, a vertical one in green, blue flat."""
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = np.linspace(40, 220, width, dtype=np.uint8)[None, :]
    image[..., 1] = np.linspace(60, 200, height, dtype=np.uint8)[:, None]
    image[..., 2] = 128
    return image


def test_adjust_colour_identity_and_each_knob() -> None:
    image = _scene()
    assert np.array_equal(picture.adjust_colour(image), image)
    brighter = picture.adjust_colour(image, brightness=0.1)
    assert brighter.shape == image.shape and brighter.dtype == np.uint8
    assert picture.luma(brighter).mean() == pytest.approx(picture.luma(image).mean() + 25.5, abs=1)
    grey = picture.adjust_colour(image, saturation=0.0)
    assert np.ptp(grey.astype(int), axis=2).max() <= 2  # no chroma left
    punchy = picture.adjust_colour(image, contrast=1.5)
    assert picture.luma(punchy).std() > 1.4 * picture.luma(image).std()
    turned = picture.adjust_colour(image, hue_deg=60)
    assert not np.array_equal(turned, image)
    assert picture.luma(turned).mean() == pytest.approx(picture.luma(image).mean(), abs=3)
    warm = picture.adjust_colour(image, gains=(1.1, 1.0, 0.9))
    assert warm[..., 0].mean() > image[..., 0].mean() and warm[..., 2].mean() < 128


def test_letterbox_adds_black_bars_and_keeps_the_picture() -> None:
    image = _scene(160, 120)  # 4:3
    boxed = picture.letterbox(image, 16 / 9)
    assert boxed.shape == (90, 160, 3)
    # 4:3 shrunk to 90 rows is 120 wide: 20 black columns either side, picture in between.
    assert boxed[:, :19].max() == 0 and boxed[:, -19:].max() == 0
    assert boxed[:, 25:135].min() > 20
    wide = picture.letterbox(_scene(320, 120), 16 / 9)  # wider than 16:9: bars top and bottom
    assert wide.shape == (180, 320, 3)
    assert wide[:25].max() == 0 and wide[-25:].max() == 0 and wide[90].min() > 20
    assert picture.letterbox_size(320, 240, 2.35) == (320, 136)


def test_fit_into_centres_and_is_a_no_op_at_the_same_size() -> None:
    image = _scene(100, 100)
    fitted = picture.fit_into(image, 200, 100)
    assert fitted.shape == (100, 200, 3)
    assert fitted[:, :48].max() == 0 and fitted[:, 152:].max() == 0
    assert picture.fit_into(image, 100, 100) is image
    framed = picture.fit_into(image, 100, 100, fill=0.5, level=16)
    assert framed[0, 0].tolist() == [16, 16, 16] and framed[50, 50].max() > 16


def test_picture_in_picture_places_the_copy() -> None:
    background = np.full((120, 160, 3), 30, np.uint8)
    copy = np.full((120, 160, 3), 200, np.uint8)
    out = picture.picture_in_picture(background, copy, scale=0.5, x=1.0, y=0.0)
    assert out.shape == background.shape
    bright = np.argwhere(out[..., 0] == 200)
    assert bright.min(axis=0).tolist() == [0, 80] and bright.max(axis=0).tolist() == [59, 159]
    assert (out[..., 0] == 200).sum() == 60 * 80
    assert out[100, 10, 0] == 30
    clipped = picture.paste(background, copy[:50, :50], 140, 100)  # hangs off the edge
    assert clipped.shape == background.shape and clipped[119, 159, 0] == 200


def test_perspective_warp_moves_corners_and_keeps_the_middle() -> None:
    image = _scene(160, 120)
    still = picture.PerspectiveWarp(160, 120, np.zeros((4, 2)))
    assert np.abs(still(image).astype(int) - image).max() <= 1
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * 0.05
    warped = picture.PerspectiveWarp(160, 120, inward, level=16)(image)
    assert warped.shape == image.shape
    assert warped[0, 0].tolist() == [16, 16, 16]  # outside the moved picture: the dark room
    assert np.abs(warped[60, 80].astype(int) - image[60, 80]).max() <= 6
    with pytest.raises(ValueError, match="warp made for"):
        still(_scene(80, 60))
    h = picture.homography(
        np.array([[0, 0], [1, 0], [1, 1], [0, 1]]), np.array([[0, 0], [2, 0], [2, 2], [0, 2]])
    )
    assert np.allclose(h @ [1, 1, 1], [2, 2, 1])


def test_blur_and_noise() -> None:
    image = _scene()
    checker = np.indices((120, 160)).sum(axis=0) % 2 * 255
    sharp = np.repeat(checker[..., None], 3, axis=2).astype(np.uint8)
    assert picture.blur(sharp, 1.5).std() < 0.2 * sharp.std()
    assert picture.blur(image, 0) is image
    noisy = picture.add_noise(image, 5.0, np.random.default_rng(1))
    diff = noisy.astype(float) - image
    assert 4.0 < diff.std() < 6.0 and abs(diff.mean()) < 0.5
    again = picture.add_noise(image, 5.0, np.random.default_rng(1))
    assert np.array_equal(noisy, again)


def test_logo_and_caption_cover_a_corner_and_the_bottom() -> None:
    image = _scene(320, 240)
    brand = picture.LogoAndCaption(320, 240, seed=5, corner=1)
    out = brand(image, 0.0)
    assert out.shape == image.shape
    bar = out[240 - brand.bar_h :]
    assert (bar == 24).mean() > 0.5 and (bar == 235).any()  # dark strip with light "words"
    x, y = brand.logo_xy
    assert x > 160 and y < 40  # top right
    lh, lw = brand.logo.shape[:2]
    assert np.array_equal(out[y : y + lh, x : x + lw], brand.logo)
    assert np.array_equal(out[120:150, :100], image[120:150, :100])  # the rest untouched
    later = brand(image, 10.0)
    assert not np.array_equal(later[240 - brand.bar_h :], bar)  # the subtitle changed
    assert np.array_equal(brand(image, 0.5), out)  # same line, same frame


def test_retimed_frames_give_the_pictures_apply_transform_writes(tmp_path: Path) -> None:
    frames = [np.full((120, 160, 3), 10 * i, np.uint8) for i in range(20)]
    clip = write_video(tmp_path / "ramp.mp4", frames, 10.0)
    out = list(retimed_frames(clip, Transform(scale=0.5, hflip=True, speed=2.0)))
    assert len(out) == 10 and out[0].shape == (60, 80, 3)
    assert out[3].mean() == pytest.approx(60, abs=6)  # slot 3 shows source frame 6
