"""Cookies and headers an authority holds for a site, and the only hosts they may be sent to.

Some sites show their catalogue only to a logged-in account, so an authority can register the
account's session cookies or an access header with the site. They are secrets of that account:
the fetcher attaches them only to requests whose host is one of the site's own domains (checked
again on every redirect hop), never to a CDN or media host outside them, and nothing here ever
logs or prints a value; people and JSON see the names only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from jianwang.errors import UserError
from jianwang.monitoring.safety import DomainScope

FORBIDDEN_HEADERS = frozenset(
    {
        # framing and routing: the fetcher sets these itself, a wrong one breaks the exchange
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "expect",
        "proxy-connection",
        "proxy-authorization",
        # the fetcher's own negotiation: ranges, validators and the identity encoding of media
        "range",
        "if-range",
        "if-none-match",
        "if-modified-since",
        "accept-encoding",
        # cookies have their own option, so one place builds the Cookie header
        "cookie",
    }
)
"""Header names a site's credentials may not set."""

MAX_CREDENTIAL_CHARS = 16_384
"""Longest cookie or header value accepted: real session tokens are far shorter."""

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def check_header(name: str, value: str) -> None:
    """Refuse a header that is malformed or would break the exchange; the value is never shown."""
    if not _TOKEN.match(name):
        raise UserError(f"header name {name!r} is not a valid HTTP header name")
    if name.lower() in FORBIDDEN_HEADERS:
        hint = " (use --cookie for cookies)" if name.lower() == "cookie" else ""
        raise UserError(f"header {name!r} cannot be set for a site{hint}")
    if _CONTROL.search(value) or len(value) > MAX_CREDENTIAL_CHARS:
        raise UserError(
            f"header {name!r}: value has a line break or control character or is too long"
        )


def check_cookie(name: str, value: str) -> None:
    """Refuse a cookie that could not travel in a Cookie header; the value is never shown."""
    if not _TOKEN.match(name):
        raise UserError(f"cookie name {name!r} is not a valid cookie name")
    if ";" in value or _CONTROL.search(value) or len(value) > MAX_CREDENTIAL_CHARS:
        raise UserError(f"cookie {name!r}: value has ';' or a control character or is too long")


def _string_map(record: Mapping[str, Any], key: str) -> dict[str, str]:
    value = record.get(key) or {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise UserError(f"site credentials: {key!r} must map names to strings")
    return dict(value)


class SiteCredentials:
    """A site's cookies and headers, bound to the site's domains.

    Validated when built, so a bad name is refused at registration or at the start of a sweep,
    not halfway through one. ``repr`` shows names only.
    """

    def __init__(
        self,
        domains: Iterable[str],
        *,
        cookies: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.domains = tuple(domains)
        self._scope = DomainScope(self.domains)
        self._cookies = dict(cookies or {})
        self._headers = dict(headers or {})
        for name, value in self._cookies.items():
            check_cookie(name, value)
        lowered: set[str] = set()
        for name, value in self._headers.items():
            check_header(name, value)
            if name.lower() in lowered:
                raise UserError(f"header {name!r} is given twice")
            lowered.add(name.lower())
        if (self._cookies or self._headers) and not self._scope:
            raise UserError("site credentials need at least one domain to be sent to")

    @classmethod
    def from_record(
        cls, domains: Iterable[str], record: Mapping[str, Any] | None
    ) -> SiteCredentials | None:
        """Credentials from a site row's ``{"cookies": {...}, "headers": {...}}``, or ``None``."""
        if not record:
            return None
        found = cls(
            domains, cookies=_string_map(record, "cookies"), headers=_string_map(record, "headers")
        )
        return found if found else None

    def __bool__(self) -> bool:
        return bool(self._cookies or self._headers)

    def __repr__(self) -> str:
        return (
            f"SiteCredentials(domains={list(self.domains)!r}, cookies={self.cookie_names!r}, "
            f"headers={self.header_names!r})"
        )

    @property
    def cookie_names(self) -> list[str]:
        """The cookies' names, sorted; what a person may see of them."""
        return sorted(self._cookies)

    @property
    def header_names(self) -> list[str]:
        """The headers' names, sorted; what a person may see of them."""
        return sorted(self._headers)

    def record(self) -> dict[str, dict[str, str]]:
        """The form stored in a site row's ``credentials`` column."""
        return {"cookies": dict(self._cookies), "headers": dict(self._headers)}

    def covers(self, host: str, port: int) -> bool:
        """Whether a request to ``host:port`` may carry these credentials."""
        return self._scope.contains(host, port)

    def headers_for(self, host: str, port: int) -> dict[str, str]:
        """The headers to add to a request to ``host:port``: none outside the site's domains."""
        if not self or not self.covers(host, port):
            return {}
        out = dict(self._headers)
        if self._cookies:
            out["Cookie"] = "; ".join(f"{name}={value}" for name, value in self._cookies.items())
        return out
