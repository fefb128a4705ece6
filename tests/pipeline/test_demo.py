"""The whole flow end to end: every pirated copy found as the right work, licensed copies
LICENSED, unrelated content unmatched, a case and notices drafted, the ledger intact."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from jianwang.config import Settings
from jianwang.db import create_db_engine, session_factory, transaction
from jianwang.db.models import (
    Capture,
    Case,
    CaseState,
    Detection,
    DetectionStatus,
    LedgerEntry,
    Notice,
    NoticeKind,
    NoticeStatus,
    Site,
)
from jianwang.evidence.ledger import verify_chain
from jianwang.media.limits import DecodeLimits
from jianwang.pipeline.demo import run_demo
from jianwang.pipeline.sweep import sweep_site
from jianwang.signals.registry import default_registry


@pytest.mark.slow
def test_demo_finds_what_it_planted(settings: Settings) -> None:
    result = run_demo(settings, keep_serving=True)
    assert result.server is not None
    try:
        failures = [c for c in result.checks if not c.ok]
        assert not failures, failures
        enforcement = result.enforcement
        assert enforcement is not None and enforcement.package_ok, enforcement
        assert enforcement.package is not None and enforcement.package.is_file()
        assert [p.suffix for p in enforcement.reports] == [".html", ".pdf"]
        assert enforcement.reports[1].read_bytes().startswith(b"%PDF")
        planted = {c.planted.title: c for c in result.checks}
        assert planted["The Long Night (official)"].statuses == ["licensed"]
        for unrelated in ("Street food vlog", "Karaoke night", "都市小说 第1章"):
            assert planted[unrelated].found_works == []
        # Every kind of pirated copy is among those found.
        for copy in (
            "The Long Night HD",
            "River Town EP01 clip",
            "The Long Night fast",
            "Spring Wind (MP3)",
            "Northern Lights remix",
            "山河故人 第1章",
            "山河故人 第2章",
            "The Lighthouse Keeper ch1",
        ):
            assert planted[copy].found_works and planted[copy].statuses == ["confirmed"]

        engine = create_db_engine(settings.db_url)
        factory = session_factory(engine)
        with transaction(factory) as s:
            case = s.scalars(select(Case)).one()
            assert case.site.name == "pirate-video"
            assert case.state is CaseState.STATEMENT_WINDOW
            assert [e.to_state for e in case.events][:2] == [CaseState.LEAD, CaseState.SCREENING]
            assert case.officers == ["demo-officer", "demo-officer-2"]
            assert case.proposed_decision == "fine,shutdown"
            notices = list(s.scalars(select(Notice)))
            warnings = [n for n in notices if n.kind is NoticeKind.WARNING]
            assert [n.site.name for n in warnings if n.site] == ["licensed-platform"]
            takedowns = [n for n in notices if n.kind is NoticeKind.TAKEDOWN]
            assert sorted(n.site.name for n in takedowns if n.site) == [
                "pirate-music",
                "pirate-novels",
                "pirate-video",
            ]
            assert all(n.status is NoticeStatus.SENT and n.sent_at for n in notices)
            assert all(n.deadline_at for n in takedowns)
            for notice in takedowns:
                content = notice.content
                assert content["rights_holder"]["name"] and content["rights_holder"]["contact"]
                assert content["rights_holder"]["address"] and content["works"]
                assert content["infringing_urls"] and content["proof"]
                assert all(p["content_sha256"] and p["captured_at"] for p in content["proof"])
            assert verify_chain(s) == []
            counts = (
                s.scalar(select(func.count()).select_from(Capture)),
                s.scalar(select(func.count()).select_from(Detection)),
                s.scalar(select(func.count()).select_from(LedgerEntry)),
            )
            video_site = s.scalars(select(Site).where(Site.name == "pirate-video")).one().id
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(Detection)
                    .where(Detection.status == DetectionStatus.DETECTED)
                )
                == 0
            )

        # A second sweep of a site while it still serves the same content adds nothing, and
        # its media files, confirmed unchanged by conditional requests, are not transferred.
        again = sweep_site(
            factory,
            site_id=video_site,
            settings=result_settings(settings),
            registry=default_registry(),
            limits=DecodeLimits(timeout_s=120),
        )
        assert again.captures_new == 0 and again.detections == 0
        assert again.media_unchanged >= 3 and again.captures_seen + again.media_unchanged >= 4
        with transaction(factory) as s:
            assert (
                s.scalar(select(func.count()).select_from(Capture)),
                s.scalar(select(func.count()).select_from(Detection)),
                s.scalar(select(func.count()).select_from(LedgerEntry)),
            ) == counts
        engine.dispose()
    finally:
        result.server.stop()


def result_settings(settings: Settings) -> Settings:
    """The settings the demo crawled with: the sandbox on 127.0.0.1 explicitly allowed."""
    return settings.model_copy(update={"allow_private_hosts": True})
