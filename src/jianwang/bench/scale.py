"""The scale benchmark: how fast the job pipeline sweeps on one and on two Dask workers, what
each step costs in CPU, and what a real deployment would need (``scale_plan``).

The monitoring benchmark's sandbox world (``bench.monitor.plan``) is registered once, served
from a child process, and its data folder copied, so both runs start from the same catalogue
and sweep the same sites. Each run queues one ``sweep`` job per site and hands them to a
``DaskExecutor`` on a ``LocalCluster`` of 1 or 2 single-threaded worker processes. As in the
pipeline, a sweep crawls and records, and queues one ``match`` job per new capture, which any
worker takes: a big site's matching spreads over the workers while its crawl goes on. Sweeps are
queued largest site first.

CPU is measured where it is spent: the bench's own steps (:func:`measured_sweep`,
:func:`measured_match`) wrap the pipeline's with ``resource.getrusage`` before and after, in
the worker process, for the
process itself and for the decoders it waited on (ffmpeg runs as a child process, which
``time.process_time`` would not see), and returns the figures in the job's ``result``. Each
worker opens its context and indexes before the clock starts, so the figures are the steady
state. Lost jobs (not ``done``) and duplicates are counted from the database afterwards, not
assumed: detections sharing (capture, work, asset, signal) (the work too, because a title match
has no asset and is one detection per work) and captures sharing (site, page, content sha256).
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianwang.bench.monitor.plan import (
    FULL,
    MUSIC_SITE,
    PLATFORM,
    QUICK,
    VIDEO_SITE,
    World,
    build_world,
)
from jianwang.bench.monitor.run import _register_sites, _register_works
from jianwang.bench.monitor.server import SandboxProcess
from jianwang.bench.report import available_cores, disk_bytes, rounded
from jianwang.bench.scale_plan import (
    KindCost,
    Measured,
    ProjectionInputs,
    projection_document,
)
from jianwang.config import Settings
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import (
    Artefact,
    AssetKind,
    Capture,
    Detection,
    Job,
    JobState,
    ReferenceAsset,
    Work,
)
from jianwang.media.limits import DecodeLimits
from jianwang.pipeline import executors, jobs
from jianwang.pipeline.executors import DaskExecutor
from jianwang.pipeline.runs import SweepCounts
from jianwang.pipeline.steps import MATCH, SWEEP, StepContext, StepError, match_step, queue_match
from jianwang.pipeline.sweep import sweep_site
from jianwang.signals.registry import default_registry

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
RUN_TIMEOUT_S = 3600.0
NOTE = (
    "each site's sweep is one job that crawls and records; each new capture is matched by a "
    "job of its own, so workers match a site's captures in parallel while its sweep crawls on"
)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measured_sweep(ctx: StepContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The pipeline's sweep step with its costs: CPU of the worker process and of the decoder
    processes it waited on, and how the wall time splits between fetching and handling
    (recording and matching) captures. Measured here because only the worker sees them."""
    site_id = int(payload["site_id"])
    own, children, wall = (
        _cpu(resource.RUSAGE_SELF),
        _cpu(resource.RUSAGE_CHILDREN),
        time.perf_counter(),
    )
    result = sweep_site(
        ctx.factory,
        site_id=site_id,
        settings=ctx.settings,
        registry=ctx.registry,
        limits=ctx.limits,
        indexes=ctx.indexes(),
        defer_matching=queue_match,  # as the pipeline's sweep step: each capture a match job
    )
    if result.interrupted:
        raise StepError(f"sweep of site {site_id} was interrupted")
    document = SweepCounts.of(result).to_payload()
    document["bench"] = {
        "cpu_self_s": _cpu(resource.RUSAGE_SELF) - own,
        "cpu_children_s": _cpu(resource.RUSAGE_CHILDREN) - children,
        "wall_s": time.perf_counter() - wall,
        "handling_s": result.handling_s,
        "pid": os.getpid(),
        "site_id": site_id,
    }
    return document


def measured_match(ctx: StepContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The pipeline's match step (one capture) with the worker's CPU for it."""
    own, children, wall = (
        _cpu(resource.RUSAGE_SELF),
        _cpu(resource.RUSAGE_CHILDREN),
        time.perf_counter(),
    )
    document = match_step(ctx, payload)
    with transaction(ctx.factory) as session:
        capture = session.get(Capture, int(payload["capture_id"]))
        site_id = capture.site_id if capture is not None else -1
    elapsed = time.perf_counter() - wall
    document["bench"] = {
        "cpu_self_s": _cpu(resource.RUSAGE_SELF) - own,
        "cpu_children_s": _cpu(resource.RUSAGE_CHILDREN) - children,
        "wall_s": elapsed,
        "handling_s": elapsed,
        "pid": os.getpid(),
        "site_id": site_id,
    }
    return document


def _quiet_dask() -> None:
    """Keep the local cluster's start and stop chatter off the benchmark's standard error."""
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.WARNING)


def _warm(settings: Settings) -> None:
    """Open, in a worker, the context and indexes its jobs will use (the cache ``run_job``
    keeps per process), so the throughput measured is the steady state and not the one-off
    start-up that the first job on each worker would otherwise pay."""
    executors._context_for(settings.model_dump_json()).indexes()


@dataclass(frozen=True)
class JobCost:
    """One job's measured figures (a site's sweep, or one capture's match)."""

    kind: str
    site: str
    cpu_s: float
    cpu_children_s: float
    wall_s: float
    handling_s: float
    pid: int


def _settings(data: Path) -> Settings:
    return Settings(data_dir=data, allow_private_hosts=True)


def _duplicates(session: Session, table: Any, *columns: Any) -> int:
    """Rows beyond the first in every group sharing ``columns`` (GROUP BY puts NULLs together,
    so a NULL asset does not hide a duplicate the unique constraint lets through)."""
    counts = session.execute(
        select(func.count()).select_from(table).group_by(*columns).having(func.count() > 1)
    ).scalars()
    return sum(int(c) - 1 for c in counts)


def _media(session: Session, site_ids: list[int], kind: AssetKind) -> tuple[int, float, int]:
    """(captures, seconds, bytes) of ``kind`` captured on ``site_ids``."""
    count, seconds, size = session.execute(
        select(
            func.count(Capture.id),
            func.coalesce(func.sum(Capture.length), 0.0),
            func.coalesce(func.sum(Capture.size_bytes), 0),
        ).where(Capture.site_id.in_(site_ids), Capture.kind == kind)
    ).one()
    return int(count), float(seconds or 0.0), int(size or 0)


def _run(
    settings: Settings,
    order: list[tuple[str, int]],
    n_workers: int,
    progress: ProgressFn,
) -> dict[str, Any]:
    """Queue one sweep per site, run them on ``n_workers`` Dask workers, and read back from the
    database what was done and what it cost."""
    label = f"{n_workers} worker{'s' if n_workers > 1 else ''}"
    engine = create_db_engine(settings.db_url)
    factory = session_factory(engine)
    with transaction(factory) as session:
        for name, site_id in order:
            jobs.enqueue(session, kind=SWEEP, payload={"site_id": site_id}, key=f"scale:{name}")
    progress(f"sweeping on {label}", 0, 1)
    _quiet_dask()
    started = time.perf_counter()
    with DaskExecutor(
        settings,
        n_workers=n_workers,
        threads_per_worker=1,
        steps={SWEEP: measured_sweep, MATCH: measured_match},
    ) as executor:
        _quiet_dask()  # its loggers exist now; some set their own level
        executor.client.run(_warm, settings)
        cluster_s = time.perf_counter() - started
        started = time.perf_counter()
        outcomes = executor.run_until_idle(timeout_s=RUN_TIMEOUT_S)
        wall_s = time.perf_counter() - started
    progress(f"sweeping on {label}", 1, 1)
    names = {site_id: name for name, site_id in order}
    try:
        with transaction(factory) as session:
            states = Counter(j.state.value for j in session.scalars(select(Job)))
            costs = []
            for job in session.scalars(select(Job).where(Job.state == JobState.DONE)):
                bench = (job.result or {}).get("bench", {})
                costs.append(
                    JobCost(
                        kind=job.kind,
                        site=names.get(int(bench.get("site_id", -1)), "?"),
                        cpu_s=float(bench.get("cpu_self_s", 0.0)),
                        cpu_children_s=float(bench.get("cpu_children_s", 0.0)),
                        wall_s=float(bench.get("wall_s", 0.0)),
                        handling_s=float(bench.get("handling_s", 0.0)),
                        pid=int(bench.get("pid", 0)),
                    )
                )
            captures = int(session.scalar(select(func.count(Capture.id))) or 0)
            rows = session.execute(
                select(Capture.page_url, Work.title, Detection.signal)
                .join(Detection, Detection.capture_id == Capture.id)
                .join(Work, Work.id == Detection.work_id)
            ).all()
            by_kind = {
                "video": _media(
                    session,
                    [_site_id(order, VIDEO_SITE), _site_id(order, PLATFORM)],
                    AssetKind.VIDEO,
                ),
                "music": _media(session, [_site_id(order, MUSIC_SITE)], AssetKind.AUDIO),
            }
            every = [i for _, i in order]
            video, audio = (
                _media(session, every, AssetKind.VIDEO),
                _media(session, every, AssetKind.AUDIO),
            )
            media_count, media_s = video[0] + audio[0], video[1] + audio[1]
            media_bytes = video[2] + audio[2]
            evidence_bytes = int(
                session.scalar(select(func.coalesce(func.sum(Artefact.size_bytes), 0))) or 0
            )
            duplicate_detections = _duplicates(
                session,
                Detection,
                Detection.capture_id,
                Detection.work_id,  # title matches: no asset, one detection per work
                Detection.asset_id,
                Detection.signal,
            )
            duplicate_captures = _duplicates(
                session, Capture, Capture.site_id, Capture.page_url, Capture.content_sha256
            )
    finally:
        engine.dispose()
    cpu = sum(c.cpu_s + c.cpu_children_s for c in costs)
    return {
        "workers": n_workers,
        "cluster_start_and_warm_s": cluster_s,
        "wall_s": wall_s,
        "jobs": sum(states.values()),
        "cpu_by_step": {
            step: sum(c.cpu_s + c.cpu_children_s for c in costs if c.kind == step)
            for step in (SWEEP, MATCH)
        },
        "jobs_by_step": Counter(c.kind for c in costs),
        "job_states": dict(states),
        "lost_jobs": sum(n for state, n in states.items() if state != JobState.DONE.value),
        "outcomes": Counter(o.state for o in outcomes),
        "captures": captures,
        "media_captures": media_count,
        "media_s": media_s,
        "media_bytes": media_bytes,
        "evidence_bytes": evidence_bytes,
        "items_per_min": captures / (wall_s / 60.0) if wall_s > 0 else 0.0,
        "cpu_s": cpu,
        "cpu_children_s": sum(c.cpu_children_s for c in costs),
        "worker_processes": len({c.pid for c in costs}),
        "fetch_wall_s": sum(c.wall_s - c.handling_s for c in costs),
        "handling_wall_s": sum(c.handling_s for c in costs),
        "per_job": [
            {
                "site": c.site,
                "cpu_s": c.cpu_s + c.cpu_children_s,
                "wall_s": c.wall_s,
                "handling_s": c.handling_s,
            }
            for c in costs
        ],
        "by_kind": by_kind,
        "kind_cpu": {
            "video": sum(
                c.cpu_s + c.cpu_children_s for c in costs if c.site in (VIDEO_SITE, PLATFORM)
            ),
            "music": sum(c.cpu_s + c.cpu_children_s for c in costs if c.site == MUSIC_SITE),
        },
        "duplicate_detections": duplicate_detections,
        "duplicate_captures": duplicate_captures,
        "detections": frozenset((str(p), str(t), str(s)) for p, t, s in rows),
    }


def _site_id(order: list[tuple[str, int]], name: str) -> int:
    """The id of site ``name`` (-1, matching nothing, when the world has no such site)."""
    return next((site_id for n, site_id in order if n == name), -1)


def _kind_cost(run: dict[str, Any], kind: str) -> KindCost:
    items, seconds, _ = run["by_kind"][kind]
    cpu = run["kind_cpu"][kind]
    return KindCost(
        cpu_s_per_item=cpu / items if items else 0.0,
        mean_item_s=seconds / items if items else 0.0,
        items=items,
    )


def _reference_hours(settings: Settings) -> float:
    engine = create_db_engine(settings.db_url)
    try:
        with transaction(session_factory(engine)) as session:
            seconds = session.scalar(
                select(func.coalesce(func.sum(ReferenceAsset.length), 0.0)).where(
                    ReferenceAsset.kind.in_([AssetKind.VIDEO, AssetKind.AUDIO])
                )
            )
        return float(seconds or 0.0) / 3600.0
    finally:
        engine.dispose()


def _prepare(
    world: World, root: Path, sandbox: SandboxProcess, progress: ProgressFn
) -> tuple[Settings, dict[str, int]]:
    settings = _settings(root / "data-1w")
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    factory = session_factory(engine)
    try:
        _register_works(factory, world, settings, default_registry(), DecodeLimits(), progress)
        site_ids = _register_sites(factory, world, sandbox)
    finally:
        engine.dispose()
    return settings, site_ids


def _site_order(world: World, site_ids: dict[str, int]) -> list[tuple[str, int]]:
    """Sites to sweep, the one with most media items first (media is what costs: longest job
    first keeps both workers busy longest)."""

    def weight(spec: Any) -> tuple[int, int]:
        media = sum(1 for item in spec.items if item.kind != "text")
        return media, len(spec.items)

    specs = sorted(world.specs, key=weight, reverse=True)
    return [(spec.name, site_ids[spec.name]) for spec in specs]


def _public(run: dict[str, Any]) -> dict[str, Any]:
    """A run's figures for JSON (the detection set is compared, not listed)."""
    skip = {"detections", "by_kind", "kind_cpu"}
    out: dict[str, Any] = {}
    for key, value in run.items():
        if key in skip:
            continue
        if isinstance(value, float):
            out[key] = rounded(value)
        elif isinstance(value, Counter):
            out[key] = dict(value)
        elif key == "per_job":
            out[key] = [
                {k: rounded(v) if isinstance(v, float) else v for k, v in j.items()} for j in value
            ]
        else:
            out[key] = value
    out["detections"] = len(run["detections"])
    return out


def run_scale_bench(
    corpus: Path,
    *,
    seed: int,
    progress: ProgressFn,
    quick: bool = False,
    inputs: ProjectionInputs | None = None,
) -> dict[str, Any]:
    """The whole benchmark (see the module docstring); the JSON document it writes."""
    inputs = inputs or ProjectionInputs()
    with tempfile.TemporaryDirectory(prefix="jianwang-bench-scale-") as tmp:
        root = Path(tmp)
        scale = QUICK if quick else FULL
        world = build_world(corpus, root / "world", seed=seed, progress=progress, scale=scale)
        progress("building and serving the sites", 0, 1)
        with SandboxProcess(world.specs, world.specs, root / "sites", []) as sandbox:
            progress("building and serving the sites", 1, 1)
            one, site_ids = _prepare(world, root, sandbox, progress)
            index_bytes = disk_bytes(one.index_dir)
            reference_hours = _reference_hours(one)
            two = _settings(root / "data-2w")
            shutil.copytree(one.data_dir, two.data_dir)
            order = _site_order(world, site_ids)
            run_a = _run(one, order, 1, progress)
            run_b = _run(two, order, 2, progress)
    measured = Measured(
        video=_kind_cost(run_a, "video"),
        music=_kind_cost(run_a, "music"),
        capture_bytes_per_media_hour=(
            run_a["media_bytes"] / (run_a["media_s"] / 3600.0) if run_a["media_s"] else 0.0
        ),
        evidence_bytes_per_item=(
            run_a["evidence_bytes"] / run_a["captures"] if run_a["captures"] else 0.0
        ),
        index_bytes_per_reference_hour=index_bytes / reference_hours if reference_hours else 0.0,
    )
    captures = run_a["captures"]
    cpu_a = run_a["cpu_s"]
    return {
        "seed": seed,
        "quick": quick,
        "corpus": str(corpus),
        "cores_available": available_cores(),
        "sites": [name for name, _ in order],
        "site_items": {spec.name: len(spec.items) for spec in world.specs},
        "note": NOTE,
        "items_per_min_1w": rounded(run_a["items_per_min"]),
        "items_per_min_2w": rounded(run_b["items_per_min"]),
        "speedup_2w": rounded(run_a["wall_s"] / run_b["wall_s"]) if run_b["wall_s"] else None,
        "cpu_s_per_step": {
            "sweep": rounded(run_a["cpu_by_step"][SWEEP] / len(order)) if order else None,
            "match": rounded(run_a["cpu_by_step"][MATCH] / run_a["jobs_by_step"][MATCH])
            if run_a["jobs_by_step"][MATCH]
            else None,
            "per_item": rounded(cpu_a / captures) if captures else None,
            "decoder_children_share": rounded(run_a["cpu_children_s"] / cpu_a) if cpu_a else None,
            "fetch_wall_s": rounded(run_a["fetch_wall_s"]),
            "record_match_wall_s": rounded(run_a["handling_wall_s"]),
            "measured_in": "run with 1 worker (no contention for the cores)",
        },
        "lost_jobs": run_a["lost_jobs"] + run_b["lost_jobs"],
        "duplicate_detections": run_a["duplicate_detections"] + run_b["duplicate_detections"],
        "duplicate_captures": run_a["duplicate_captures"] + run_b["duplicate_captures"],
        "same_detections_1w_2w": run_a["detections"] == run_b["detections"],
        "index_bytes": index_bytes,
        "reference_hours": rounded(reference_hours),
        "runs": {"1w": _public(run_a), "2w": _public(run_b)},
        "projection": projection_document(measured, inputs),
    }
