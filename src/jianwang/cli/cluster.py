"""``jianwang scheduler`` and ``jianwang worker``: run the pipeline's jobs on a Dask cluster.

The Dask scheduler itself is Dask's (``dask scheduler``, installed with Jianwang). ``jianwang
scheduler`` is the dispatcher: it queues the sweeps that fell due and hands runnable jobs to the
cluster. ``jianwang worker`` joins the cluster as a Dask worker. Every machine needs the same
database (a PostgreSQL URL, or one SQLite file on shared storage) and data folder.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import Annotated

import typer

from jianwang.cli.context import AppContext
from jianwang.cli.output import console
from jianwang.pipeline.dispatch import dispatch
from jianwang.pipeline.executors import DaskExecutor, LocalExecutor
from jianwang.pipeline.steps import StepContext

log = logging.getLogger(__name__)

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: the "
        "scheduler_address setting; none: run jobs in this process).",
        metavar="ADDRESS",
    ),
]


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(_signum: int, _frame: object) -> None:
        log.warning("stopping after the current round; leased jobs expire and are taken again")
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def scheduler(
    ctx: typer.Context,
    address: SchedulerOption = None,
    once: Annotated[
        bool, typer.Option("--once", help="One round: queue due sweeps, run jobs, exit.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="Without a scheduler address: start a local Dask cluster of this many worker "
            "processes (0: run jobs one at a time in this process).",
        ),
    ] = 0,
) -> None:
    """Queue the sweeps that fell due and dispatch runnable jobs, until stopped (Ctrl-C).

    State lives in the database: a scheduler started again picks up where the last one stopped
    and takes jobs whose workers died once their leases expire."""
    app_ctx: AppContext = ctx.obj
    settings = app_ctx.settings
    address = address or settings.scheduler_address
    step_ctx = StepContext.open(settings)
    stop = threading.Event()
    if not once:
        _stop_on_signals(stop)
    executor: DaskExecutor | LocalExecutor
    if address or workers:
        executor = DaskExecutor(settings, address=address, n_workers=workers or 1, ctx=step_ctx)
    else:
        executor = LocalExecutor(settings, ctx=step_ctx)
    try:
        report = dispatch(step_ctx.factory, executor, stop=stop, once=once)
    finally:
        executor.close()
    done = sum(1 for o in report.outcomes if o.state == "done")
    console().print(
        f"{report.rounds} round(s): {report.queued} sweep(s) queued, "
        f"{len(report.outcomes)} job attempt(s), {done} done"
    )


def worker(
    ctx: typer.Context,
    address: SchedulerOption = None,
    nthreads: Annotated[
        int, typer.Option("--nthreads", min=1, help="Jobs this worker runs at once.")
    ] = 1,
) -> None:
    """Join a Dask cluster as a worker (restarted by its nanny if it dies), until stopped.

    Without a scheduler address, run queued jobs in this process until none is left."""
    app_ctx: AppContext = ctx.obj
    settings = app_ctx.settings
    address = address or settings.scheduler_address
    if address is None:
        executor = LocalExecutor(settings)
        try:
            outcomes = executor.run_until_idle()
        finally:
            executor.close()
        done = sum(1 for o in outcomes if o.state == "done")
        console().print(f"{len(outcomes)} job attempt(s), {done} done; no job left to run")
        return
    from distributed import Nanny

    async def serve() -> None:
        async with Nanny(address, nthreads=nthreads) as nanny:
            log.warning("worker joined %s (%d thread(s))", address, nthreads)
            await nanny.finished()

    asyncio.run(serve())
