"""Discovery in a sweep: title matches, share links, torrents, operator facts, a site's move to
a new domain, and candidate sites, on the discovery sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from jianwang.cli.main import run
from jianwang.config import Settings
from jianwang.db import create_db_engine, session_factory, transaction, utcnow
from jianwang.db.models import (
    AssetKind,
    Capture,
    Detection,
    DetectionStatus,
    LedgerEntry,
    Site,
    SiteCandidate,
    SiteDomain,
    SiteFact,
)
from jianwang.evidence.ledger import verify_chain
from jianwang.monitoring.operators import ad_network_of_host
from jianwang.pipeline.candidates import probe_candidates
from jianwang.sandbox.discovery import (
    FORUM,
    NEW,
    OLD,
    SHOP,
    TORRENTS,
    DiscoverySandbox,
    build_discovery_world,
)


def test_a_sweep_finds_titles_links_operators_and_the_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JIANWANG_ALLOW_PRIVATE_HOSTS", "true")
    data = ["--data-dir", str(tmp_path / "data")]
    world = build_discovery_world(7)
    for work in world.works:
        aliases = [a for alias in work.aliases for a in ("--alias", alias)]
        add = ["works", "add", "--title", work.title, "--kind", work.kind, "--rights-holder", "R"]
        assert run([*data, *add, *aliases]) == 0  # protected by name alone
    table = tmp_path / "networks.tsv"
    table.write_text("127.0.0.0\t127.255.255.255\t64512\tZZ\tLOOPBACK-TEST\n", encoding="utf-8")
    assert run([*data, "candidates", "networks", str(table)]) == 0
    with DiscoverySandbox(world) as sandbox:
        for name in (FORUM, TORRENTS, OLD):
            site = ["sites", "add", "--name", name, "--kind", "link"]
            assert run([*data, *site, "--seed", sandbox.base_url(name) + "/"]) == 0
        assert run([*data, "monitor", "run"]) == 0
        sandbox.switch_to_phase_2()
        assert run([*data, "monitor", "run", "--site", OLD]) == 0  # reads the announcement
        assert run([*data, "monitor", "run", "--site", OLD]) == 0  # follows the new address
        new_domain = f"127.0.0.1:{sandbox.port(NEW)}"
        capsys.readouterr()
        settings = Settings(data_dir=tmp_path / "data", allow_private_hosts=True)
        factory = session_factory(create_db_engine(settings.db_url))
        with transaction(factory) as s:
            titles = s.scalars(select(Detection).where(Detection.signal == "title")).all()
            assert titles and all(
                d.evidence_class == "title" and d.asset_id is None for d in titles
            )
            # Title matches are never auto-confirmed: they wait for a reviewer.
            assert all(d.status is DetectionStatus.IN_REVIEW and d.matched_text for d in titles)
            named = {d.work.title for d in titles}
            assert {"家", "Home"} & named or len(named) >= 6
            links = s.scalars(select(Capture).where(Capture.kind == AssetKind.LINK)).all()
            details = [c.details or {} for c in links]
            shares = {d["url"]: d.get("code") for d in details if d["type"] == "cloud_share"}
            expected = {x.url: x.code for x in world.share_links if x.site == FORUM}
            assert expected and all(shares.get(url) == code for url, code in expected.items())
            hashes = {d["info_hash"] for d in details if d["type"] == "torrent"}
            assert {t.info_hash for t in world.torrents} <= hashes
            old = s.scalars(select(Site).where(Site.name == OLD)).one()
            assert new_domain in old.domains  # the move is followed
            hop = s.scalars(select(SiteDomain).where(SiteDomain.site_id == old.id)).one()
            assert hop.domain == new_domain and hop.source == "announcement"
            icp = {f.value for f in s.scalars(select(SiteFact).where(SiteFact.kind == "icp"))}
            shown = {n for (site, _), numbers in world.icp_numbers.items() for n in numbers
                     if site in (FORUM, TORRENTS, OLD)}  # fmt: skip
            assert shown <= icp
            hosting = {
                f.value for f in s.scalars(select(SiteFact).where(SiteFact.kind == "hosting"))
            }
            assert f"{new_domain} AS64512 LOOPBACK-TEST (ZZ)" in hosting  # the new address too
            kinds = {e.kind for e in s.scalars(select(LedgerEntry))}
            assert {"capture", "detection", "domain_hop"} <= kinds
            assert verify_chain(s) == []
        # The shop is not registered; the link sites lead to it. A probe scores its home page.
        settings = Settings(data_dir=tmp_path / "data", allow_private_hosts=True)
        with transaction(factory) as s:
            shop = f"127.0.0.1:{sandbox.port(SHOP)}"
            assert s.scalar(select(SiteCandidate).where(SiteCandidate.domain == shop)) is None
            s.add(SiteCandidate(domain=shop, status="pending", score=0.0, reasons={},
                                linked_from=[], sample_urls=[], first_seen=utcnow(),
                                last_seen=utcnow()))  # fmt: skip
        probed = {r.domain: r for r in probe_candidates(factory, settings=settings)}
        assert probed[shop].titles >= 3 and probed[shop].score > 0.3 and not probed[shop].error
        assert run([*data, "candidates", "probe", "--json"]) == 0  # nothing left to probe
        assert json.loads(capsys.readouterr().out) == []
    assert run([*data, "candidates", "list", "--status", "all", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert any(c["domain"] == shop and c["reasons"]["probe_titles"] >= 3 for c in listed)
    assert all(c["domain"] != new_domain for c in listed)  # linked, not a candidate
    assert not [c for c in listed if ad_network_of_host(c["domain"].split(":")[0])]
    if listed:
        first = listed[0]["domain"]
        assert run([*data, "candidates", "dismiss", first, "--reason", "ad server"]) == 0
        assert run([*data, "candidates", "add", first]) == 0  # decisions can be revisited
    assert run([*data, "candidates", "operator", OLD, "--json"]) == 0
    record = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert any(f["kind"] == "icp" for f in record["facts"])
    assert [d["domain"] for d in record["domains"]] == [new_domain]
