"""``jianwang demo``: the whole flow on local sandbox sites, in one command.

With ``--keep-serving`` the sandbox sites stay up and the dashboard is served beside them on a
free port of 127.0.0.1, with a freshly generated login for the demo's officer, until Ctrl-C.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from jianwang.cli.context import AppContext, app_context
from jianwang.cli.output import console, print_table
from jianwang.cli.signals import stop_on_signals, wait_until
from jianwang.errors import JianwangError
from jianwang.pipeline.demo import DemoResult, run_demo
from jianwang.pipeline.demo_enforcement import DashboardLogin, dashboard_login
from jianwang.web.app import create_app

log = logging.getLogger(__name__)

STARTUP_S = 20.0


def demo(
    ctx: typer.Context,
    keep_serving: Annotated[
        bool,
        typer.Option(
            "--keep-serving",
            help="Leave the sandbox sites up after the demo and serve the dashboard beside them "
            "(a login is printed) until Ctrl-C.",
        ),
    ] = False,
) -> None:
    """Build a protection list, crawl sandbox pirate sites, detect, review, notify, open a case,
    export its evidence and report."""
    app_ctx = app_context(ctx)
    err = Console(stderr=True)
    started = time.monotonic()

    def progress(message: str) -> None:
        err.print(f"[dim]{time.monotonic() - started:6.1f}s[/dim] {message}")

    result = run_demo(app_ctx.settings, keep_serving=keep_serving, progress=progress)
    print_summary(result, elapsed=time.monotonic() - started)
    if result.server is not None:
        stop = stop_on_signals()
        dashboard: Dashboard | None = None
        try:
            dashboard = Dashboard.start(app_ctx)
            login = dashboard.login
            typer.echo(f"dashboard: {dashboard.url}")
            typer.echo(f"  sign in as {login.username} with password {login.password}")
            typer.echo("sandbox sites and dashboard stay up; press Ctrl-C to stop")
            wait_until(stop)
            typer.echo("stopping")
        finally:
            if dashboard is not None:
                dashboard.stop()
            result.server.stop()
    if not result.all_ok:
        raise typer.Exit(1)


def print_summary(result: DemoResult, *, elapsed: float) -> None:
    """What the demo found, set against what it planted, and where the data lives."""
    out = console()
    summary = result.summary
    assert summary is not None
    out.print(f"\n[bold]Jianwang demo[/bold] finished in {elapsed:.0f} s")
    out.print(
        f"protection list: {summary.works} works, {summary.assets} reference assets; "
        f"{summary.sites} sites; {summary.captures} captures"
    )
    print_table(
        "Detections by work and site (captures)",
        ["work", "site", "statuses"],
        [
            (d.work, d.site, ", ".join(f"{k} {v}" for k, v in sorted(d.statuses.items())))
            for d in summary.detections
        ],
    )
    print_table(
        "Cases",
        ["number", "site", "state", "detections"],
        [(c.number, c.site, c.state, c.detections) for c in summary.cases],
    )
    print_table(
        "Notices",
        ["id", "kind", "site", "status", "URLs", "deadline"],
        [(n.id, n.kind, n.site, n.status, n.urls, n.deadline) for n in summary.notices],
    )
    print_table(
        "Planted copies against what was found",
        ["site", "item", "expected", "found", "status", "ok"],
        [
            (
                c.planted.site,
                c.planted.title,
                c.planted.expected_work or "(nothing)",
                ", ".join(c.found_works) or "(nothing)",
                ", ".join(c.statuses) or "-",
                "yes" if c.ok else "NO",
            )
            for c in result.checks
        ],
    )
    enforcement = result.enforcement
    if enforcement is not None:
        out.print(
            f"enforcement: {enforcement.warnings} warning notice(s) on publishing the protection "
            f"list; {enforcement.reviewed} detection(s) reviewed; {enforcement.notices_sent} "
            f"takedown notice(s) sent; case {enforcement.case_number} at "
            f"{enforcement.case_state} (a decision waits out the statement window)"
        )
        verdict = "verifies offline" if enforcement.package_ok else "FAILS verification"
        out.print(f"evidence package: {enforcement.package} {verdict}")
        for problem in enforcement.package_problems:
            out.print(f"  {problem}")
        for path in enforcement.reports:
            out.print(f"campaign report: {path}")
    good = sum(c.ok for c in result.checks)
    out.print(f"{good}/{len(result.checks)} planted items identified as expected")
    out.print(f"data: {result.data_dir} (database {result.database_url})")
    for name, url in result.sites.items():
        out.print(f"  {name:18s} {url}/")


class Dashboard:
    """The dashboard served by uvicorn in a thread of this process, on a socket bound to a free
    port of 127.0.0.1 before the server starts (so the printed port is the one listening)."""

    def __init__(
        self,
        server: uvicorn.Server,
        thread: threading.Thread,
        sock: socket.socket,
        login: DashboardLogin,
    ) -> None:
        self._server = server
        self._thread = thread
        self._sock = sock
        self.login = login
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/"

    @classmethod
    def start(cls, app_ctx: AppContext) -> Dashboard:
        """Give the demo's officer a password and start serving."""
        with app_ctx.transaction() as session:
            login = dashboard_login(session)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(create_app(app_ctx.settings), log_level="warning")
        server = uvicorn.Server(config)
        # Outside the main thread uvicorn leaves the signals alone: Ctrl-C stays the demo's,
        # which stops this server in turn.
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="dashboard", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + STARTUP_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise JianwangError("the dashboard did not start")
            time.sleep(0.05)
        log.info("dashboard serving on %s", sock.getsockname())
        return cls(server, thread, sock, login)

    def stop(self) -> None:
        """Stop serving and wait for the server's thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
