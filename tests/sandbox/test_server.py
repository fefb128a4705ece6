"""The sandbox HTTP server: the protocol details a crawler leans on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jianwang.sandbox.server import Redirect, Resource, SandboxServer, SandboxSite

BODY = bytes(range(256)) * 4  # 1024 bytes


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SandboxServer]:
    on_disk = tmp_path / "clip.bin"
    on_disk.write_bytes(BODY)
    sites = [
        SandboxSite(
            "alpha",
            {
                "/mem.bin": Resource(BODY, "application/octet-stream"),
                "/disk.bin": Resource(on_disk, "video/mp4"),
                "/old": Redirect("/mem.bin", status=301),
            },
            robots_txt="User-agent: *\nDisallow: /private/\n",
        ),
        SandboxSite("beta", {"/": Resource(b"<p>beta</p>", "text/html")}, robots_txt=None),
    ]
    with SandboxServer(sites) as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5) as c:
        yield c


@pytest.mark.parametrize("path", ["/mem.bin", "/disk.bin"])
def test_get_serves_body_with_validators(
    server: SandboxServer, client: httpx.Client, path: str
) -> None:
    response = client.get(server.base_url("alpha") + path)
    assert response.status_code == 200
    assert response.content == BODY
    assert response.headers["content-length"] == str(len(BODY))
    assert response.headers["etag"].startswith('"')
    assert "GMT" in response.headers["last-modified"]
    assert response.headers["accept-ranges"] == "bytes"


def test_head_sends_headers_without_body(server: SandboxServer, client: httpx.Client) -> None:
    response = client.head(server.base_url("alpha") + "/disk.bin")
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(BODY))
    assert response.headers["content-type"] == "video/mp4"
    assert response.content == b""


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=10-19", 10, 19),
        ("bytes=1000-", 1000, 1023),
        ("bytes=-24", 1000, 1023),
        ("bytes=1020-5000", 1020, 1023),
    ],
)
def test_range_requests_answer_206(
    server: SandboxServer, client: httpx.Client, header: str, start: int, end: int
) -> None:
    for path in ("/mem.bin", "/disk.bin"):
        response = client.get(server.base_url("alpha") + path, headers={"Range": header})
        assert response.status_code == 206
        assert response.headers["content-range"] == f"bytes {start}-{end}/{len(BODY)}"
        assert response.content == BODY[start : end + 1]


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=2000-3000", "bytes=-0"])
def test_unsatisfiable_range_is_416(
    server: SandboxServer, client: httpx.Client, header: str
) -> None:
    response = client.get(server.base_url("alpha") + "/mem.bin", headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(BODY)}"


def test_if_range_with_stale_validator_sends_everything(
    server: SandboxServer, client: httpx.Client
) -> None:
    url = server.base_url("alpha") + "/mem.bin"
    etag = client.head(url).headers["etag"]
    fresh = client.get(url, headers={"Range": "bytes=5-", "If-Range": etag})
    assert fresh.status_code == 206
    stale = client.get(url, headers={"Range": "bytes=5-", "If-Range": '"other"'})
    assert stale.status_code == 200
    assert stale.content == BODY


def test_etag_and_last_modified_give_304(server: SandboxServer, client: httpx.Client) -> None:
    url = server.base_url("alpha") + "/disk.bin"
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    since = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    changed = client.get(url, headers={"If-None-Match": '"nope"'})
    assert changed.status_code == 200


def test_unknown_path_is_404_and_redirects_redirect(
    server: SandboxServer, client: httpx.Client
) -> None:
    assert client.get(server.base_url("alpha") + "/missing").status_code == 404
    moved = client.get(server.base_url("alpha") + "/old")
    assert moved.status_code == 301
    assert moved.headers["location"] == "/mem.bin"


def test_robots_txt_per_site(server: SandboxServer, client: httpx.Client) -> None:
    robots = client.get(server.base_url("alpha") + "/robots.txt")
    assert robots.status_code == 200
    assert "Disallow: /private/" in robots.text
    assert client.get(server.base_url("beta") + "/robots.txt").status_code == 404


def test_sites_get_their_own_ports_and_stop_releases_them(tmp_path: Path) -> None:
    sites = [SandboxSite(name, {"/": Resource(name.encode(), "text/plain")}) for name in "ab"]
    server = SandboxServer(sites)
    with pytest.raises(KeyError):
        server.base_url("a")  # nothing listens before start()
    with server, httpx.Client(trust_env=False) as client:
        assert server.port("a") != server.port("b")
        assert client.get(server.base_url("b") + "/").content == b"b"
        server.add_route("b", "/new", Resource(b"added", "text/plain"))
        assert client.get(server.base_url("b") + "/new").content == b"added"
        url = server.base_url("a")
    with pytest.raises(httpx.TransportError), httpx.Client(trust_env=False) as client:
        client.get(url + "/", timeout=1)


def test_duplicate_site_names_are_refused() -> None:
    site = SandboxSite("same", {})
    with pytest.raises(ValueError, match="duplicate"):
        SandboxServer([site, SandboxSite("same", {})])
