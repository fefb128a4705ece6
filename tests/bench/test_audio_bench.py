"""The audio benchmark end to end on a small corpus of synthesised music it writes itself."""

from __future__ import annotations

import csv
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from jianwang.bench.audio import (
    CONDITION_NAMES,
    AudioBenchSettings,
    best_correlation,
    read_corpus,
    run_audio_bench,
    split_corpus,
)
from jianwang.bench.report import Target, verdict, write_json
from jianwang.cli.main import run
from jianwang.media.encode import write_audio
from jianwang.media.synth import synth_music

RATE = 22050
TRACKS = 6
SECONDS = 30.0
REQUIRED = (
    "recall",
    "false_match_rate",
    "index_x_realtime_per_core",
    "query_ms_10s",
    "index_bytes_per_hour",
    "peak_rss_mb",
    "queries",
    "conditions",
    "targets",
    "peers",
    "offset_accuracy",
    "skipped",
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six 30 s tracks as Opus, a short jingle, a byte-identical copy, and a text row."""
    root = tmp_path_factory.mktemp("corpus")
    (root / "audio").mkdir()
    rows = []
    for i in range(TRACKS):
        name = f"audio/track{i}.opus"
        write_audio(root / name, synth_music(500 + i, SECONDS, sample_rate=RATE), RATE)
        rows.append((name, "audio", SECONDS))
    write_audio(root / "audio/jingle.opus", synth_music(600, 8.0, sample_rate=RATE), RATE)
    rows.append(("audio/jingle.opus", "audio", 8.0))
    (root / "audio/track0-copy.opus").write_bytes((root / "audio/track0.opus").read_bytes())
    rows.append(("audio/track0-copy.opus", "audio", SECONDS))
    rows.append(("text/missing.txt", "text", 1000))
    rows.append(("audio/gone.opus", "audio", 12.0))
    with (root / "MANIFEST.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "kind", "duration_s_or_chars", "resolution", "license"])
        for name, kind, duration in rows:
            writer.writerow([name, kind, duration, "", "synthetic"])
    return root


def _settings() -> AudioBenchSettings:
    return replace(AudioBenchSettings.quick(), queries_per_condition=5, negative_queries=24)


def test_split_is_seeded_by_whole_track_and_drops_duplicates(corpus: Path) -> None:
    tracks, skipped = read_corpus(corpus)
    assert [s.file for s in skipped] == ["audio/gone.opus"]
    split = split_corpus(tracks, seed=2026, holdout=0.2, min_track_s=20.0)
    again = split_corpus(tracks, seed=2026, holdout=0.2, min_track_s=20.0)
    assert split == again
    assert [(d.file, d.same_as) for d in split.duplicates] == [
        ("audio/track0.opus", "audio/track0-copy.opus")
    ]
    refs = {t.file for t in split.references}
    negs = {t.file for t in split.negatives}
    assert not refs & negs
    assert len(refs) == 5 and len(negs) == 2  # 6 tracks, one held back, plus the jingle
    assert "audio/jingle.opus" in negs
    others = {
        frozenset(
            t.file for t in split_corpus(tracks, seed=s, holdout=0.2, min_track_s=20.0).negatives
        )
        for s in range(8)
    }
    assert len(others) > 1


def test_run_audio_bench_on_a_small_corpus(corpus: Path, tmp_path: Path) -> None:
    stages: list[str] = []
    began = time.perf_counter()
    result = run_audio_bench(
        corpus,
        seed=7,
        settings=replace(_settings(), workers=1),
        progress=lambda stage, done, total: stages.append(stage),
    )
    assert time.perf_counter() - began < 30
    doc = result.to_json()
    path = write_json(tmp_path / "bench.json", doc)
    doc = json.loads(path.read_text(encoding="utf-8"))
    for key in REQUIRED:
        assert key in doc, key
    assert doc["conditions"] == list(CONDITION_NAMES)
    for name in CONDITION_NAMES:
        for label in ("10s", "5s"):
            recall = doc["recall"][name][label]
            assert 0.0 <= recall <= 1.0
            assert doc["queries_per_condition"][name][label] == 5
    assert doc["recall"]["clean"]["10s"] > 0.8
    assert doc["offset_accuracy"]["clean"]["10s"] > 0.8
    assert doc["negative_queries"] == 24
    assert 0.0 <= doc["false_match_rate"] <= 1.0
    assert doc["queries"] == len(CONDITION_NAMES) * 2 * 5 + 24
    assert doc["index_x_realtime_per_core"] > 0
    assert 0 < doc["query_ms_10s"] < 10_000
    assert doc["index_bytes_per_hour"] > 0
    assert doc["peak_rss_mb"] > 10
    assert doc["split"]["duplicates"] == [
        {"file": "audio/track0.opus", "same_as": "audio/track0-copy.opus"}
    ]
    assert [s["file"] for s in doc["skipped"]] == ["audio/gone.opus"]
    assert doc["targets"]["recall"]["clean"] == {"10s": 0.99, "5s": 0.98}
    assert doc["peers"]["olaf"]["tempo+5"] == {"10s": 0.93, "5s": 0.68}
    assert {"indexing", "querying"} <= set(stages)
    clean = result.score("clean", 10.0)
    assert clean is not None and clean.mean_speed == pytest.approx(1.0, abs=0.01)
    fast = result.score("speed+5", 10.0)
    if fast is not None and fast.correct:
        assert fast.mean_speed == pytest.approx(1.05, abs=0.02)


def test_cli_writes_json_and_prints_it(
    corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two worker processes: the pool path, with outcomes pickled back to this process.
    small = replace(
        _settings(),
        conditions=("clean", "speed+5"),
        queries_per_condition=3,
        negative_queries=4,
        workers=2,
    )
    monkeypatch.setattr(AudioBenchSettings, "quick", classmethod(lambda cls: small))
    out = tmp_path / "out.json"
    argv = ["--data-dir", str(tmp_path / "data"), "bench", "audio", "--corpus", str(corpus)]
    code = run([*argv, "--out", str(out), "--quick", "--json"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text(encoding="utf-8"))
    assert printed["quick"] is True and printed["conditions"] == ["clean", "speed+5"]
    assert printed["query_ms_10s"] > 0 and printed["queries"] == 2 * 2 * 3 + 4
    assert printed["recall"]["clean"]["10s"] > 0.6
    in_process = replace(small, workers=1)
    monkeypatch.setattr(AudioBenchSettings, "quick", classmethod(lambda cls: in_process))
    assert run([*argv, "--out", str(out), "--quick"]) == 0
    table = capsys.readouterr().out
    assert "clean" in table and "false match rate" in table
    assert run(["bench", "audio", "--corpus", str(tmp_path / "nope"), "--out", str(out)]) == 2


def test_repeat_detection_correlates_identical_passages() -> None:
    rng = np.random.default_rng(3)
    loop = rng.standard_normal(4000)
    song = np.concatenate([loop, rng.standard_normal(3000), loop])
    assert best_correlation(loop, song[6500:]) == pytest.approx(1.0)
    assert best_correlation(loop, rng.standard_normal(8000)) < 0.2
    assert best_correlation(np.zeros(10), song) == 0.0


def test_targets_and_verdicts() -> None:
    assert Target(0.9).met(0.95) and not Target(0.9).met(0.85)
    assert Target(30, at_least=False).met(12) and Target(30, at_least=False).describe() == "≤ 30"
    assert verdict(True, None, True) is True
    assert verdict(True, False) is False
    assert verdict(None) is None
