"""The video benchmark end to end on a small corpus of synthetic films it writes itself."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from jianwang.bench.corpus import split_corpus
from jianwang.bench.video import (
    TRANSFORM_NAMES,
    VideoBenchSettings,
    VideoQuery,
    make_query,
    plan_queries,
    read_video_corpus,
    run_video_bench,
    span_iou,
)
from jianwang.bench.video.conditions import transform_named
from jianwang.cli.main import run
from jianwang.media import iter_frames, probe

from media_factory import film

FILMS = 5
SECONDS = 14.0
REQUIRED = (
    "detected",
    "false_positive_rate",
    "segment_iou",
    "x_realtime_1080p",
    "x_realtime_480p",
    "bytes_per_hour",
    "lookup_ms_per_frame",
    "index_frames",
    "detected_counts",
    "miss_examples",
    "unrelated_pairs",
    "lookup",
    "targets",
    "peers",
    "settings",
    "seed",
    "wall_s",
    "cpu_s",
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five 14 s films (one listed as a synthetic kind), a 3 s sting, a byte-identical copy,
    a missing file and an audio row."""
    root = tmp_path_factory.mktemp("vcorpus")
    (root / "video").mkdir()
    rows = []
    for i in range(FILMS):
        name = f"video/film{i}.mp4"
        film(root / name, 700 + i, SECONDS)
        rows.append((name, "video-synth(test)" if i == 0 else "video", SECONDS))
    film(root / "video/sting.mp4", 800, 3.0)
    rows.append(("video/sting.mp4", "video", 3.0))
    (root / "video/film1-copy.mp4").write_bytes((root / "video/film1.mp4").read_bytes())
    rows.append(("video/film1-copy.mp4", "video", SECONDS))
    rows.append(("video/gone.mp4", "video", 9.0))
    rows.append(("audio/song.opus", "audio", 30.0))
    with (root / "MANIFEST.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "kind", "duration_s_or_chars", "resolution", "license"])
        for name, kind, duration in rows:
            writer.writerow([name, kind, duration, "192x144", "synthetic"])
    return root


def _settings(**changes: object) -> VideoBenchSettings:
    """A run of seconds: short excerpts and capture, one filler, a small lookup index."""
    small = VideoBenchSettings(
        transforms=("reencode", "flip", "letterbox", "embedded"),
        excerpt_s=(10.0, 13.0),
        embed_copy_s=12.0,
        capture_s=30.0,
        capture_size=(256, 144),
        fillers=1,
        filler_s=20.0,
        speed_clip_s=1.0,
        lookup_frames=20_000,
        workers=1,
    )
    return replace(small, **changes)  # type: ignore[arg-type]


def test_split_is_seeded_by_whole_clip_and_drops_duplicates(corpus: Path) -> None:
    clips, skipped = read_video_corpus(corpus)
    assert [s.file for s in skipped] == ["video/gone.mp4"]
    assert "video/film0.mp4" in {c.file for c in clips}  # a video-synth kind is video
    assert "audio/song.opus" not in {c.file for c in clips}
    split = split_corpus(clips, seed=2026, holdout=1 / 3, min_track_s=5.0)
    assert split == split_corpus(clips, seed=2026, holdout=1 / 3, min_track_s=5.0)
    assert [(d.file, d.same_as) for d in split.duplicates] == [
        ("video/film1.mp4", "video/film1-copy.mp4")
    ]
    refs = {t.file for t in split.references}
    negs = {t.file for t in split.negatives}
    assert not refs & negs
    assert len(refs) == 3 and len(negs) == 3  # 5 films, 2 held back, plus the sting
    assert "video/sting.mp4" in negs
    splits = {
        frozenset(
            t.file for t in split_corpus(clips, seed=s, holdout=1 / 3, min_track_s=5.0).negatives
        )
        for s in range(8)
    }
    assert len(splits) > 1


def test_plan_is_seeded_and_places_every_copy(corpus: Path) -> None:
    clips, _ = read_video_corpus(corpus)
    split = split_corpus(clips, seed=1, holdout=1 / 3, min_track_s=5.0)
    refs = list(enumerate(split.references))
    settings = VideoBenchSettings(fillers=2, filler_s=130.0)
    transforms = settings.active_transforms()

    def plan(seed: int) -> list[VideoQuery]:
        return plan_queries(
            refs, split.negatives, settings, transforms, np.random.default_rng(seed)
        )

    first = plan(3)
    assert first == plan(3) and first != plan(4)
    positives = [q for q in first if q.positive]
    assert len(positives) == len(refs) * len(TRANSFORM_NAMES)
    assert [q.kind for q in first if not q.positive] == ["heldback"] * 3 + ["filler"] * 2
    assert all(q.copy_s >= 120.0 for q in first if q.kind == "filler")
    for q in positives:
        span = q.true_span
        assert span is not None and span[1] - span[0] == pytest.approx(q.copy_s)
        t = transform_named(q.kind)
        if q.kind == "embedded":
            assert span[0] >= 0.0 and span[1] <= settings.capture_s + 1e-9
            assert q.backgrounds and set(q.backgrounds) <= {n.path for n in split.negatives}
        else:
            assert span[0] == 0.0
            assert q.duration_s is not None and 10.0 * t.speed <= q.duration_s  # 10-20 s excerpt
            assert q.start_s + q.duration_s <= SECONDS
            assert q.copy_s == pytest.approx(q.duration_s / t.speed)


def test_copies_have_the_promised_shape(corpus: Path, tmp_path: Path) -> None:
    source = corpus / "video/film2.mp4"
    settings = _settings()
    base = VideoQuery("flip", "video/film2.mp4", source, 0, 2.0, 6.0, 6.0, seed=11)
    boxed = make_query(replace(base, kind="letterbox"), tmp_path / "lb.mp4", settings)
    info = probe(boxed.path)
    assert (info.width, info.height) in {(192, 108), (192, 80)}  # 16:9 or 2.35:1 around 4:3
    frame = next(iter_frames(boxed.path, size=None, grey=True, start_s=1.0))
    assert frame.image[:, :8].max() < 30  # black side bars
    assert boxed.seconds == pytest.approx(6.0, abs=0.1) and boxed.span == (0.0, boxed.seconds)
    small = make_query(replace(base, kind="reencode"), tmp_path / "re.mp4", settings)
    info = probe(small.path)
    assert (info.width, info.height, info.fps) == (96, 72, 15.0)
    placed = replace(base, kind="embedded", placed_at_s=5.0, backgrounds=(source,))
    capture = make_query(placed, tmp_path / "em.mp4", settings)
    assert capture.size == settings.capture_size
    assert capture.seconds == pytest.approx(settings.capture_s, abs=0.05)
    assert capture.span == pytest.approx((5.0, 11.0), abs=0.05)
    filler = VideoQuery("filler", "synthetic:1", None, None, 0.0, None, 8.0, 1, size=(160, 96))
    made = make_query(filler, tmp_path / "fill.mp4", settings)
    assert made.span is None and made.size == (160, 96)
    assert made.seconds == pytest.approx(8.0)


def test_span_iou() -> None:
    assert span_iou((0.0, 10.0), (5.0, 15.0)) == pytest.approx(1 / 3)
    assert span_iou((0.0, 1.0), (2.0, 3.0)) == 0.0
    assert span_iou((2.0, 4.0), (2.0, 4.0)) == 1.0


def test_run_video_bench_on_a_small_corpus(corpus: Path, tmp_path: Path) -> None:
    stages: list[str] = []
    began = time.perf_counter()
    result = run_video_bench(
        corpus,
        seed=7,
        settings=_settings(),
        progress=lambda stage, done, total: stages.append(stage),
    )
    assert time.perf_counter() - began < 60
    doc = json.loads(json.dumps(result.to_json()))
    for key in REQUIRED:
        assert key in doc, key
    assert doc["benchmark"] == "video" and doc["signal"]["name"] == "video.dcthash"
    assert doc["transforms"] == ["reencode", "flip", "letterbox", "embedded"]
    assert set(doc["detected"]) == set(doc["transforms"])
    for name, counts in doc["detected_counts"].items():
        assert counts["queries"] == 3, name
        assert doc["detected"][name] == pytest.approx(counts["detected"] / 3, abs=1e-3)
    assert doc["detected"]["reencode"] == 1.0  # a low-bitrate, half-size copy is found
    assert doc["detected"]["flip"] >= 2 / 3
    assert doc["detected"]["embedded"] >= 2 / 3  # and found where it sits in the capture
    assert doc["segment_iou"] > 0.5
    assert doc["negative_queries"] == 4  # three held-back clips and one filler
    assert doc["negative_queries_by_kind"] == {"filler": 1, "heldback": 3}
    assert doc["unrelated_pairs"] == 4 * 3
    assert doc["false_positive_rate"] == 0.0
    assert doc["segment_iou"] <= 1.0
    assert doc["x_realtime_1080p"] > 0 and doc["x_realtime_480p"] > doc["x_realtime_1080p"]
    assert doc["speed"]["1080p"]["source"].startswith("synthetic:")  # test films are 12 fps
    assert doc["index_frames"] == 80_000  # 20 000, twice and four times as many
    measured = doc["lookup"]["measured"]
    assert [m["index_frames"] for m in measured] == [20_000, 40_000, 80_000]
    assert all(m["ms_per_frame"] > 0 for m in measured)
    largest = measured[-1]["ms_per_frame"]
    assert doc["lookup"]["proportional_ms_per_frame"] == pytest.approx(
        largest * 15_000_000 / 80_000, rel=1e-2
    )
    assert doc["lookup_ms_per_frame"] == doc["lookup"]["ms_per_frame"] > 0
    assert 0 < doc["bytes_per_hour"] < 10_000_000
    assert doc["index"]["clips"] == 3 and doc["index"]["frames"] > 0
    assert doc["split"]["duplicates"] == [
        {"file": "video/film1.mp4", "same_as": "video/film1-copy.mp4"}
    ]
    assert [s["file"] for s in doc["skipped"]] == ["video/gone.mp4"]
    assert doc["errors"] == 0 and doc["queries"] == 4 * 3 + 4
    assert doc["targets"]["detected"]["camcorder"] == 0.8
    assert doc["peers"]["videohash"]["flip"] == 0.83
    assert {"indexing", "querying", "costs"} <= set(stages)
    reencode = result.score("reencode")
    assert reencode is not None and reencode.mean_speed == pytest.approx(1.0, abs=0.06)


def test_cli_writes_json_and_prints_it(
    corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two worker processes: the pool path, with outcomes pickled back to this process.
    small = _settings(transforms=("reencode", "speed1.1"), fillers=0, workers=2)
    monkeypatch.setattr(VideoBenchSettings, "quick", classmethod(lambda cls: small))
    out = tmp_path / "out.json"
    argv = ["--data-dir", str(tmp_path / "data"), "bench", "video", "--corpus", str(corpus)]
    assert run([*argv, "--out", str(out), "--quick", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text(encoding="utf-8"))
    assert printed["quick"] is True and printed["transforms"] == ["reencode", "speed1.1"]
    assert printed["queries"] == 2 * 3 + 3
    in_process = replace(small, workers=1, transforms=("reencode",))
    monkeypatch.setattr(VideoBenchSettings, "quick", classmethod(lambda cls: in_process))
    assert run([*argv, "--out", str(out), "--quick"]) == 0
    table = capsys.readouterr().out
    assert "reencode" in table and "false positives" in table and "TMK+PDQF" in table
    assert run(["bench", "video", "--corpus", str(tmp_path / "nope"), "--out", str(out)]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["bench", "video", "--corpus", str(empty), "--out", str(out)]) == 2
    assert "MANIFEST.csv" in capsys.readouterr().err


def test_settings_refuse_nonsense() -> None:
    from jianwang.errors import UserError

    with pytest.raises(UserError, match="unknown transforms"):
        VideoBenchSettings(transforms=("mirror",))
    with pytest.raises(UserError, match="holdout"):
        VideoBenchSettings(holdout=1.0)
    quick = VideoBenchSettings.quick()
    assert quick.max_references == 3 and quick.lookup_frames >= 1_000_000
