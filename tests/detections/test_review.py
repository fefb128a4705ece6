"""Review: score bands at their exact edges, allow rules that keep a rejected match from coming
back, a queue scoped to the reviewer, and refusals that change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enforcement_world import World, build_world, detect, ledger_size
from jianwang.catalog.actors import actor_for
from jianwang.config import Settings
from jianwang.db import transaction
from jianwang.db.models import AllowRule, DetectionStatus, LedgerEntry
from jianwang.detections.review import (
    ReviewPolicy,
    confirm,
    list_allow_rules,
    reject,
    review_queue,
    triage,
)
from jianwang.errors import PermissionDenied, UserError

POLICY = ReviewPolicy(auto_confirm={"video.dcthash": 24.0}, floor={"video.dcthash": 5.0})


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = build_world(tmp_path / "w.db")
    yield built
    built.close()


def test_bands_at_their_exact_thresholds(world: World) -> None:
    with transaction(world.factory) as s:
        scores = [24.0, 23.999, 5.0, 4.999, 60.0]
        found = [detect(s, site_name="pirate", title="Film A", score=x) for x in scores]
        title = detect(s, site_name="pirate", title="Film B", score=999.0, signal="title")
        licensed = detect(
            s, site_name="pirate", title="Film B", status=DetectionStatus.LICENSED, score=99.0
        )
        result = triage(s, detections=[*found, title, licensed], policy=POLICY)
        assert [d.status for d in found] == [
            DetectionStatus.CONFIRMED,  # == auto-confirm confirms
            DetectionStatus.IN_REVIEW,  # just below waits for a reviewer
            DetectionStatus.IN_REVIEW,  # == floor is not below it
            DetectionStatus.FALSE_POSITIVE,  # just below the floor is set aside
            DetectionStatus.CONFIRMED,
        ]
        assert title.status is DetectionStatus.IN_REVIEW  # a title match is never auto-confirmed
        assert licensed.status is DetectionStatus.LICENSED  # settled ones are left alone
        assert result.confirmed == [found[0].id, found[4].id]
        assert result.in_review == [found[1].id, found[2].id, title.id]
        assert result.below_floor == [found[3].id]
        assert "24" in (found[0].status_reason or "") and found[0].reviewed_by == "system"
        entries = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "review")).all()
        assert len(entries) == 6
        first = next(e for e in entries if e.subject == f"detection:{found[0].id}")
        assert first.payload["actor"] == "system"
        assert (first.payload["from"], first.payload["to"]) == ("detected", "confirmed")
        # Triage is idempotent: nothing is DETECTED any more.
        assert triage(s, detections=found, policy=POLICY).total == 0


def test_policy_from_settings_and_title_band_only_when_configured(settings: Settings) -> None:
    policy = ReviewPolicy.from_settings(settings)
    assert policy.band("audio.triplets", 30.0)[0] is DetectionStatus.CONFIRMED
    assert policy.band("audio.triplets", 29.99)[0] is DetectionStatus.IN_REVIEW
    assert policy.band("title", 1e9)[0] is DetectionStatus.IN_REVIEW
    configured = settings.model_copy(update={"review_auto_confirm": {"title": 0.9}})
    assert ReviewPolicy.from_settings(configured).band("title", 0.9)[0] is (
        DetectionStatus.CONFIRMED
    )


def test_a_work_site_allow_rule_stops_the_same_false_match(world: World) -> None:
    with transaction(world.factory) as s:
        first = detect(s, site_name="pirate", title="Film A")
        waiting = detect(s, site_name="pirate", title="Film A")
        elsewhere = detect(s, site_name="bjpirate", title="Film A")
        other_work = detect(s, site_name="pirate", title="Film B")
        triage(s, detections=[first, waiting, elsewhere, other_work], policy=POLICY)
        officer = actor_for(s, "officer")
        (rule,) = reject(
            s,
            detection_ids=[first.id],
            actor=officer,
            reason="trailer licensed directly",
            allow="work-site",
        )
        assert (rule.work_id, rule.site_id, rule.url_pattern) == (
            first.work_id,
            first.capture.site_id,
            None,
        )
        assert first.status is DetectionStatus.FALSE_POSITIVE and first.reviewed_by == "officer"
        # The open detection the rule covers is set aside too; others are not.
        assert waiting.status is DetectionStatus.FALSE_POSITIVE
        assert f"allow rule {rule.id}" in (waiting.status_reason or "")
        assert elsewhere.status is DetectionStatus.IN_REVIEW
        assert other_work.status is DetectionStatus.IN_REVIEW
        later = detect(s, site_name="pirate", title="Film A", score=100.0)
        result = triage(s, detections=[later], policy=POLICY)
        assert result.allowed == [later.id]  # even above the auto-confirm band
        assert later.status is DetectionStatus.FALSE_POSITIVE
        assert f"allow rule {rule.id}" in (later.status_reason or "")
        entries = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "allow_rule")).all()
        assert [e.subject for e in entries] == [f"allow_rule:{rule.id}"]
        assert entries[0].payload["created_by"] == "officer"
        (row,) = list_allow_rules(s)
        assert (row.work, row.site) == ("Film A", "pirate")


def test_a_url_allow_rule_covers_matching_pages_only(world: World) -> None:
    trailers = "https://pirate.example/trailers/"
    with transaction(world.factory) as s:
        first = detect(s, site_name="pirate", title="Film A", page_url=trailers + "1")
        triage(s, detections=[first], policy=POLICY)
        officer = actor_for(s, "officer")
        with pytest.raises(UserError, match="does not match"):
            reject(
                s,
                detection_ids=[first.id],
                actor=officer,
                reason="x",
                url_pattern="https://other.example/*",
            )
        with pytest.raises(UserError, match="names too little"):
            reject(s, detection_ids=[first.id], actor=officer, reason="x", url_pattern="https://*")
        assert first.status is DetectionStatus.IN_REVIEW  # refused: nothing changed
        (rule,) = reject(
            s,
            detection_ids=[first.id],
            actor=officer,
            reason="official trailers",
            allow="url",
            url_pattern=trailers + "*",
        )
        assert rule.work_id is None and rule.url_pattern == trailers + "*"
        same_page_other_work = detect(
            s, site_name="pirate", title="Film B", page_url=trailers + "2", media_url=""
        )
        copy = detect(s, site_name="pirate", title="Film A", page_url="https://pirate.example/v/9")
        triage(s, detections=[same_page_other_work, copy], policy=POLICY)
        assert same_page_other_work.status is DetectionStatus.FALSE_POSITIVE
        assert copy.status is DetectionStatus.IN_REVIEW


def test_a_rights_holders_url_rule_waives_only_its_own_work(world: World) -> None:
    page = "https://pirate.example/fan/1"
    with transaction(world.factory) as s:
        mine = detect(s, site_name="pirate", title="Film A", page_url=page)
        theirs = detect(s, site_name="pirate", title="Film B", page_url=page + "0")
        triage(s, detections=[mine, theirs], policy=POLICY)
        (rule,) = reject(
            s,
            detection_ids=[mine.id],
            actor=actor_for(s, "studio"),
            reason="fan edit we allow",
            url_pattern="https://pirate.example/fan/*",
        )
        assert rule.work_id == mine.work_id
        assert theirs.status is DetectionStatus.IN_REVIEW


@pytest.mark.parametrize(
    ("user", "title", "site_name"),
    [
        ("label", "Film A", "pirate"),  # a rights holder on another holder's work
        ("bjofficer", "Film A", "pirate"),  # an officer outside its region
        ("viewer", "Film A", "pirate"),  # a role without the right
    ],
)
def test_refusals_change_nothing(world: World, user: str, title: str, site_name: str) -> None:
    with transaction(world.factory) as s:
        allowed = detect(s, site_name="bjpirate", title="Film B")
        target = detect(s, site_name=site_name, title=title)
        triage(s, detections=[allowed, target], policy=POLICY)
        before = ledger_size(s)
        actor = actor_for(s, user)
        ids = [allowed.id, target.id]
        with pytest.raises(PermissionDenied):
            reject(s, detection_ids=ids, actor=actor, reason="no", allow="work-site")
        with pytest.raises(PermissionDenied):
            confirm(s, detection_ids=ids, actor=actor, reason="yes")
        assert allowed.status is DetectionStatus.IN_REVIEW
        assert target.status is DetectionStatus.IN_REVIEW
        assert ledger_size(s) == before
        assert s.scalar(select(func.count()).select_from(AllowRule)) == 0


def test_confirm_and_reject_need_a_reason_and_a_legal_move(world: World) -> None:
    with transaction(world.factory) as s:
        d = detect(s, site_name="pirate", title="Film A")
        triage(s, detections=[d], policy=POLICY)
        admin = actor_for(s, "admin")
        with pytest.raises(UserError, match="reason"):
            reject(s, detection_ids=[d.id], actor=admin, reason="  ")
        with pytest.raises(UserError, match="no detection with id 999"):
            confirm(s, detection_ids=[d.id, 999], actor=admin, reason="copy")
        confirm(s, detection_ids=[d.id], actor=admin, reason="same film, re-encoded")
        assert d.status is DetectionStatus.CONFIRMED and d.reviewed_by == "admin"
        with pytest.raises(UserError, match="cannot become false_positive"):
            reject(s, detection_ids=[d.id], actor=admin, reason="changed my mind")
        assert d.status is DetectionStatus.CONFIRMED


def test_the_queue_is_oldest_first_and_scoped_to_the_reviewer(world: World) -> None:
    with transaction(world.factory) as s:
        a1 = detect(s, site_name="pirate", title="Film A")
        b1 = detect(s, site_name="pirate", title="Film B")
        a2 = detect(s, site_name="bjpirate", title="Film A")
        done = detect(s, site_name="pirate", title="Film A", score=50.0)
        triage(s, detections=[a1, b1, a2, done], policy=POLICY)

        def ids(user: str, **where: int) -> list[int]:
            return [i.id for i in review_queue(s, actor=actor_for(s, user), **where)]

        assert ids("admin") == [a1.id, b1.id, a2.id]  # the confirmed one is not queued
        assert ids("officer") == [a1.id, b1.id]  # CN-44 covers the site in CN-44-01
        assert ids("bjofficer") == [a2.id]
        assert ids("studio") == [a1.id, a2.id]
        assert ids("label") == [b1.id]
        assert ids("admin", site_id=a2.capture.site_id) == [a2.id]
        assert ids("admin", work_id=b1.work_id) == [b1.id]
        with pytest.raises(PermissionDenied):
            review_queue(s, actor=actor_for(s, "viewer"))
