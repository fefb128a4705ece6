"""Per-site concurrency: requests in flight per host are capped, captures stay in page order."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jianwang.config import Settings
from jianwang.errors import FetchError
from jianwang.monitoring.crawler import CapturedItem, CrawlPolicy, crawl_site
from jianwang.monitoring.fetch import Fetcher
from jianwang.monitoring.throttle import HostSlots
from local_http import LocalServer, Reply, Seen

ITEMS = 6


class _InFlight:
    """Requests in flight across several servers, and the most there were at once."""

    def __init__(self) -> None:
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


def _slow_site(both: _InFlight | None = None) -> LocalServer:
    """A page of six videos; each takes a while to serve, the first ones longest."""

    def answer(seen: Seen) -> Reply:
        if seen.path == "/":
            tags = "".join(f'<video src="/media/{n}.mp4"></video>' for n in range(ITEMS))
            return Reply(body=f"<title>list</title>{tags}".encode())
        if seen.path.startswith("/media/"):
            n = int(seen.path.removeprefix("/media/").removesuffix(".mp4"))
            time.sleep(0.05 + 0.04 * (ITEMS - n))  # later items finish first
            return Reply(body=b"clip%d" % n * 1000, content_type="video/mp4")
        if seen.path.startswith("/slow"):
            with both or _InFlight():
                time.sleep(0.2)
            return Reply(body=b"ok", content_type="text/plain")
        return Reply(404, b"no")

    return LocalServer(answer)


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with _slow_site() as server:
        yield server


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(allow_private_hosts=True, data_dir=tmp_path, crawl_delay_s=0.0, **overrides)  # type: ignore[arg-type]


def _crawl(site: LocalServer, tmp_path: Path, concurrency: int) -> list[CapturedItem]:
    seen: list[CapturedItem] = []
    threads: set[int] = set()

    def on_item(item: CapturedItem) -> None:
        threads.add(threading.get_ident())
        seen.append(item)

    policy = CrawlPolicy(seeds=[site.base + "/"], concurrency=concurrency)
    with Fetcher(_settings(tmp_path), concurrency=concurrency) as fetcher:
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content", on_item=on_item)
    assert report.errors == []
    assert threads == {threading.get_ident()}  # recorded by the crawl's own thread only
    return seen


def test_concurrency_one_never_overlaps(site: LocalServer, tmp_path: Path) -> None:
    items = _crawl(site, tmp_path, 1)
    assert [item.media_url for item in items] == [
        f"{site.base}/media/{n}.mp4" for n in range(ITEMS)
    ]
    assert site.peak == {f"127.0.0.1:{site.port}": 1}


def test_concurrency_three_overlaps_but_never_exceeds_three(
    site: LocalServer, tmp_path: Path
) -> None:
    items = _crawl(site, tmp_path, 3)
    # Captures come out in the page's order, not in the order the downloads finished.
    assert [item.media_url for item in items] == [
        f"{site.base}/media/{n}.mp4" for n in range(ITEMS)
    ]
    assert [item.path.read_bytes()[:5] for item in items] == [b"clip%d" % n for n in range(ITEMS)]
    assert 1 < site.peak[f"127.0.0.1:{site.port}"] <= 3


def test_the_fetcher_caps_each_host_separately(tmp_path: Path) -> None:
    both = _InFlight()
    with (
        _slow_site(both) as one,
        _slow_site(both) as two,
        Fetcher(_settings(tmp_path), concurrency=2) as fetcher,
    ):
        urls = [f"{server.base}/slow/{n}" for server in (one, two) for n in range(5)]
        workers = [threading.Thread(target=fetcher.fetch_page, args=(url,)) for url in urls]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    for server in (one, two):
        assert server.hits("/slow/0") == 1
        assert server.peak[f"127.0.0.1:{server.port}"] == 2
    assert both.peak > 2  # each host has its own slots: the other host does not hold it up


def test_waiting_for_a_slot_is_bounded_by_the_time_limit(site: LocalServer, tmp_path: Path) -> None:
    with Fetcher(_settings(tmp_path, fetch_timeout_s=0.5), concurrency=1) as fetcher:
        with fetcher.open(site.base + "/slow/held"):
            started = time.monotonic()
            with pytest.raises(FetchError, match="no free connection"):
                fetcher.fetch_page(site.base + "/slow/blocked")
            assert time.monotonic() - started < 2
        assert fetcher.fetch_page(site.base + "/slow/after").content == b"ok"  # slot given back


def test_host_slots() -> None:
    slots = HostSlots(2)
    assert slots.acquire("a:80", 0) and slots.acquire("a:80", 0)
    assert not slots.acquire("a:80", 0.01)
    assert slots.acquire("b:80", 0)  # another host has its own slots
    slots.release("a:80")
    assert slots.acquire("a:80", 0)
    with pytest.raises(ValueError, match="between 1 and 16"):
        HostSlots(0)
