"""Sweep schedules: due sites, the scheduler loop, stopping in the middle and resuming."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jianwang.config import Settings
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import Site, SiteStatus
from jianwang.errors import UserError
from jianwang.media.limits import DecodeLimits
from jianwang.monitoring import sites
from jianwang.monitoring.schedule import due_sites, parse_interval, run_schedule
from jianwang.pipeline.sweep import fetch_settings_for, sweep_site
from jianwang.sandbox.server import Resource, SandboxServer, SandboxSite
from jianwang.signals.registry import default_registry

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def factory(settings: Settings) -> sessionmaker[Session]:
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    return session_factory(engine)


def _site(session: Session, name: str, schedule: str | None, last: datetime | None) -> int:
    site = sites.add_site(
        session, name=name, kind="video", seeds=[f"http://{name}.example/"], schedule=schedule
    )
    site.last_sweep_at = last
    return site.id


def test_intervals_are_read_and_nonsense_refused() -> None:
    assert parse_interval("30m") == timedelta(minutes=30)
    assert parse_interval(" 6H ") == timedelta(hours=6)
    assert parse_interval("1.5d") == timedelta(hours=36)
    for bad in ("", "soon", "5x", "10s"):
        with pytest.raises(UserError, match="schedule"):
            parse_interval(bad)


def test_sites_are_due_by_their_last_complete_sweep(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        never = _site(s, "never", "6h", None)
        stale = _site(s, "stale", "6h", NOW - timedelta(hours=7))
        fresh = _site(s, "fresh", "6h", NOW - timedelta(hours=1))
        _site(s, "manual", None, None)
        closed = _site(s, "closed", "1h", None)
        s.get(Site, closed).status = SiteStatus.SHUT_DOWN  # type: ignore[union-attr]
    with transaction(factory) as s:
        due, next_due = due_sites(s, NOW)
    assert due == [never, stale] and fresh not in due
    assert next_due == NOW + timedelta(hours=5)
    with transaction(factory) as s, pytest.raises(UserError, match="schedule"):
        sites.add_site(s, name="bad", kind="video", seeds=["http://b.example/"], schedule="often")


def test_a_site_s_own_rate_sets_the_pause_between_its_requests(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    with transaction(factory) as s:
        slow = sites.add_site(
            s, name="slow", kind="video", seeds=["http://s.example/"], rate_per_s=0.5
        )
        plain = sites.add_site(s, name="plain", kind="video", seeds=["http://p.example/"])
        assert fetch_settings_for(slow, settings).crawl_delay_s == pytest.approx(2.0)
        assert fetch_settings_for(plain, settings) is settings
        with pytest.raises(UserError, match="rate"):
            sites.add_site(s, name="x", kind="video", seeds=["http://x.example/"], rate_per_s=0)


def test_the_loop_sweeps_what_is_due_and_stops_when_told(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        a = _site(s, "a", "1h", None)
        b = _site(s, "b", "1h", NOW - timedelta(minutes=10))
    stop = threading.Event()
    swept: list[int] = []

    def sweep(site_id: int, stopping: Callable[[], bool]) -> bool:
        swept.append(site_id)
        with transaction(factory) as s:
            s.get(Site, site_id).last_sweep_at = NOW  # type: ignore[union-attr]
        stop.set()  # as a signal would, while the sweep runs
        return True

    passes: list[str] = []

    def staydown() -> None:
        passes.append("staydown")
        if len(passes) == 1:
            raise UserError("no capture 7")  # logged; the sweeps still run

    assert run_schedule(factory, sweep, stop=stop, clock=lambda: NOW, between=staydown) == 1
    assert swept == [a] and b not in swept
    assert passes == ["staydown"]  # once per pass, before the due sites


def test_a_failing_site_does_not_stop_the_others(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        bad = _site(s, "bad", "1h", None)
        good = _site(s, "good", "1h", None)
    stop = threading.Event()
    tried: list[int] = []
    naps: list[float] = []

    def sweep(site_id: int, stopping: Callable[[], bool]) -> bool:
        tried.append(site_id)
        if site_id == bad:
            raise UserError("site 'bad' is shut down")
        with transaction(factory) as s:
            s.get(Site, site_id).last_sweep_at = NOW  # type: ignore[union-attr]
        return True

    class Clock:
        def __call__(self) -> datetime:
            if len(tried) >= 3:
                stop.set()
            return NOW

    original_wait = stop.wait

    def wait(timeout: float | None = None) -> bool:
        naps.append(timeout or 0.0)
        return original_wait(0)

    stop.wait = wait  # type: ignore[method-assign]
    assert run_schedule(factory, sweep, stop=stop, clock=Clock()) == 1
    assert tried[:3] == [bad, good, bad]
    assert naps and naps[0] > 0  # the failing site waits for the next round, not a tight loop


def test_a_stopped_sweep_does_not_count_and_is_resumed(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    page = b"<html><body>" + b"".join(b"<a href='/p%d.html'>p</a>" % i for i in range(5))
    routes = {"/": Resource(page + b"</body></html>", "text/html")}
    routes |= {f"/p{i}.html": Resource(b"<html>x</html>", "text/html") for i in range(5)}
    with SandboxServer([SandboxSite("s", routes)]) as server:
        base = server.base_url("s")
        with transaction(factory) as s:
            site_id = sites.add_site(
                s, name="s", kind="video", seeds=[base + "/"], schedule="1h"
            ).id
        asked = 0

        def stopping() -> bool:
            nonlocal asked
            asked += 1
            return asked > 2  # stop after two pages

        run = {"settings": settings, "registry": default_registry(), "limits": DecodeLimits()}
        cut = sweep_site(factory, site_id=site_id, stopping=stopping, **run)  # type: ignore[arg-type]
        assert cut.interrupted and cut.pages == 2
        with transaction(factory) as s:
            assert s.get(Site, site_id).last_sweep_at is None  # type: ignore[union-attr]
            assert due_sites(s, datetime.now(UTC))[0] == [site_id]
        whole = sweep_site(factory, site_id=site_id, **run)  # type: ignore[arg-type]
        assert not whole.interrupted and whole.pages == 6
        with transaction(factory) as s:
            assert due_sites(s, datetime.now(UTC))[0] == []
