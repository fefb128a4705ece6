"""The SSRF guard refuses every scheme and address class a crawler must not reach."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from jianwang.config import Settings
from jianwang.errors import FetchError, UnsafeURLError
from jianwang.monitoring.fetch import Fetcher
from jianwang.monitoring.safety import Resolver, check_url, forbidden_reason, normalise_url
from jianwang.sandbox.server import Redirect, Resource, SandboxServer, SandboxSite

PUBLIC_IP = "93.184.216.34"


def resolver_for(*addresses: str) -> Resolver:
    def resolve(host: str, port: int) -> Sequence[str]:
        return list(addresses)

    return resolve


def failing_resolver(host: str, port: int) -> Sequence[str]:
    raise AssertionError("the guard must not resolve here")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/file",
        "data:text/plain,hello",
        "gopher://example.com:70/_payload",
        "javascript:alert(1)",
        "dict://example.com:11211/stat",
        "example.com/no-scheme",
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_non_http_schemes_are_refused(url: str, allow_private: bool) -> None:
    with pytest.raises(UnsafeURLError, match="scheme"):
        check_url(url, allow_private=allow_private, resolver=failing_resolver)


@pytest.mark.parametrize("url", ["http:///path", "http://", "https://:80/"])
def test_missing_host_is_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="no host"):
        check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url", ["http://user:pw@example.com/", "http://user@example.com/", "http://:pw@example.com/"]
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_credentials_in_url_are_refused(url: str, allow_private: bool) -> None:
    with pytest.raises(UnsafeURLError, match="credentials"):
        check_url(url, allow_private=allow_private, resolver=resolver_for(PUBLIC_IP))


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "address"),  # reserved (Python also calls it private)
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("::ffff:127.0.0.1", "IPv6 form of loopback"),
        ("::ffff:10.1.1.1", "IPv6 form of private"),
        ("::ffff:169.254.169.254", "IPv6 form of cloud metadata"),
        ("2002:a9fe:a9fe::1", "IPv6 form of cloud metadata"),  # 6to4 around 169.254.169.254
        ("64:ff9b::7f00:1", "IPv6 form of loopback"),  # NAT64 around 127.0.0.1
    ],
)
def test_every_forbidden_address_class_is_refused(address: str, reason: str) -> None:
    url = "http://innocent-looking.example/page"
    with pytest.raises(UnsafeURLError, match=reason) as caught:
        check_url(url, allow_private=False, resolver=resolver_for(address))
    assert url in str(caught.value)
    assert forbidden_reason(address) is not None


def test_one_bad_address_among_good_ones_is_enough() -> None:
    with pytest.raises(UnsafeURLError, match="loopback"):
        check_url("http://x.example/", allow_private=False, resolver=resolver_for(PUBLIC_IP, "::1"))


@pytest.mark.parametrize("address", [PUBLIC_IP, "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    resolved = check_url(
        "HTTPS://Example.COM:443/a?b=1#frag", allow_private=False, resolver=resolver_for(address)
    )
    assert resolved.url == "https://example.com/a?b=1"
    assert resolved.host == "example.com"
    assert resolved.port == 443
    assert resolved.addresses == (address,)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://[::1]:8080/",
        "http://2130706433/",  # decimal 127.0.0.1
        "http://0x7f.1/",  # hex-dotted 127.0.0.1
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_literal_and_obfuscated_internal_hosts_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        check_url(url, allow_private=False)


def test_allow_private_skips_address_checks_only() -> None:
    resolved = check_url("http://127.0.0.1:8000/x", allow_private=True, resolver=failing_resolver)
    assert resolved.addresses == ()
    assert resolved.port == 8000


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://169.254.1.2/"]
)
def test_link_local_addresses_stay_refused_even_when_private_ones_are_allowed(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="link-local"):
        check_url(url, allow_private=True, resolver=failing_resolver)


def test_unresolvable_host_is_a_fetch_error_not_unsafe() -> None:
    def no_such_host(host: str, port: int) -> Sequence[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(FetchError, match="cannot resolve") as caught:
        check_url("http://nowhere.invalid/", allow_private=False, resolver=no_such_host)
    assert not isinstance(caught.value, UnsafeURLError)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTP://Example.COM:80/a#frag", "http://example.com/a"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x?q=1", "https://example.com:8443/x?q=1"),
        ("http://[::1]:80/", "http://[::1]/"),
        ("http://127.0.0.1:8001/A/b", "http://127.0.0.1:8001/A/b"),
        ("http://例子.测试/章节", "http://xn--fsqu00a.xn--0zwm56d/章节"),
    ],
)
def test_normalise_url(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    site = SandboxSite("local", {"/": Resource(b"<p>hello</p>", "text/html")})
    with SandboxServer([site]) as server:
        yield server


def test_sandbox_is_refused_unless_private_hosts_are_allowed(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox.base_url("local") + "/"
    with Fetcher(Settings(allow_private_hosts=True, data_dir=tmp_path)) as fetcher:
        assert fetcher.fetch_page(url).content == b"<p>hello</p>"
    with (
        Fetcher(Settings(allow_private_hosts=False, data_dir=tmp_path)) as fetcher,
        pytest.raises(UnsafeURLError, match="loopback"),
    ):
        fetcher.fetch_page(url)


def test_redirect_from_public_host_to_loopback_is_refused(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """A public page redirecting into 127.0.0.1 is stopped at the hop, before any connection."""
    target = sandbox.base_url("local") + "/"
    seen: list[httpx.Request] = []

    def public_site(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": target})

    client = httpx.Client(transport=httpx.MockTransport(public_site), follow_redirects=False)
    settings = Settings(allow_private_hosts=False, data_dir=tmp_path)
    with (
        Fetcher(settings, client=client, resolver=resolver_for(PUBLIC_IP)) as fetcher,
        pytest.raises(UnsafeURLError, match=r"127\.0\.0\.1"),
    ):
        fetcher.fetch_page("http://public.example/start")
    # Only the public hop was requested, at the address the guard checked, under its own name.
    assert len(seen) == 1
    assert seen[0].url.host == PUBLIC_IP
    assert seen[0].headers["host"] == "public.example"

    # The same redirect inside an allow-listed setup (tests, sandbox) is followed.
    sandbox.add_route("local", "/hop", Redirect("/"))
    with Fetcher(Settings(allow_private_hosts=True, data_dir=tmp_path)) as fetcher:
        page = fetcher.fetch_page(sandbox.base_url("local") + "/hop")
    assert page.final_url == target
    client.close()


def test_https_request_is_pinned_with_sni_of_the_name(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"ok", headers={"Content-Type": "text/plain"})

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
        Fetcher(
            Settings(data_dir=tmp_path), client=client, resolver=resolver_for(PUBLIC_IP)
        ) as fetcher,
    ):
        page = fetcher.fetch_page("https://Video.Example:8443/watch?id=1")
    assert page.final_url == "https://video.example:8443/watch?id=1"
    assert page.resolved_ip == PUBLIC_IP
    assert str(seen[0].url) == f"https://{PUBLIC_IP}:8443/watch?id=1"
    assert seen[0].headers["host"] == "video.example:8443"
    assert seen[0].extensions["sni_hostname"] == "video.example"
