"""Sweeps as durable jobs on a Dask cluster of worker processes: the same detections as a local
run, nothing lost or duplicated when a worker is killed mid-job or the dispatcher restarts.

One sandbox site (a copy of a protected episode and an unrelated song) is set up once; each test
runs on a copy of that data folder, so they compare like with like.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from distributed import LocalCluster
from sqlalchemy import func, select

from jianwang.catalog import service
from jianwang.catalog.indexes import open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import Capture, Detection, Job, JobState, LedgerEntry, Work
from jianwang.media.limits import DecodeLimits
from jianwang.media.transform import Transform, apply_transform
from jianwang.monitoring import sites
from jianwang.pipeline import jobs
from jianwang.pipeline.dispatch import dispatch
from jianwang.pipeline.executors import DaskExecutor, LocalExecutor
from jianwang.pipeline.steps import DEFAULT_STEPS, StepContext, sweep_step
from jianwang.sandbox.sites import SiteItem, SiteSpec, run_sandbox

from media_factory import film, song

pytestmark = pytest.mark.slow
LIMITS = DecodeLimits(timeout_s=60)


@dataclass(frozen=True)
class World:
    data: Path
    site_id: int


@dataclass(frozen=True)
class Summary:
    captures: int
    detections: frozenset[tuple[str, str, str]]
    detection_rows: int
    ledger: int


def _settings(data: Path) -> Settings:
    return Settings(
        data_dir=data,
        allow_private_hosts=True,
        crawl_delay_s=0.0,
        job_lease_s=3.0,
        job_backoff_s=0.2,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("world")
    settings = _settings(root / "data")
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    factory = session_factory(engine)
    ctx = StepContext.open(settings)
    ref = film(root / "episode.mp4", seed=61, seconds=12.0)
    copy = apply_transform(ref, root / "copy.mp4", Transform(start_s=2.0, duration_s=8.0))
    track = song(root / "other.mp3", seed=62, seconds=6.0)
    with transaction(factory) as s:
        indexes = open_indexes(s, settings.index_dir, ctx.registry)
        service.add_work(
            s,
            title="Episode",
            kind="tv_series",
            rights_holder="Studio",
            references=[ref],
            indexes=indexes,
            store=ContentStore(settings.content_dir),
            registry=ctx.registry,
            limits=LIMITS,
        )
    indexes.save()
    items = [
        SiteItem(title="Episode (copy)", kind="video", path=copy),
        SiteItem(title="Some song", kind="audio", path=track),
    ]
    server = run_sandbox([SiteSpec("tube", "video", "免费影院", items)], root / "sites")
    try:
        with transaction(factory) as s:
            site = sites.add_site(
                s, name="tube", kind="video", seeds=[server.base_url("tube") + "/"], schedule="1h"
            )
            site_id = site.id
        ctx.close()
        engine.dispose()
        yield World(root / "data", site_id)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
    ) as local:
        yield local


def _copy(world: World, dest: Path) -> Settings:
    shutil.copytree(world.data, dest)
    return _settings(dest)


def _summary(settings: Settings) -> Summary:
    engine = create_db_engine(settings.db_url)
    try:
        with transaction(session_factory(engine)) as s:
            rows = s.execute(
                select(Capture.page_url, Work.title, Detection.signal)
                .join(Detection, Detection.capture_id == Capture.id)
                .join(Work, Work.id == Detection.work_id)
            ).all()
            return Summary(
                captures=s.scalar(select(func.count(Capture.id))) or 0,
                detections=frozenset((str(p), str(t), str(g)) for p, t, g in rows),
                detection_rows=len(rows),
                ledger=s.scalar(select(func.count(LedgerEntry.seq))) or 0,
            )
    finally:
        engine.dispose()


def _jobs(settings: Settings) -> list[tuple[str, JobState, int]]:
    engine = create_db_engine(settings.db_url)
    try:
        with transaction(session_factory(engine)) as s:
            return [(j.kind, j.state, j.attempts) for j in s.scalars(select(Job))]
    finally:
        engine.dispose()


def _sweeps(settings: Settings) -> list[tuple[str, JobState, int]]:
    return [job for job in _jobs(settings) if job[0] == "sweep"]


def _all_matched_once(settings: Settings) -> bool:
    """Every capture of the sweep was matched by a match job of its own, done at first try."""
    matches = [job for job in _jobs(settings) if job[0] == "match"]
    return bool(matches) and all(state is JobState.DONE and n == 1 for _, state, n in matches)


def _done(outcomes: list[Any]) -> bool:
    """One sweep and its match jobs, all done."""
    kinds = [o.kind for o in outcomes]
    return (
        kinds.count("sweep") == 1
        and "match" in kinds
        and set(kinds) == {"sweep", "match"}
        and all(o.state == "done" for o in outcomes)
    )


def _enqueue_sweep(settings: Settings, site_id: int, **extra: Any) -> None:
    engine = create_db_engine(settings.db_url)
    with transaction(session_factory(engine)) as s:
        jobs.enqueue(s, kind="sweep", payload={"site_id": site_id, **extra}, key=f"t:{site_id}")
    engine.dispose()


@pytest.fixture(scope="module")
def local_baseline(world: World, tmp_path_factory: pytest.TempPathFactory) -> Summary:
    """The local executor's sweep, and proof that running the step again writes nothing."""
    settings = _copy(world, tmp_path_factory.mktemp("local") / "data")
    _enqueue_sweep(settings, world.site_id)
    executor = LocalExecutor(settings)
    try:
        outcomes = executor.run_until_idle()
        assert _done(outcomes)
        first = _summary(settings)
        sweep_step(executor.ctx, {"site_id": world.site_id})  # a re-run after a lost lease
    finally:
        executor.close()
    assert _summary(settings) == first
    return first


def blocking_sweep(ctx: StepContext, payload: dict[str, Any], *, flags: Path) -> dict[str, Any]:
    """Sweep, then say which process did it and wait for the test's go: a worker killed here
    has done all the work but not completed the job."""
    result = sweep_step(ctx, payload)
    (flags / f"started-{os.getpid()}").write_text("")
    while not (flags / "go").exists():
        time.sleep(0.05)
    return result


def _wait_for_start(flags: Path, timeout_s: float = 30.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        started = list(flags.glob("started-*"))
        if started:
            return int(started[0].name.split("-")[1])
        time.sleep(0.05)
    raise AssertionError("the step never started")


def test_dask_sweep_matches_the_local_run(
    world: World, cluster: LocalCluster, local_baseline: Summary, tmp_path: Path
) -> None:
    settings = _copy(world, tmp_path / "data")
    _enqueue_sweep(settings, world.site_id)
    with DaskExecutor(settings, address=cluster.scheduler_address) as executor:
        outcomes = executor.run_until_idle(timeout_s=60)
    assert _done(outcomes)
    assert all(o.cpu_s > 0 for o in outcomes if o.kind == "sweep")
    summary = _summary(settings)
    assert summary == local_baseline
    assert any(title == "Episode" for _, title, _ in summary.detections)
    assert _sweeps(settings) == [("sweep", JobState.DONE, 1)]
    assert _all_matched_once(settings)


def test_a_worker_killed_mid_job_loses_and_duplicates_nothing(
    world: World, cluster: LocalCluster, local_baseline: Summary, tmp_path: Path
) -> None:
    settings = _copy(world, tmp_path / "data")
    flags = tmp_path / "flags"
    flags.mkdir()
    _enqueue_sweep(settings, world.site_id)
    steps = {**DEFAULT_STEPS, "sweep": functools.partial(blocking_sweep, flags=flags)}
    with DaskExecutor(settings, address=cluster.scheduler_address, steps=steps) as executor:
        outcomes: list[Any] = []
        runner = threading.Thread(
            target=lambda: outcomes.extend(executor.run_until_idle(timeout_s=60))
        )
        runner.start()
        pid = _wait_for_start(flags)
        os.kill(pid, signal.SIGKILL)  # the worker dies holding the job's lease
        (flags / f"started-{pid}").unlink()
        (flags / "go").write_text("")
        runner.join(timeout=90)
        assert not runner.is_alive()
    assert _done(outcomes)
    assert _sweeps(settings) == [("sweep", JobState.DONE, 2)]  # re-leased once, completed once
    assert _all_matched_once(settings)  # the re-run sweep queued no capture twice
    assert _summary(settings) == local_baseline


def test_a_restarted_dispatcher_finishes_the_sweep(
    world: World, cluster: LocalCluster, local_baseline: Summary, tmp_path: Path
) -> None:
    settings = _copy(world, tmp_path / "data")
    flags = tmp_path / "flags"
    flags.mkdir()
    steps = {**DEFAULT_STEPS, "sweep": functools.partial(blocking_sweep, flags=flags)}
    ctx = StepContext.open(settings)
    stop = threading.Event()
    first = DaskExecutor(settings, address=cluster.scheduler_address, steps=steps, ctx=ctx)
    runner = threading.Thread(target=dispatch, args=(ctx.factory, first), kwargs={"stop": stop})
    runner.start()
    pid = _wait_for_start(flags)
    stop.set()  # the dispatcher stops while its sweep job is leased
    runner.join(timeout=30)
    first.client.close()
    os.kill(pid, signal.SIGKILL)  # and so does the worker that ran it
    assert _sweeps(settings) == [("sweep", JobState.LEASED, 1)]
    (flags / "go").write_text("")
    second = DaskExecutor(settings, address=cluster.scheduler_address, steps=steps)
    try:
        report = dispatch(second.ctx.factory, second, once=True)
    finally:
        second.close()
    assert [o.state for o in report.outcomes if o.kind == "sweep"] == ["done"]
    assert all(o.state == "done" for o in report.outcomes)
    assert report.queued == 0  # the due sweep was queued once, by the first dispatcher
    assert _sweeps(settings) == [("sweep", JobState.DONE, 2)]
    assert _all_matched_once(settings)
    assert _summary(settings) == local_baseline
    ctx.close()
