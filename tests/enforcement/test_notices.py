"""Takedown notices: every field the law asks for in each rendering, one running notice per
detection, deadlines from sending, counter-notices, follow-up from staydown verdicts, and
escalation to a case."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enforcement_world import World, build_world, detect, ledger_size, site
from jianwang.catalog.actors import Actor, actor_for
from jianwang.config import Settings
from jianwang.db import transaction
from jianwang.db.models import (
    Artefact,
    Case,
    Detection,
    DetectionStatus,
    LedgerEntry,
    Notice,
    NoticeStatus,
)
from jianwang.enforcement.notices import (
    draft_takedown_notices,
    escalate_notice,
    follow_up,
    notice_data,
    noticeable,
    record_counter_notice,
    render_notice_html,
    send_notice,
    write_notice_pdf,
)
from jianwang.errors import DuplicateError, PermissionDenied, UserError
from jianwang.pipeline.staydown import CaptureRecheck, follow_up_notices

SENT_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = build_world(tmp_path / "w.db")
    yield built
    built.close()


def confirmed(s: Session, title: str = "Film A", site_name: str = "pirate") -> Detection:
    return detect(s, site_name=site_name, title=title, status=DetectionStatus.CONFIRMED)


def drafted(s: Session, settings: Settings, *detections: Detection) -> Notice:
    (notice,) = draft_takedown_notices(
        s,
        site=detections[0].capture.site,
        detections=list(detections),
        actor=actor_for(s, "officer"),
        settings=settings,
    )
    return notice


def test_a_notice_carries_every_required_field_in_every_form(
    world: World, settings: Settings
) -> None:
    with transaction(world.factory) as s:
        d = confirmed(s)
        s.add(
            Artefact(
                capture_id=d.capture_id,
                detection_id=d.id,
                kind="keyframe",
                path="/x.png",
                sha256="ab" * 32,
                size_bytes=10,
                content_type="image/png",
                at_s=4.0,
            )
        )
        notice = drafted(s, settings, d)
        assert notice.status is NoticeStatus.DRAFT and notice.deadline_at is None
        content = notice.content
        assert content["rights_holder"] == {
            "name": "Studio A",
            "contact": "legal@studio-a.example",
            "address": "1 Road",
        }
        assert content["works"] == ["Film A"]
        assert content["work_details"][0]["proof_of_rights"] == "registration 2025-A-1"
        assert content["infringing_urls"] == sorted([d.capture.page_url, d.capture.media_url or ""])
        (proof,) = content["proof"]
        assert proof["score"] == 10.0 and proof["signal"] == "video.dcthash"
        assert proof["capture_span"] == [1.0, 9.0] and proof["reference_span"] == [31.0, 39.0]
        assert proof["content_sha256"] == d.capture.content_sha256
        assert proof["page_sha256"] == d.capture.page_sha256
        assert proof["captured_at"].startswith("2026-03-01T12:00")
        assert proof["evidence_class"] == "fingerprint"
        assert proof["artefacts"] == [{"kind": "keyframe", "sha256": "ab" * 32, "at_s": 4.0}]

        html = render_notice_html(notice)
        for text in (
            "Studio A",
            "legal@studio-a.example",
            "1 Road",
            "Film A",
            d.capture.page_url,
            d.capture.content_sha256,
            d.capture.page_sha256 or "",
            "ab" * 32,
            "权利人 / Rights holder",
            "侵权网址 / Infringing URLs",
            "初步证明材料 / Preliminary proof",
            "72",
        ):
            assert text in html, text
        pdf = io.BytesIO()
        write_notice_pdf(notice, pdf)
        assert pdf.getvalue().startswith(b"%PDF") and len(pdf.getvalue()) > 1000
        data = json.loads(json.dumps(notice_data(notice)))
        assert data["kind"] == "takedown" and data["detections"] == [d.id]
        assert data["content"]["rights_holder"]["address"] == "1 Road"
        (entry,) = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "notice")).all()
        assert entry.subject == f"notice:{notice.id}"
        assert (entry.payload["from"], entry.payload["to"], entry.payload["actor"]) == (
            None,
            "draft",
            "officer",
        )


def test_markup_from_pirate_pages_is_escaped(world: World, settings: Settings) -> None:
    with transaction(world.factory) as s:
        d = detect(
            s,
            site_name="pirate",
            title="Film A",
            status=DetectionStatus.CONFIRMED,
            page_url="https://pirate.example/<script>x</script>",
        )
        html = render_notice_html(drafted(s, settings, d))
        assert "<script>x" not in html and "&lt;script&gt;" in html


def test_a_running_notice_is_not_duplicated_and_nothing_changes(
    world: World, settings: Settings
) -> None:
    with transaction(world.factory) as s:
        d, other = confirmed(s), confirmed(s)
        notice = drafted(s, settings, d)
        before = (ledger_size(s), s.scalar(select(func.count()).select_from(Notice)))
        with pytest.raises(DuplicateError, match=f"notice {notice.id}"):
            drafted(s, settings, other, d)
        assert (ledger_size(s), s.scalar(select(func.count()).select_from(Notice))) == before
        assert noticeable(s, site=d.capture.site, actor=actor_for(s, "officer")) == [other]
        # Once the notice is closed (complied with), the detection may be noticed again.
        notice.status = NoticeStatus.REMOVED_VERIFIED
        assert drafted(s, settings, d).id != notice.id


def test_drafting_refuses_what_cannot_make_a_valid_notice(world: World, settings: Settings) -> None:
    with transaction(world.factory) as s:
        officer = actor_for(s, "officer")
        unconfirmed = detect(s, site_name="pirate", title="Film A")
        holderless = confirmed(s, title="Novel C")
        before = ledger_size(s)
        pirate = site(s, "pirate")
        with pytest.raises(UserError, match="only confirmed"):
            draft_takedown_notices(
                s, site=pirate, detections=[unconfirmed], actor=officer, settings=settings
            )
        with pytest.raises(UserError, match="has no address"):
            draft_takedown_notices(
                s,
                site=pirate,
                detections=[confirmed(s), holderless],
                actor=officer,
                settings=settings,
            )
        with pytest.raises(UserError, match="not captured on site"):
            draft_takedown_notices(
                s,
                site=site(s, "bjpirate"),
                detections=[confirmed(s)],
                actor=officer,
                settings=settings,
            )
        assert ledger_size(s) == before
        assert s.scalar(select(func.count()).select_from(Notice)) == 0


@pytest.mark.parametrize("user", ["label", "bjofficer", "viewer"])
def test_drafting_outside_ones_rights_is_refused(
    world: World, settings: Settings, user: str
) -> None:
    with transaction(world.factory) as s:
        d = confirmed(s)
        with pytest.raises(PermissionDenied):
            draft_takedown_notices(
                s, site=d.capture.site, detections=[d], actor=actor_for(s, user), settings=settings
            )
        assert s.scalar(select(func.count()).select_from(Notice)) == 0
        # The holder of the work may.
        (notice,) = draft_takedown_notices(
            s, site=d.capture.site, detections=[d], actor=actor_for(s, "studio"), settings=settings
        )
        assert notice.content["drafted_by"] == "studio"


@pytest.mark.parametrize(
    ("title", "hours", "override"),
    [
        ("Novel A", 24.0, {}),
        ("Film A", 72.0, {}),
        ("Film A", 10.0, {"notice_deadline_hours": 10.0}),
        ("Novel A", 2.0, {"literature_notice_deadline_hours": 2.0}),
    ],
)
def test_the_deadline_runs_from_sending(
    world: World, settings: Settings, title: str, hours: float, override: dict[str, float]
) -> None:
    configured = settings.model_copy(update=override)
    with transaction(world.factory) as s:
        notice = drafted(s, configured, confirmed(s, title=title))
        sent = send_notice(s, notice=notice, actor=actor_for(s, "officer"), now=SENT_AT)
        assert sent.status is NoticeStatus.SENT and sent.sent_at == SENT_AT
        assert sent.deadline_at == SENT_AT + timedelta(hours=hours)
        with pytest.raises(UserError, match="is sent"):
            send_notice(s, notice=notice, actor=actor_for(s, "officer"))
        entry = s.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc())).first()
        assert entry is not None and (entry.payload["from"], entry.payload["to"]) == (
            "draft",
            "sent",
        )


def test_a_counter_notice_is_recorded_on_a_sent_notice(world: World, settings: Settings) -> None:
    with transaction(world.factory) as s:
        notice = drafted(s, settings, confirmed(s))
        officer = actor_for(s, "officer")
        with pytest.raises(UserError, match="only a notice sent or non_compliant"):
            record_counter_notice(
                s, notice=notice, actor=officer, sender="Pirate Ltd", grounds="we hold a licence"
            )
        send_notice(s, notice=notice, actor=officer, now=SENT_AT)
        record_counter_notice(
            s,
            notice=notice,
            actor=officer,
            sender="Pirate Ltd",
            grounds="we hold a licence",
            received_at=SENT_AT,
        )
        assert notice.status is NoticeStatus.COUNTER_NOTICED
        assert notice.counter_notice == {
            "sender": "Pirate Ltd",
            "grounds": "we hold a licence",
            "received_at": SENT_AT.isoformat(),
            "recorded_by": "officer",
        }
        assert "we hold a licence" in render_notice_html(notice)


@pytest.mark.parametrize(
    ("verdicts", "after", "expected"),
    [
        (("gone", "gone"), True, NoticeStatus.REMOVED_VERIFIED),
        (("gone", "replaced"), True, NoticeStatus.REMOVED_VERIFIED),
        (("gone", "present"), True, NoticeStatus.NON_COMPLIANT),
        (("gone", "unreachable"), True, None),
        (("gone", "gone"), False, None),  # before the deadline nothing is decided
    ],
)
def test_follow_up_decides_a_sent_notice_after_its_deadline(
    world: World,
    settings: Settings,
    verdicts: tuple[str, str],
    after: bool,
    expected: NoticeStatus | None,
) -> None:
    with transaction(world.factory) as s:
        pair = [confirmed(s), confirmed(s)]
        notice = drafted(s, settings, *pair)
        send_notice(s, notice=notice, actor=actor_for(s, "officer"), now=SENT_AT)
        assert notice.deadline_at is not None
        now = notice.deadline_at + (timedelta(minutes=1) if after else -timedelta(minutes=1))
        seen = {d.capture_id: v for d, v in zip(pair, verdicts, strict=True)}
        assert follow_up(s, notice=notice, verdicts=seen, now=now) is expected
        assert notice.status is (expected or NoticeStatus.SENT)
        assert notice.followed_up_at == (now if expected else None)
        if expected:
            entry = s.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc())).first()
            assert entry is not None and entry.payload["actor"] == "staydown"
            assert entry.payload["to"] == expected.value


def test_staydown_rechecks_follow_up_the_notices_they_concern(
    world: World, settings: Settings
) -> None:
    with transaction(world.factory) as s:
        d = confirmed(s)
        notice = drafted(s, settings, d)
        send_notice(s, notice=notice, actor=actor_for(s, "officer"), now=SENT_AT)
        capture_id, notice_id = d.capture_id, notice.id
    checked = CaptureRecheck(capture_id, "u", "gone", 404, None, (), "404")
    assert follow_up_notices(world.factory, [checked], now=SENT_AT) == {}  # deadline not passed
    later = SENT_AT + timedelta(hours=73)
    assert follow_up_notices(world.factory, [checked], now=later) == {
        notice_id: NoticeStatus.REMOVED_VERIFIED
    }


def test_a_non_compliant_notice_is_escalated_to_a_case(world: World, settings: Settings) -> None:
    with transaction(world.factory) as s:
        d = confirmed(s)
        notice = drafted(s, settings, d)
        officer = actor_for(s, "officer")
        with pytest.raises(UserError, match="only a notice non_compliant"):
            escalate_notice(s, notice=notice, actor=officer, reason="ignored")
        send_notice(s, notice=notice, actor=officer, now=SENT_AT)
        assert notice.deadline_at is not None
        after = notice.deadline_at + timedelta(hours=1)
        follow_up(s, notice=notice, verdicts={d.capture_id: "present"}, now=after)
        assert notice.status is NoticeStatus.NON_COMPLIANT
        with pytest.raises(PermissionDenied):  # a rights holder does not open cases
            escalate_notice(s, notice=notice, actor=actor_for(s, "studio"), reason="ignored")
        with pytest.raises(PermissionDenied):
            escalate_notice(s, notice=notice, actor=actor_for(s, "bjofficer"), reason="ignored")
        assert s.scalar(select(func.count()).select_from(Case)) == 0
        case = escalate_notice(s, notice=notice, actor=officer, reason="still online")
        assert case.source == f"notice:{notice.id}" and notice.case_id == case.id
        assert [x.id for x in case.detections] == [d.id]
        with pytest.raises(DuplicateError, match="already escalated"):
            escalate_notice(s, notice=notice, actor=officer, reason="again")
        entry = s.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.subject == f"notice:{notice.id}")
            .order_by(LedgerEntry.seq.desc())
        ).first()
        assert entry is not None and entry.payload["case_id"] == case.id


def test_the_system_may_send_and_follow_up(world: World, settings: Settings) -> None:
    with transaction(world.factory) as s:
        notice = drafted(s, settings, confirmed(s))
        send_notice(s, notice=notice, actor=Actor.system(), now=SENT_AT)
        assert notice.status is NoticeStatus.SENT
