"""The SSRF guard: which URLs the crawler may reach at all.

A monitoring crawler follows links and redirects chosen by hostile sites, so every URL it is about
to request (each redirect hop, each playlist entry) passes through :func:`check_url` first. The
guard resolves the host itself and refuses the request if *any* address it resolves to is internal
(loopback, private, link-local including cloud metadata, CGNAT, multicast, reserved, or an
IPv4-mapped IPv6 form of these). The fetcher then connects to the address checked here, so a DNS
answer that changes between check and connect cannot steer it inside.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from jianwang.errors import FetchError, UnsafeURLError

Resolver = Callable[[str, int], Sequence[str]]
"""Maps (host, port) to the IP address strings a connection might use."""

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_METADATA = ipaddress.IPv4Address("169.254.169.254")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class ResolvedURL:
    """A URL that passed the guard, with the addresses it was checked against.

    ``addresses`` is empty when private hosts are allowed (nothing was resolved); otherwise the
    fetcher connects to ``addresses[0]`` rather than resolving the name again.
    """

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``getaddrinfo`` gives for ``host``, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 scope id
        if address not in seen:
            seen.append(address)
    return seen


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise UnsafeURLError(f"refused {url!r}: malformed URL ({exc})") from exc
    return parts


def _ascii_host(url: str, host: str) -> str:
    """The host in its ASCII (IDNA) form, as DNS and the Host header need it."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UnsafeURLError(f"refused {url!r}: host is not a valid name ({exc})") from exc


def normalise_url(url: str) -> str:
    """One spelling per resource: lowercase scheme and host, no default port, no fragment.

    Crawl bookkeeping ("fetched once") compares these strings, so ``HTTP://Example.com:80/a#x``
    and ``http://example.com/a`` must come out the same. The path and query are kept as given.
    """
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = _ascii_host(url, (parts.hostname or "").lower())
    if ":" in host:
        host = f"[{host}]"
    netloc = host
    if parts.username is not None or parts.password is not None:
        userinfo = parts.username or ""
        if parts.password is not None:
            userinfo += f":{parts.password}"
        netloc = f"{userinfo}@{host}"
    port = parts.port
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    path = parts.path or ("/" if host else "")
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def forbidden_reason(address: str) -> str | None:
    """Why ``address`` must not be contacted, or ``None`` when it is a public address."""
    try:
        ip: IPAddress = ipaddress.ip_address(address)
    except ValueError:
        return f"unparseable address {address!r}"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = forbidden_reason(str(embedded))
            return f"IPv6 form of {inner}" if inner else None
    checks: list[tuple[bool, str]] = [
        (ip.is_unspecified, "unspecified address"),
        (ip.is_loopback, "loopback address"),
        (ip == _METADATA, "cloud metadata address"),
        (ip.is_link_local, "link-local address"),
        (ip.is_multicast, "multicast address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "carrier-grade NAT address"),
        (ip.is_private, "private address"),
        (ip.is_reserved, "reserved address"),
        (not ip.is_global, "address that is not globally routable"),
    ]
    for hit, reason in checks:
        if hit:
            return f"{reason} {ip}"
    return None


def check_url(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> ResolvedURL:
    """Refuse a URL the crawler must not request, or return it normalised with its addresses.

    Raises :class:`UnsafeURLError` naming the URL and the reason for a non-http(s) scheme, a
    missing host, credentials in the URL, or (unless ``allow_private``) any resolved address that
    is not public. A name that does not resolve raises a plain :class:`FetchError`.
    """
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURLError(f"refused {url!r}: scheme {scheme or '(none)'!r} is not http(s)")
    host = _ascii_host(url, (parts.hostname or "").lower())
    if not host:
        raise UnsafeURLError(f"refused {url!r}: no host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURLError(f"refused {url!r}: credentials in URL")
    port = parts.port if parts.port is not None else DEFAULT_PORTS[scheme]
    normal = normalise_url(url)
    if allow_private:
        # Loopback and private ranges are what a test or the sandbox needs; link-local ones
        # (the cloud metadata service above all) never are.
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and literal.is_link_local:
            raise UnsafeURLError(f"refused {url!r}: link-local address {literal}")
        return ResolvedURL(normal, scheme, host, port, ())
    try:
        addresses: tuple[str, ...] = (str(ipaddress.ip_address(host)),)  # a literal needs no DNS
    except ValueError:
        addresses = ()
    try:
        addresses = addresses or tuple(resolver(host, port))
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host of {url!r}: {exc}") from exc
    if not addresses:
        raise FetchError(f"cannot resolve host of {url!r}: no addresses")
    for address in addresses:
        reason = forbidden_reason(address)
        if reason is not None:
            raise UnsafeURLError(f"refused {url!r}: {host} resolves to {reason}")
    return ResolvedURL(normal, scheme, host, port, addresses)


class DomainScope:
    """Which hosts belong to one site, from its ``host`` and ``host:port`` entries.

    ``host:port`` matches exactly that origin (sandbox sites differ only by port); a bare ``host``
    matches the host and its subdomains on the default ports. One definition serves both the
    crawler (which pages it follows) and the fetcher (where a site's credentials may go), so the
    two can never disagree about what "the site's own domains" means.
    """

    def __init__(self, entries: Iterable[str]) -> None:
        self._exact: set[tuple[str, int]] = set()
        self._hosts: set[str] = set()
        for entry in entries:
            try:
                probe = urlsplit(f"//{entry.strip().lower()}")
                port = probe.port
            except ValueError:
                continue  # a malformed entry matches nothing rather than everything
            host = probe.hostname or ""
            if port is not None:
                self._exact.add((host, port))
            elif host:
                self._hosts.add(host)

    def __bool__(self) -> bool:
        return bool(self._exact or self._hosts)

    def contains(self, host: str, port: int) -> bool:
        """Whether ``host`` (lower case, ASCII) on ``port`` is one of the site's own."""
        host = host.lower().strip("[]")
        if (host, port) in self._exact:
            return True
        if port not in DEFAULT_PORTS.values():
            return False
        return any(host == h or host.endswith(f".{h}") for h in self._hosts)

    def contains_url(self, url: str) -> bool:
        """Whether an http(s) URL's origin is one of the site's own."""
        try:
            parts = urlsplit(url)
            port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)
        except ValueError:
            return False
        return self.contains(parts.hostname or "", port)
