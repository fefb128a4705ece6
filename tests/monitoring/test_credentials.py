"""Per-site credentials: sent to the site's own domains, never to media hosts or past redirects."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.config import Settings
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import Capture
from jianwang.errors import UserError
from jianwang.media.limits import DecodeLimits
from jianwang.monitoring import sites
from jianwang.monitoring.crawler import CrawlPolicy, crawl_site
from jianwang.monitoring.credentials import SiteCredentials
from jianwang.monitoring.fetch import Fetcher
from jianwang.pipeline.sweep import sweep_site
from jianwang.signals.registry import default_registry
from local_http import LocalServer, Reply, Seen

SECRET = "s3cret-value"
TOKEN = "t0ken-value"
CHAPTER = "第一章 天下大势，分久必合，合久必分。" * 40
MEDIA = bytes(range(256)) * 64


def _logged_in(seen: Seen) -> bool:
    return f"sid={SECRET}" in seen.headers.get("cookie", "") and (
        seen.headers.get("x-token") == TOKEN
    )


@pytest.fixture
def cdn() -> Iterator[LocalServer]:
    """A media host on another port: outside the site's domains."""

    def answer(seen: Seen) -> Reply:
        if seen.path.endswith(".mp4"):
            return Reply(body=MEDIA + seen.path.encode(), content_type="video/mp4")
        return Reply(404, b"no")

    with LocalServer(answer) as server:
        yield server


@pytest.fixture
def members(cdn: LocalServer) -> Iterator[LocalServer]:
    """A site whose members' page shows only with the session cookie and token."""

    def answer(seen: Seen) -> Reply:
        if seen.path == "/robots.txt":
            return Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
        if seen.path == "/":
            return Reply(body=b'<a href="/members.html">members</a>')
        if seen.path == "/members.html":
            if not _logged_in(seen):
                return Reply(403, b"log in first")
            body = (
                f'<title>会员区</title><p>{CHAPTER}</p><video src="{cdn.base}/film.mp4"></video>'
                '<a href="/go.mp4">download</a>'
            )
            return Reply(body=body.encode())
        if seen.path == "/go.mp4":  # a redirect leaving the site's domains
            return Reply(302, b"", {"Location": f"{cdn.base}/moved.mp4"})
        return Reply(404, b"no")

    with LocalServer(answer) as server:
        yield server


def _settings(tmp_path: Path) -> Settings:
    return Settings(allow_private_hosts=True, data_dir=tmp_path, crawl_delay_s=0.0)


def _credentials(site: LocalServer) -> SiteCredentials:
    return SiteCredentials(
        [f"127.0.0.1:{site.port}"], cookies={"sid": SECRET}, headers={"X-Token": TOKEN}
    )


def test_a_members_page_is_crawled_and_the_cookie_stays_on_the_site(
    members: LocalServer, cdn: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jianwang")
    policy = CrawlPolicy(seeds=[members.base + "/"], max_pages=10)
    with Fetcher(_settings(tmp_path), credentials=_credentials(members)) as fetcher:
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    assert report.errors == []
    assert {item.page_url for item in report.items} == {members.base + "/members.html"}
    assert {item.media_url or "text" for item in report.items} == {
        cdn.base + "/film.mp4",
        members.base + "/go.mp4",
        "text",
    }
    moved = next(item for item in report.items if item.media_url == members.base + "/go.mp4")
    assert moved.final_url == cdn.base + "/moved.mp4"
    # Every request to the site carried the credentials; none to the media host did, even the
    # one that arrived by a redirect from the site.
    assert members.requests and all(_logged_in(seen) for seen in members.requests)
    assert sorted(seen.path for seen in cdn.requests) == ["/film.mp4", "/moved.mp4", "/robots.txt"]
    for seen in cdn.requests:
        assert "cookie" not in seen.headers and "x-token" not in seen.headers
    assert SECRET not in caplog.text and TOKEN not in caplog.text


def test_without_credentials_the_members_page_is_an_error(
    members: LocalServer, tmp_path: Path
) -> None:
    policy = CrawlPolicy(seeds=[members.base + "/"], max_pages=10)
    with Fetcher(_settings(tmp_path)) as fetcher:
        report = crawl_site(fetcher, policy, media_dir=tmp_path / "content")
    assert report.items == []
    assert [(e.url, "403" in e.reason) for e in report.errors] == [
        (members.base + "/members.html", True)
    ]


def test_server_set_cookies_are_not_kept(tmp_path: Path) -> None:
    """No jar: a cookie one host sets never reaches another host on the same address."""

    def answer(seen: Seen) -> Reply:
        return Reply(
            body=seen.headers.get("cookie", "none").encode(),
            headers={"Set-Cookie": "tracker=1; Path=/"},
        )

    with (
        LocalServer(answer) as one,
        LocalServer(answer) as two,
        Fetcher(_settings(tmp_path)) as fetcher,
    ):
        assert fetcher.fetch_page(one.base + "/a").content == b"none"
        assert fetcher.fetch_page(one.base + "/b").content == b"none"
        assert fetcher.fetch_page(two.base + "/c").content == b"none"


@pytest.mark.parametrize(
    ("domains", "host", "port", "covered"),
    [
        (["127.0.0.1:8001"], "127.0.0.1", 8001, True),
        (["127.0.0.1:8001"], "127.0.0.1", 8002, False),  # another port is another site
        (["pirate.example"], "pirate.example", 443, True),
        (["pirate.example"], "www.pirate.example", 80, True),
        (["pirate.example"], "cdn.example", 443, False),
        (["pirate.example"], "pirate.example.evil.test", 443, False),
        (["pirate.example"], "pirate.example", 8443, False),
    ],
)
def test_credentials_cover_only_the_site_s_domains(
    domains: list[str], host: str, port: int, covered: bool
) -> None:
    credentials = SiteCredentials(domains, cookies={"sid": "x"})
    assert credentials.covers(host, port) is covered
    assert bool(credentials.headers_for(host, port)) is covered


@pytest.mark.parametrize(
    ("cookies", "headers", "match"),
    [
        ({}, {"Host": "evil.example"}, "Host"),
        ({}, {"content-length": "0"}, "content-length"),
        ({}, {"Cookie": "a=b"}, "--cookie"),
        ({}, {"Bad Name": "x"}, "not a valid"),
        ({}, {"X-Ok": "line\r\nInjected: yes"}, "line break"),
        ({"sid": "a;b"}, {}, "';'"),
        ({"bad name": "x"}, {}, "not a valid"),
    ],
)
def test_bad_credentials_are_refused(
    cookies: dict[str, str], headers: dict[str, str], match: str
) -> None:
    with pytest.raises(UserError, match=match) as caught:
        SiteCredentials(["site.example"], cookies=cookies, headers=headers)
    for value in [*cookies.values(), *headers.values()]:
        assert value not in str(caught.value)


def test_repr_shows_names_only() -> None:
    credentials = SiteCredentials(["site.example"], cookies={"sid": SECRET}, headers={"X-T": TOKEN})
    assert SECRET not in repr(credentials) and TOKEN not in repr(credentials)
    assert "sid" in repr(credentials) and "X-T" in repr(credentials)


@pytest.fixture
def factory(settings: Settings) -> sessionmaker[Session]:
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    return session_factory(engine)


def test_a_sweep_sends_the_registered_credentials(
    members: LocalServer, factory: sessionmaker[Session], settings: Settings
) -> None:
    with transaction(factory) as session:
        site = sites.add_site(
            session,
            name="members",
            kind="literature",
            seeds=[members.base + "/"],
            cookies={"sid": SECRET},
            headers={"X-Token": TOKEN},
            concurrency=3,
        )
        site.capture_kinds = ["text"]
        site_id = site.id
        row = sites.site_row(site)
    assert (row.cookie_names, row.header_names, row.concurrency) == (["sid"], ["X-Token"], 3)
    result = sweep_site(
        factory,
        site_id=site_id,
        settings=settings,
        registry=default_registry(),
        limits=DecodeLimits(),
    )
    assert result.errors == [] and result.captures_new == 1
    with transaction(factory) as session:
        pages = session.scalars(select(Capture.page_url)).all()
    assert pages == [members.base + "/members.html"]
