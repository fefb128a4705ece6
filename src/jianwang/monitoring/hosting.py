"""Which network hosts an address: an IP-to-ASN table an authority imports, looked up offline.

Jianwang ships no such table and fetches none at run time. Tables in the common TSV layout
(``range_start range_end AS_number country AS_description``, as published by iptoasn.com, or
built from a registry's data) are imported with ``jianwang candidates networks FILE``;
every address a sweep resolves is then named by the network announcing it. Addresses are stored
as 32 zero-padded hex digits, so IPv4 and IPv6 ranges compare as strings in any database.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jianwang.db.models import IpNetwork
from jianwang.errors import UserError

log = logging.getLogger(__name__)

MAX_LINE_CHARS = 2000


@dataclass(frozen=True)
class Network:
    """The network announcing an address."""

    asn: int
    country: str | None
    name: str | None

    def describe(self) -> str:
        where = f" ({self.country})" if self.country else ""
        return f"AS{self.asn} {self.name or ''}{where}".strip()


def _key(address: str) -> tuple[int, str]:
    ip = ipaddress.ip_address(address.strip())
    return ip.version, f"{int(ip):032x}"


def _rows(path: Path) -> Iterator[tuple[int, str, str, int, str | None, str | None]]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith("#") or len(line) > MAX_LINE_CHARS:
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3:
                raise UserError(f"{path}:{number}: expected start, end and AS number")
            try:
                version, start = _key(fields[0])
                end_version, end = _key(fields[1])
                asn = int(fields[2].upper().removeprefix("AS"))
            except ValueError as exc:
                raise UserError(f"{path}:{number}: {exc}") from exc
            if end_version != version or end < start:
                raise UserError(f"{path}:{number}: the range ends before it starts")
            country = fields[3].strip() or None if len(fields) > 3 else None
            name = fields[4].strip()[:300] or None if len(fields) > 4 else None
            if asn == 0:  # "not routed" rows name no network
                continue
            yield version, start, end, asn, country, name


def import_networks(session: Session, path: Path) -> int:
    """Replace the imported table with the ranges in ``path``; returns how many were kept. A
    malformed line fails the whole import (naming the line) and the old table stays."""
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    rows = list(_rows(path))
    session.execute(delete(IpNetwork))
    session.add_all(
        IpNetwork(version=v, start=s, end=e, asn=a, country=c, name=n) for v, s, e, a, c, n in rows
    )
    session.flush()
    log.info("imported %d network ranges from %s", len(rows), path)
    return len(rows)


def network_of(session: Session, address: str) -> Network | None:
    """The imported network whose range holds ``address`` (``None``: none, or not an IP)."""
    try:
        version, key = _key(address)
    except ValueError:
        return None
    row = session.scalar(
        select(IpNetwork)
        .where(IpNetwork.version == version, IpNetwork.start <= key)
        .order_by(IpNetwork.start.desc())
        .limit(1)
    )
    if row is None or row.end < key:
        return None
    return Network(row.asn, row.country, row.name)
