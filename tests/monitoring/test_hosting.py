"""Hosting networks: an imported IP-to-ASN table names the network of an address, on SQLite and
PostgreSQL alike (addresses compared as fixed-width hex)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.errors import UserError
from jianwang.monitoring.hosting import import_networks, network_of

TABLE = (
    "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n"
    "# a comment line\n"
    "47.74.0.0\t47.87.255.255\t45102\tCN\tALIBABA-CN-NET Alibaba US Technology Co., Ltd.\n"
    "10.0.0.0\t10.255.255.255\t0\tNone\tNot routed\n"
    "2400:3200::\t2400:3200:ffff:ffff:ffff:ffff:ffff:ffff\t37963\tCN\tCNNIC-ALIBABA-CN-NET-AP\n"
)


def test_addresses_are_named_by_the_imported_table(db_url: str, tmp_path: Path) -> None:
    engine = create_db_engine(db_url)
    ensure_schema(engine)
    factory = session_factory(engine)
    table = tmp_path / "ip2asn.tsv"
    table.write_text(TABLE, encoding="utf-8")
    with transaction(factory) as s:
        assert import_networks(s, table) == 3  # the not-routed range names nothing
    with transaction(factory) as s:
        found = network_of(s, "47.80.1.2")
        assert found is not None and found.asn == 45102 and found.country == "CN"
        assert found.describe().startswith("AS45102 ALIBABA-CN-NET")
        v6 = network_of(s, "2400:3200::1")
        assert v6 is not None and v6.asn == 37963
        assert network_of(s, "1.0.1.0") is None  # just past a range
        assert network_of(s, "10.1.2.3") is None
        assert network_of(s, "not an address") is None
    bad = tmp_path / "bad.tsv"
    bad.write_text("1.0.0.0\t0.9.0.0\t1\n", encoding="utf-8")
    with transaction(factory) as s, pytest.raises(UserError, match=r"bad\.tsv:1"):
        import_networks(s, bad)
    with transaction(factory) as s:  # a failed import leaves the old table
        assert network_of(s, "1.0.0.7") is not None
