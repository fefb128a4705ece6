"""Serving a discovery world on 127.0.0.1 in two phases."""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from types import TracebackType

from jianwang.sandbox.discovery.key import (
    HOST,
    NEW,
    OLD,
    Announcement,
    DiscoverySite,
    DiscoveryWorld,
    DomainHop,
)
from jianwang.sandbox.server import RequestJournal, Resource, SandboxServer

log = logging.getLogger(__name__)

# --- serving -------------------------------------------------------------------------------------


class DiscoverySandbox:
    """Serves a world on 127.0.0.1 in two phases.

    :meth:`start` reserves a port for every site (bound sockets, so nothing else takes them;
    fixed ``ports`` are used as given) and serves the phase-1 sites; the new address of the
    moving site stays down, a bound but not listening port, so a connection is refused.
    :meth:`switch_to_phase_2` publishes the announcements on the old address and brings the new
    one up. :meth:`port` and :meth:`base_url` answer for every site from :meth:`start` on.
    """

    def __init__(
        self,
        world: DiscoveryWorld,
        *,
        ports: Mapping[str, int] | None = None,
        journal: RequestJournal | None = None,
    ) -> None:
        self.world = world
        self.journal = journal
        self._fixed = dict(ports or {})
        self._ports: dict[str, int] = {}
        self._held: dict[str, socket.socket] = {}
        self._servers: list[SandboxServer] = []
        self.phase = 0

    def __enter__(self) -> DiscoverySandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self, sites: list[DiscoverySite], phase: int) -> None:
        for site in sites:
            held = self._held.pop(site.name, None)
            if held is not None:
                held.close()
        server = SandboxServer(
            [s.sandbox_site(phase=phase, ports=self._ports) for s in sites],
            ports={s.name: self._ports[s.name] for s in sites},
            journal=self.journal,
        )
        server.start()
        self._servers.append(server)

    def start(self) -> None:
        """Reserve every site's port and serve phase 1; a no-op once started."""
        if self.phase:
            return
        try:
            for site in self.world.sites:
                if site.name in self._fixed:
                    self._ports[site.name] = self._fixed[site.name]
                    continue
                held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                held.bind((HOST, 0))
                self._held[site.name] = held
                self._ports[site.name] = int(held.getsockname()[1])
            self._serve([s for s in self.world.sites if s.first_phase <= 1], 1)
        except OSError:
            self.stop()
            raise
        self.phase = 1
        log.info("discovery sandbox phase 1: %s", self._ports)

    def switch_to_phase_2(self) -> None:
        """Announce the new address on the old site and start the new site."""
        if self.phase != 1:
            raise RuntimeError(f"switch_to_phase_2 needs phase 1, not {self.phase}")
        for site in self.world.sites:
            if site.first_phase <= 1:
                for path, f in site.phase_2_files.items():
                    route = Resource(f.render(self._ports), f.content_type)
                    self._servers[0].add_route(site.name, path, route)
        self._serve([s for s in self.world.sites if s.first_phase == 2], 2)
        self.phase = 2
        log.info("discovery sandbox phase 2: %s moved to port %d", OLD, self._ports[NEW])

    def stop(self) -> None:
        """Stop every server and release the reserved ports."""
        for server in self._servers:
            server.stop()
        for held in self._held.values():
            held.close()
        self._servers.clear()
        self._held.clear()
        self.phase = 0

    def port(self, site: str) -> int:
        """The port ``site`` has (or will have, before its phase)."""
        return self._ports[site]

    def base_url(self, site: str) -> str:
        """``http://127.0.0.1:<port>`` of ``site``, no trailing slash."""
        return f"http://{HOST}:{self.port(site)}"

    def ports(self) -> dict[str, int]:
        """Every site's port."""
        return dict(self._ports)

    def announcements(self) -> list[tuple[DomainHop, Announcement, str]]:
        """Each domain hop's notices with the real new port, as phase 2 shows them."""
        return [
            (hop, note, note.text(self._ports[hop.new_site]))
            for hop in self.world.domain_hops
            for note in hop.announcements
        ]


def serve_discovery_world(
    world: DiscoveryWorld,
    *,
    phase: int = 1,
    ports: Mapping[str, int] | None = None,
    journal: RequestJournal | None = None,
) -> DiscoverySandbox:
    """Start serving ``world`` in ``phase`` (1 or 2); the caller stops the returned sandbox."""
    if phase not in (1, 2):
        raise ValueError(f"phase must be 1 or 2, not {phase}")
    sandbox = DiscoverySandbox(world, ports=ports, journal=journal)
    sandbox.start()
    if phase == 2:
        try:
            sandbox.switch_to_phase_2()
        except BaseException:
            sandbox.stop()
            raise
    return sandbox
