"""``jianwang monitor``: sweep registered sites."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from jianwang.catalog.indexes import IndexSet
from jianwang.catalog.service import find_site
from jianwang.cli.context import AppContext, app_context
from jianwang.cli.output import print_table, to_json
from jianwang.cli.signals import stop_on_signals
from jianwang.errors import UserError
from jianwang.monitoring.schedule import parse_interval, run_schedule
from jianwang.monitoring.sites import active_site_ids, live_streams
from jianwang.pipeline.live import LiveDetection, keep_watching, waiter, watch_live
from jianwang.pipeline.staydown import recheck_captures, run_due_rechecks
from jianwang.pipeline.sweep import SweepResult, sweep_site

app = typer.Typer(help="Crawl registered sites and match what they serve.", no_args_is_help=True)


def _sweep(app_ctx: AppContext, indexes: IndexSet, site_id: int, **options: Any) -> SweepResult:
    """One site's sweep with this installation's settings, decoders and open indexes."""
    return sweep_site(
        app_ctx.sessions,
        site_id=site_id,
        settings=app_ctx.settings,
        registry=app_ctx.registry,
        limits=app_ctx.limits,
        indexes=indexes,
        **options,
    )


@app.command("run")
def run_cmd(
    ctx: typer.Context,
    site: Annotated[
        list[str] | None, typer.Option("--site", help="Site id or name; default: all active.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per site, a line each.")
    ] = False,
) -> None:
    """Run one sweep of the named sites (or of every active site).

    Exit code 1 when a site could not be reached at all (no page fetched).
    """
    app_ctx = app_context(ctx)
    with app_ctx.transaction() as session:
        if site:
            site_ids = [find_site(session, ref).id for ref in site]
        else:
            site_ids = active_site_ids(session)
        indexes = app_ctx.indexes(session)
    results: list[SweepResult] = []
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        transient=True,
        disable=as_json,
    ) as progress:
        for site_id in site_ids:
            task = progress.add_task(f"site {site_id}", total=None)

            def show(what: str, task: TaskID = task) -> None:
                progress.update(task, description=what[-70:])

            results.append(_sweep(app_ctx, indexes, site_id, on_progress=show))
            progress.remove_task(task)
    if as_json:
        for result in results:
            typer.echo(to_json(result))
    else:
        print_table(
            "Sweeps",
            [
                "site",
                "pages (unchanged)",
                "new captures",
                "already seen",
                "media unchanged",
                "detections",
                "errors",
            ],
            [
                (
                    r.site,
                    f"{r.pages} ({r.pages_unchanged})",
                    r.captures_new,
                    r.captures_seen,
                    r.media_unchanged,
                    r.detections,
                    len(r.errors),
                )
                for r in results
            ],
        )
    for result in results:
        for error in result.errors:
            typer.echo(f"{result.site}: {error}", err=True)
    unreachable = [r.site for r in results if r.pages == 0]
    if unreachable:
        typer.echo(f"error: no page could be fetched from: {', '.join(unreachable)}", err=True)
        raise typer.Exit(1)


@app.command("start")
def start_cmd(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per sweep, a line each.")
    ] = False,
) -> None:
    """Sweep every scheduled site whenever it is due, until stopped (Ctrl-C or SIGTERM).

    A site is due when it has a schedule (``sites add --schedule 6h``) and its last complete
    sweep is that long ago. Captures under a sent takedown notice are checked again once its
    deadline passes, and then daily (staydown), shut-down sites included. Every active live
    site's .m3u8 seeds are watched continuously meanwhile (as ``monitor live``), each started
    again a minute after its stream ends. Stopping finishes the page in hand and ends the
    sweep early; that
    sweep does not count, so the site is swept again on the next start.
    """
    app_ctx = app_context(ctx)
    with app_ctx.transaction() as session:
        indexes = app_ctx.indexes(session)
    stop = stop_on_signals("stopping after the page in hand")

    def sweep(site_id: int, stopping: Callable[[], bool]) -> bool:
        result = _sweep(app_ctx, indexes, site_id, stopping=stopping)
        if as_json:
            typer.echo(to_json(result))
        else:
            typer.echo(
                f"{result.site}: {result.pages} pages, {result.captures_new} new captures, "
                f"{result.media_unchanged} unchanged, {result.detections} detections, "
                f"{len(result.errors)} errors{' (stopped early)' if result.interrupted else ''}"
            )
        return not result.interrupted

    def staydown() -> None:
        for result in run_due_rechecks(
            app_ctx.sessions,
            settings=app_ctx.settings,
            registry=app_ctx.registry,
            limits=app_ctx.limits,
            indexes=indexes,
        ):
            if as_json:
                typer.echo(to_json(result))
            else:
                typer.echo(f"staydown: capture {result.capture_id} {result.verdict} ({result.url})")

    def on_air(event: LiveDetection) -> None:
        if as_json:
            typer.echo(to_json(event))
        else:
            typer.echo(f"live: {event.work} on air (capture {event.capture_id})")

    with app_ctx.transaction() as session:
        streams = live_streams(session)
    watchers = [
        threading.Thread(
            target=keep_watching,
            kwargs={
                "site_id": site_id,
                "url": url,
                "stop": stop,
                "settings": app_ctx.settings,
                "registry": app_ctx.registry,
                "limits": app_ctx.limits,
                "indexes": indexes,
                "on_detection": on_air,
            },
            args=(app_ctx.sessions,),
            name=f"live-{site_id}",
            daemon=True,
        )
        for site_id, url in streams
    ]
    for watcher in watchers:
        watcher.start()
    if not as_json:
        typer.echo(
            f"monitoring scheduled sites and {len(watchers)} live stream(s); press Ctrl-C to stop"
        )
    try:
        run_schedule(app_ctx.sessions, sweep, stop=stop, between=staydown)
    finally:
        stop.set()
        for watcher in watchers:
            watcher.join(timeout=30)


@app.command("live")
def live_cmd(
    ctx: typer.Context,
    site: Annotated[str, typer.Option("--site", help="Site id or name the stream belongs to.")],
    url: Annotated[
        str | None,
        typer.Option("--url", help="Live playlist (.m3u8); default: the site's first .m3u8 seed."),
    ] = None,
    duration: Annotated[
        str | None,
        typer.Option("--for", help="Stop after this long, e.g. 30m or 2h; default: until stopped."),
    ] = None,
    window: Annotated[
        float, typer.Option("--window", min=4.0, max=60.0, help="Seconds matched at a time.")
    ] = 12.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per detection, then a summary.")
    ] = False,
) -> None:
    """Watch a live HLS stream and match it as it arrives, recording a capture and detections
    the moment a protected work is on air (then again every 5 minutes while it stays on air).

    Stops when the stream ends, after --for, or on Ctrl-C/SIGTERM. Exit code 1 when the stream
    could not be followed at all.
    """
    app_ctx = app_context(ctx)
    with app_ctx.transaction() as session:
        found = find_site(session, site)
        site_id, seeds = found.id, list(found.seeds)
        indexes = app_ctx.indexes(session)
    stream = url or next((seed for seed in seeds if ".m3u8" in seed.lower()), None)
    if stream is None:
        raise UserError(f"site {site!r} has no .m3u8 seed; give the stream with --url")
    stop = stop_on_signals("stopping the live watch")

    def report(event: LiveDetection) -> None:
        if as_json:
            typer.echo(to_json(event))
        else:
            typer.echo(
                f"{event.recorded_at:%H:%M:%S} {event.work} on air "
                f"({event.stream_start_s:.0f}-{event.stream_end_s:.0f} s of stream, "
                f"score {event.score:.2f}, capture {event.capture_id})"
            )

    if not as_json:
        typer.echo(f"watching {stream}; press Ctrl-C to stop")
    result = watch_live(
        app_ctx.sessions,
        site_id=site_id,
        url=stream,
        settings=app_ctx.settings,
        registry=app_ctx.registry,
        limits=app_ctx.limits,
        indexes=indexes,
        window_s=window,
        stopping=stop.is_set,
        sleep=waiter(stop),
        max_duration_s=None if duration is None else parse_interval(duration).total_seconds(),
        on_detection=report,
    )
    summary = {
        "url": stream,
        "stream_s": round(result.report.stream_s, 1),
        "segments": result.report.segments,
        "windows": result.report.windows,
        "windows_matched": result.windows_matched,
        "detections": len(result.detections),
        "ended": result.report.ended,
        "errors": result.report.errors,
    }
    if as_json:
        typer.echo(to_json(summary))
    else:
        typer.echo(
            f"watched {summary['stream_s']} s of stream in {summary['segments']} segments: "
            f"{summary['detections']} detections"
        )
    if result.report.segments == 0:
        for error in result.report.errors:
            typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)


@app.command("recheck")
def recheck_cmd(
    ctx: typer.Context,
    capture: Annotated[
        list[int], typer.Option("--capture", help="Capture id to check again; repeat for several.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per capture, a line each.")
    ] = False,
) -> None:
    """Staydown: fetch captured items again and say whether each is gone, still present (the
    same bytes, or other bytes still copying the work), replaced, or unreachable. Every check
    is recorded in the evidence ledger."""
    app_ctx = app_context(ctx)
    results = recheck_captures(
        app_ctx.sessions,
        list(capture),
        settings=app_ctx.settings,
        registry=app_ctx.registry,
        limits=app_ctx.limits,
    )
    if as_json:
        for result in results:
            typer.echo(to_json(result))
        return
    print_table(
        "Staydown checks",
        ["capture", "url", "verdict", "HTTP", "still matched"],
        [
            (
                r.capture_id,
                r.url,
                r.verdict,
                "-" if r.http_status is None else r.http_status,
                ", ".join(r.works_still_matched) or "-",
            )
            for r in results
        ],
    )
