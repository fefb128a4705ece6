"""The benchmark's sandbox sites in a process of their own.

Serving from a separate process keeps the sweep's CPU figures the monitor's alone (a server
thread in the same process would be counted with them), and the server's journal says, from
the server's side, which bodies the crawler fetched again. The child builds and serves the sites
and answers a few commands over a pipe: the journal, clearing it, starting the live broadcast
(on air from the moment the command arrives) and stopping.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from jianwang.errors import UserError
from jianwang.sandbox.live import LiveChannel, LiveSegment
from jianwang.sandbox.server import RequestJournal, Resource, Routes, SandboxSite, ServedRequest
from jianwang.sandbox.sites import SiteSpec, build_site, run_sandbox

log = logging.getLogger(__name__)

LIVE_SITE = "live-tv"
LIVE_PREFIX = "/live"
_START_TIMEOUT_S = 600.0  # building the sites segments every HLS item first


def _unchanged(before: Routes, after: Routes) -> set[str]:
    """Paths that serve the same bytes in both versions of a site."""
    same = set()
    for path, route in before.items():
        other = after.get(path)
        if isinstance(route, Resource) and isinstance(other, Resource) and route.etag == other.etag:
            same.add(path)
    return same


def _serve(
    specs: list[SiteSpec],
    specs_after: list[SiteSpec],
    work_dir: Path,
    live: list[LiveSegment],
    conn: Connection,
) -> None:
    """The child: build and serve, then answer commands until told to stop."""
    logging.basicConfig(level=logging.WARNING)
    journal = RequestJournal()
    live_site = SandboxSite(LIVE_SITE, {})
    try:
        server = run_sandbox(specs, work_dir, extra=[live_site], journal=journal)
        later = {spec.name: build_site(spec, work_dir) for spec in specs_after}
    except Exception as exc:  # reported to the parent, which raises it there
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ports", {name: server.port(name) for name in server.sites}))
    try:
        while True:
            command = conn.recv()
            if command == "journal":
                conn.send(journal.entries())
            elif command == "clear":
                journal.clear()
                conn.send(None)
            elif command == "publish":
                unchanged: dict[str, set[str]] = {}
                for name, routes in later.items():
                    current = server.sites[name].routes
                    unchanged[name] = _unchanged(current, routes)
                    current.update(routes)
                conn.send(unchanged)
            elif command == "live":
                channel = LiveChannel(live, started_at=time.time())
                live_site.routes.update(channel.routes(LIVE_PREFIX))
                conn.send(channel.started_at)
            else:
                break
    finally:
        server.stop()
        conn.send(None)


class SandboxProcess:
    """Start with ``with``: the sites are served until the block ends."""

    def __init__(
        self,
        specs: list[SiteSpec],
        specs_after: list[SiteSpec],
        work_dir: Path,
        live: list[LiveSegment],
    ) -> None:
        self._args = (specs, specs_after, work_dir, live)
        self._conn: Connection | None = None
        self._process: Any = None
        self._ports: dict[str, int] = {}

    def __enter__(self) -> SandboxProcess:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(*self._args, child), name="bench-sandbox", daemon=True
        )
        self._process.start()
        child.close()
        self._conn = parent
        if not parent.poll(_START_TIMEOUT_S):
            self._process.kill()
            raise UserError("the benchmark's sandbox did not start in time")
        kind, value = parent.recv()
        if kind == "error":
            self._process.join(5)
            raise UserError(f"the benchmark's sandbox could not be built: {value}")
        self._ports = dict(value)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._conn is not None:
            try:
                self._conn.send("stop")
                if self._conn.poll(10):
                    self._conn.recv()
            except (BrokenPipeError, EOFError, OSError):
                pass
        if self._process is not None:
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()

    def _ask(self, command: str) -> Any:
        if self._conn is None:
            raise RuntimeError("the sandbox process is not running")
        self._conn.send(command)
        return self._conn.recv()

    def base_url(self, site: str) -> str:
        """``http://127.0.0.1:<port>`` of a served site."""
        return f"http://127.0.0.1:{self._ports[site]}"

    def journal(self) -> list[ServedRequest]:
        """Every request answered since the start or the last :meth:`clear`."""
        entries: list[ServedRequest] = self._ask("journal")
        return entries

    def clear(self) -> None:
        """Forget the journal so far."""
        self._ask("clear")

    def publish(self) -> dict[str, set[str]]:
        """Switch every site to its later version (new items published); per site, the paths
        whose bytes did not change."""
        unchanged: dict[str, set[str]] = self._ask("publish")
        return unchanged

    def start_live(self) -> tuple[str, float]:
        """Put the live channel on air now; its playlist URL and the time it started."""
        started_at: float = self._ask("live")
        return f"{self.base_url(LIVE_SITE)}{LIVE_PREFIX}/index.m3u8", started_at
