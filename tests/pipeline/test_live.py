"""Live HLS: a protected programme that starts mid-broadcast is detected within seconds of stream.

The channel runs on a simulated clock that the watcher's sleeps advance, so the test takes only
the time it needs to decode and match, and the delay it checks is in broadcast seconds.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from jianwang.cli.main import run
from jianwang.config import Settings
from jianwang.db import create_db_engine, session_factory, transaction
from jianwang.db.models import Capture, Detection, LedgerEntry, Site, SiteStatus
from jianwang.media.limits import DecodeLimits
from jianwang.monitoring.sites import live_streams
from jianwang.pipeline.live import LiveDetection, keep_watching, watch_live
from jianwang.sandbox.live import LiveChannel, programme_segments
from jianwang.sandbox.server import SandboxServer, SandboxSite
from jianwang.signals.registry import default_registry

from media_factory import film


class SimulatedClock:
    """Wall time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def test_protected_programme_is_detected_soon_after_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIANWANG_ALLOW_PRIVATE_HOSTS", "true")
    data = tmp_path / "data"
    ref = film(tmp_path / "Final.mp4", seed=71, seconds=24)
    filler = film(tmp_path / "news.mp4", seed=72, seconds=12)
    add = ["works", "add", "--title", "The Final", "--kind", "live_event", "--rights-holder", "TV"]
    assert run(["--data-dir", str(data), *add, "--reference", str(ref)]) == 0
    clock = SimulatedClock()
    segments = programme_segments(filler, tmp_path / "p1") + programme_segments(
        ref, tmp_path / "p2"
    )
    starts_at = sum(s.duration_s for s in segments if s.path.parent.name == "p1")
    channel = LiveChannel(segments, window=4, clock=clock.time)
    site = SandboxSite("tv", channel.routes())
    with SandboxServer([site]) as server:
        url = server.base_url("tv") + "/live/index.m3u8"
        args = ["sites", "add", "--name", "tv", "--kind", "live", "--seed", url]
        assert run(["--data-dir", str(data), *args]) == 0
        settings = Settings(data_dir=data, allow_private_hosts=True)
        factory = session_factory(create_db_engine(settings.db_url))
        with transaction(factory) as s:
            site_id = s.scalars(select(Site.id)).one()
        result = watch_live(
            factory,
            site_id=site_id,
            url=url,
            settings=settings,
            registry=default_registry(),
            limits=DecodeLimits(),
            window_s=10.0,
            sleep=clock.sleep,
            max_duration_s=120.0,
        )
    assert result.report.ended
    assert result.report.gaps == 0
    assert [d.work for d in result.detections] == ["The Final"]  # once: repeats are held back
    first = result.detections[0]
    assert first.stream_start_s >= starts_at - 1e-6  # nothing matched in the filler
    delay = first.stream_end_s - starts_at
    assert delay <= 12.0, f"detected {delay:.1f} s of stream after the programme began"
    with transaction(factory) as s:
        capture = s.get(Capture, first.capture_id)
        assert capture is not None and capture.media_url == url
        assert capture.source_spans == [
            [0.0, first.stream_start_s, pytest.approx(first.stream_end_s - first.stream_start_s)]
        ]
        detections = s.scalars(select(Detection).where(Detection.capture_id == capture.id)).all()
        assert detections and all(d.work.title == "The Final" for d in detections)
        kinds = [e.kind for e in s.scalars(select(LedgerEntry).order_by(LedgerEntry.seq))]
        assert "capture" in kinds and "detection" in kinds


def test_monitor_live_command_reports_detections_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stream that has already ended is watched at its live edge, matched, and summarised."""
    monkeypatch.setenv("JIANWANG_ALLOW_PRIVATE_HOSTS", "true")
    data = tmp_path / "data"
    ref = film(tmp_path / "Final.mp4", seed=73, seconds=16)
    add = ["works", "add", "--title", "Cup Final", "--kind", "live_event", "--rights-holder", "TV"]
    assert run(["--data-dir", str(data), *add, "--reference", str(ref)]) == 0
    channel = LiveChannel(programme_segments(ref, tmp_path / "p"), started_at=1.0)  # all aired
    with SandboxServer([SandboxSite("tv", channel.routes())]) as server:
        url = server.base_url("tv") + "/live/index.m3u8"
        args = ["sites", "add", "--name", "tv", "--kind", "live", "--seed", url]
        assert run(["--data-dir", str(data), *args]) == 0
        capsys.readouterr()
        assert run(["--data-dir", str(data), "monitor", "live", "--site", "tv", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    *events, summary = lines
    assert [e["work"] for e in events] == ["Cup Final"]
    assert summary["ended"] and summary["detections"] == 1 and summary["segments"] >= 4
    missing = ["--data-dir", str(data), "monitor", "live", "--site", "nope"]
    assert run(missing) != 0


def test_a_running_monitor_keeps_watching_its_live_sites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Active live sites' playlists are listed for watching; a watch starts again after its
    stream ends, until stopped; a shut-down site is not watched."""
    monkeypatch.setenv("JIANWANG_ALLOW_PRIVATE_HOSTS", "true")
    data = tmp_path / "data"
    ref = film(tmp_path / "Final.mp4", seed=74, seconds=12)
    add = ["works", "add", "--title", "Derby", "--kind", "live_event", "--rights-holder", "TV"]
    assert run(["--data-dir", str(data), *add, "--reference", str(ref)]) == 0
    channel = LiveChannel(programme_segments(ref, tmp_path / "p"), started_at=1.0)
    settings = Settings(data_dir=data, allow_private_hosts=True)
    factory = session_factory(create_db_engine(settings.db_url))
    with SandboxServer([SandboxSite("tv", channel.routes())]) as server:
        url = server.base_url("tv") + "/live/index.m3u8"
        args = ["sites", "add", "--name", "tv", "--kind", "live", "--seed", url]
        assert run(["--data-dir", str(data), *args]) == 0
        args = ["sites", "add", "--name", "web", "--kind", "video", "--seed", "http://x.example/"]
        assert run(["--data-dir", str(data), *args]) == 0
        with transaction(factory) as s:
            streams = live_streams(s)
        assert [u for _, u in streams] == [url]
        stop = threading.Event()
        runs: list[str] = []

        def on_air(event: LiveDetection) -> None:
            runs.append(event.work)
            if len(runs) == 2:  # seen again on the second watch of the (ended) stream
                stop.set()

        options = {"settings": settings, "registry": default_registry(), "limits": DecodeLimits()}
        found = keep_watching(
            factory,
            site_id=streams[0][0],
            url=url,
            stop=stop,
            retry_s=0.05,
            on_detection=on_air,
            **options,
        )
        assert found == 2 and runs == ["Derby", "Derby"]
        with transaction(factory) as s:
            s.get(Site, streams[0][0]).status = SiteStatus.SHUT_DOWN  # type: ignore[union-attr]
            assert live_streams(s) == []
        assert (
            keep_watching(
                factory, site_id=streams[0][0], url=url, stop=threading.Event(), **options
            )
            == 0
        )
