"""Cases: the state machine's order, its guards, the actors' rights and the referral thresholds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jianwang.catalog.actors import Actor, actor_for
from jianwang.catalog.people import add_authority, add_user
from jianwang.config import Settings
from jianwang.db import create_db_engine, ensure_schema, session_factory
from jianwang.db.models import (
    AssetKind,
    Capture,
    Case,
    CaseEvent,
    CaseState,
    Detection,
    DetectionStatus,
    LedgerEntry,
    RightsHolder,
    Site,
    SiteKind,
    SiteStatus,
    Work,
    WorkKind,
)
from jianwang.enforcement.cases import assign_officers, open_case, set_measures
from jianwang.enforcement.policy import CasePolicy, parse_amount, parse_measures
from jianwang.enforcement.transitions import TRANSITIONS, MoveDetails, move_case
from jianwang.errors import PermissionDenied, UserError
from jianwang.evidence.ledger import verify_chain

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
POLICY = CasePolicy.from_settings(Settings(data_dir=Path("/nonexistent")))


@dataclass
class World:
    session: Session
    site: Site
    detections: list[Detection]

    def actor(self, name: str) -> Actor:
        return actor_for(self.session, name)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    ensure_schema(engine)
    session = session_factory(engine)()
    add_authority(session, name="National Copyright Administration", level="national", region="CN")
    zhejiang = add_authority(
        session, name="Zhejiang Copyright Bureau", level="provincial", region="cn-33"
    )
    add_authority(session, name="Guangdong Copyright Bureau", level="provincial", region="CN-44")
    holder = RightsHolder(name="Studio", contact="legal@studio.example", address="1 Road")
    session.add(holder)
    for name, role, authority in [
        ("ana", "officer", "Zhejiang Copyright Bureau"),
        ("bo", "officer", "Zhejiang Copyright Bureau"),
        ("cai", "officer", "Zhejiang Copyright Bureau"),
        ("gd", "officer", "Guangdong Copyright Bureau"),
        ("nat", "officer", "National Copyright Administration"),
        ("root", "admin", None),
        ("watcher", "viewer", "Zhejiang Copyright Bureau"),
    ]:
        add_user(session, username=name, role=role, authority=authority)
    session.flush()
    add_user(session, username="studio", role="rights_holder", rights_holder="Studio")
    site = Site(
        name="pirate",
        kind=SiteKind.VIDEO,
        domains=["pirate.example"],
        region="CN-33-01",
        authority_id=zhejiang.id,
        operator="Someone",
    )
    work = Work(title="Film", kind=WorkKind.FILM, rights_holder=holder)
    session.add_all([site, work])
    session.flush()
    detections = []
    for i in range(3):
        capture = Capture(
            site=site,
            kind=AssetKind.VIDEO,
            page_url=f"http://pirate.example/v/{i}",
            media_url=f"http://pirate.example/m/{i}.mp4",
            fetched_at=NOW - timedelta(days=30),
            content_sha256=f"{i:064x}",
            content_path="/dev/null",
            view_count=1000 * (i + 1),
        )
        session.add(capture)
        session.flush()
        detection = Detection(
            capture_id=capture.id,
            work_id=work.id,
            signal="video.dcthash",
            score=40.0,
            query_start=0.0,
            query_end=30.0,
            ref_start=100.0,
            ref_end=130.0,
            status=DetectionStatus.CONFIRMED,
        )
        session.add(detection)
        detections.append(detection)
    session.flush()
    yield World(session, site, detections)
    session.close()
    engine.dispose()


def _open(world: World) -> Case:
    return open_case(
        world.session,
        site=world.site,
        detections=world.detections,
        actor=world.actor("ana"),
        reason="three copies of a protected film",
        thresholds=POLICY.referral,
    )


def _move(
    world: World,
    case: Case,
    to: CaseState,
    who: str = "ana",
    *,
    now: datetime = NOW,
    **details: object,
) -> Case:
    return move_case(
        world.session,
        case=case,
        to=to,
        actor=world.actor(who),
        reason=f"to {to.value}",
        policy=POLICY,
        details=MoveDetails(**details),  # type: ignore[arg-type]
        now=now,
    )


def _to_statement_window(
    world: World, *, fine: str = "50000", measures: str = "fine,shutdown"
) -> Case:
    case = _open(world)
    _move(world, case, CaseState.SCREENING)
    assign_officers(world.session, case=case, officers=["ana", "bo"], actor=world.actor("ana"))
    _move(world, case, CaseState.FILED)
    _move(world, case, CaseState.INVESTIGATING)
    _move(world, case, CaseState.ADVANCE_NOTICE, measures=measures, fine=Decimal(fine))
    _move(world, case, CaseState.STATEMENT_WINDOW, served_at=NOW - timedelta(days=8))
    return case


def test_a_case_runs_from_lead_to_closed_with_every_step_recorded(world: World) -> None:
    case = _to_statement_window(world)
    assert case.clicks == 6000 and case.works_count == 1 and case.copies_count == 3
    assert case.deadline_at == NOW - timedelta(days=1)  # served 8 days ago + 7-day window
    _move(world, case, CaseState.DECIDED)
    assert case.decision == "fine,shutdown" and case.fine_amount == Decimal("50000.00")
    assert world.site.status is SiteStatus.SHUT_DOWN
    _move(world, case, CaseState.ENFORCING, who="bo")
    _move(world, case, CaseState.CLOSED)
    assert case.closed_at == NOW
    states = [(e.from_state, e.to_state, e.actor) for e in case.events]
    assert [s[1] for s in states] == [
        CaseState.LEAD, CaseState.SCREENING, CaseState.FILED, CaseState.INVESTIGATING,
        CaseState.ADVANCE_NOTICE, CaseState.STATEMENT_WINDOW, CaseState.DECIDED,
        CaseState.ENFORCING, CaseState.CLOSED,
    ]  # fmt: skip
    assert states[7][2] == "bo" and all(e.reason for e in case.events)
    case_entries = world.session.scalars(
        select(LedgerEntry).where(LedgerEntry.subject == f"case:{case.id}")
    ).all()
    moves = [e.payload for e in case_entries if "from" in e.payload]
    assert [(m["from"], m["to"]) for m in moves][-1] == ("enforcing", "closed")
    assert len(moves) == 8  # every transition after opening; opening and assignment besides
    assert verify_chain(world.session) == []


def test_every_illegal_transition_is_refused_and_changes_nothing(world: World) -> None:
    case = _open(world)
    case.officers = ["ana", "bo"]
    refused = 0
    for state in CaseState:
        for target in CaseState:
            if target in TRANSITIONS[state]:
                continue
            case.state = state
            events = len(case.events)
            with pytest.raises(
                UserError, match=f"is {state.value}; it cannot move to {target.value}"
            ):
                _move(world, case, target)
            assert case.state is state and len(case.events) == events
            refused += 1
    assert refused == len(CaseState) ** 2 - sum(len(v) for v in TRANSITIONS.values())


def test_filing_needs_two_officers_who_cover_the_region(world: World) -> None:
    case = _open(world)
    _move(world, case, CaseState.SCREENING)
    with pytest.raises(UserError, match="two officers"):
        _move(world, case, CaseState.FILED)
    with pytest.raises(UserError, match="at least two officers"):
        assign_officers(world.session, case=case, officers=["ana"], actor=world.actor("ana"))
    with pytest.raises(UserError, match="does not cover"):
        assign_officers(world.session, case=case, officers=["ana", "gd"], actor=world.actor("ana"))
    with pytest.raises(UserError, match="not an officer"):
        assign_officers(
            world.session, case=case, officers=["ana", "watcher"], actor=world.actor("ana")
        )
    assert case.state is CaseState.SCREENING and case.officers == []
    assign_officers(world.session, case=case, officers=["ana", "nat"], actor=world.actor("ana"))
    _move(world, case, CaseState.FILED)
    assert case.deadline_at == NOW + timedelta(days=90)


def test_no_decision_before_the_statement_window_ends(world: World) -> None:
    case = _to_statement_window(world)
    served = NOW - timedelta(days=8)
    window_end = served + timedelta(days=7)
    with pytest.raises(UserError, match="statement window runs until"):
        _move(world, case, CaseState.DECIDED, now=window_end - timedelta(seconds=1))
    assert case.state is CaseState.STATEMENT_WINDOW and case.decided_at is None
    _move(world, case, CaseState.DECIDED, now=window_end)
    assert case.state is CaseState.DECIDED


def test_advance_notice_must_be_served_and_not_in_the_future(world: World) -> None:
    case = _open(world)
    _move(world, case, CaseState.SCREENING)
    assign_officers(world.session, case=case, officers=["ana", "bo"], actor=world.actor("ana"))
    _move(world, case, CaseState.FILED)
    _move(world, case, CaseState.INVESTIGATING)
    with pytest.raises(UserError, match="must propose measures"):
        _move(world, case, CaseState.ADVANCE_NOTICE)
    _move(world, case, CaseState.ADVANCE_NOTICE, measures="warning")
    with pytest.raises(UserError, match="--served-at"):
        _move(world, case, CaseState.STATEMENT_WINDOW)
    with pytest.raises(UserError, match="future"):
        _move(world, case, CaseState.STATEMENT_WINDOW, served_at=NOW + timedelta(hours=1))
    assert case.advance_notice_served_at is None


def test_a_heavy_fine_needs_a_hearing(world: World) -> None:
    case = _to_statement_window(world, fine="150000")
    with pytest.raises(UserError, match="needs a hearing"):
        _move(world, case, CaseState.DECIDED)
    _move(world, case, CaseState.HEARING)
    with pytest.raises(UserError, match="--hearing-held-at"):
        _move(world, case, CaseState.DECIDED)
    _move(world, case, CaseState.DECIDED, hearing_held_at=NOW - timedelta(hours=2))
    assert case.fine_amount == Decimal("150000.00")
    assert case.hearing_held_at == NOW - timedelta(hours=2)


def test_the_threshold_fine_itself_needs_no_hearing(world: World) -> None:
    case = _to_statement_window(world, fine="100000")
    _move(world, case, CaseState.DECIDED)
    assert case.state is CaseState.DECIDED


def test_a_decision_is_no_heavier_than_proposed(world: World) -> None:
    case = _to_statement_window(world, measures="fine", fine="20000")
    with pytest.raises(UserError, match="shutdown was not proposed"):
        _move(world, case, CaseState.DECIDED, measures="fine,shutdown")
    with pytest.raises(UserError, match=r"more than the 20000\.00 proposed"):
        _move(world, case, CaseState.DECIDED, fine=Decimal("25000"))
    _move(world, case, CaseState.DECIDED, fine=Decimal("15000"))
    assert case.fine_amount == Decimal("15000.00")
    assert world.site.status is SiteStatus.ACTIVE


@pytest.mark.parametrize(
    ("fine", "volume", "message"),
    [
        ("0", None, "more than 0"),
        ("250000.01", None, r"over the legal limit of 250000\.00"),
        ("300000", "40000", r"over the legal limit of 250000\.00"),
        ("500000.01", "100000", r"over the legal limit of 500000\.00"),
    ],
)
def test_fines_outside_the_law_are_refused(
    world: World, fine: str, volume: str | None, message: str
) -> None:
    case = _open(world)
    if volume is not None:
        case.business_volume = Decimal(volume)
    case.state = CaseState.INVESTIGATING
    with pytest.raises(UserError, match=message):
        _move(world, case, CaseState.ADVANCE_NOTICE, measures="fine", fine=Decimal(fine))
    assert case.state is CaseState.INVESTIGATING and case.proposed_fine is None


def test_the_cap_grows_with_the_business_volume(world: World) -> None:
    case = _open(world)
    case.business_volume = Decimal("100000")
    case.state = CaseState.INVESTIGATING
    _move(world, case, CaseState.ADVANCE_NOTICE, measures="fine", fine=Decimal("500000"))
    assert case.proposed_fine == Decimal("500000.00")


@pytest.mark.parametrize(
    "bad", ["-1", "NaN", "Infinity", "12.345", "lots", "1e30", "1000000000000"]
)
def test_amounts_must_be_yuan_and_fen(bad: str) -> None:
    with pytest.raises(UserError):
        parse_amount(bad, what="--fine")
    assert parse_amount("1,234.5", what="--fine") == Decimal("1234.50")


def test_unknown_measures_are_refused() -> None:
    with pytest.raises(UserError, match="unknown measure 'jail'"):
        parse_measures("fine, jail")
    assert parse_measures("shutdown, fine") == ("fine", "shutdown")


def test_actors_without_the_right_change_nothing(world: World) -> None:
    case = _open(world)
    for who, message in [
        ("watcher", "may not case"),
        ("studio", "may not case"),
        ("gd", "outside CN-44"),
    ]:
        with pytest.raises(PermissionDenied, match=message):
            _move(world, case, CaseState.SCREENING, who=who)
        assert case.state is CaseState.LEAD and len(case.events) == 1
    _move(world, case, CaseState.SCREENING, who="nat")  # national covers Zhejiang
    assign_officers(world.session, case=case, officers=["ana", "bo"], actor=world.actor("ana"))
    with pytest.raises(PermissionDenied, match="not among the officers"):
        _move(world, case, CaseState.FILED, who="cai")
    _move(world, case, CaseState.FILED, who="root")  # an admin may act on any case
    with pytest.raises(PermissionDenied):
        open_case(
            world.session,
            site=world.site,
            detections=world.detections,
            actor=world.actor("gd"),
            reason="outside",
        )


def test_only_confirmed_detections_support_a_case(world: World) -> None:
    world.detections[0].status = DetectionStatus.IN_REVIEW
    with pytest.raises(UserError, match="only confirmed"):
        _open(world)
    assert world.session.scalar(select(func.count()).select_from(Case)) == 0


@pytest.mark.parametrize(
    ("values", "flagged"),
    [
        ({"clicks": 50_000}, ["clicks 50000 reaches the threshold 50000"]),
        ({"clicks": 49_999}, []),
        ({"works": 500, "paid_members": 2}, ["works 500 reaches the threshold 500"]),
        ({"clicks": 25_000, "illegal_gains": Decimal("15000")}, ["two measures"]),
        ({"clicks": 25_000, "illegal_gains": Decimal("14999.99")}, []),
        ({"paid_members": 500, "business_volume": Decimal("25000")}, ["two measures"]),
    ],
)
def test_referral_thresholds(world: World, values: dict[str, object], flagged: list[str]) -> None:
    case = _open(world)
    case.clicks = None
    set_measures(
        world.session, case=case, actor=world.actor("ana"), thresholds=POLICY.referral, **values
    )
    assert len(case.referral_flags) == len(flagged)
    for flag, wanted in zip(case.referral_flags, flagged, strict=True):
        assert flag.startswith(wanted)


def test_referral_needs_a_threshold_and_an_organ(world: World) -> None:
    case = _open(world)
    _move(world, case, CaseState.SCREENING)
    assign_officers(world.session, case=case, officers=["ana", "bo"], actor=world.actor("ana"))
    _move(world, case, CaseState.FILED)
    with pytest.raises(UserError, match="reaches no referral threshold"):
        _move(world, case, CaseState.REFERRED, organ="public_security")
    with pytest.raises(UserError, match="negative"):
        set_measures(
            world.session, case=case, actor=world.actor("ana"), thresholds=POLICY.referral,
            paid_members=-3,
        )  # fmt: skip
    set_measures(
        world.session, case=case, actor=world.actor("ana"), thresholds=POLICY.referral,
        paid_members=1200,
    )  # fmt: skip
    with pytest.raises(UserError, match="name the organ"):
        _move(world, case, CaseState.REFERRED, organ="police")
    _move(world, case, CaseState.REFERRED, organ="public_security")
    assert case.referral == "public_security" and case.closed_at == NOW
    events = world.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert events[-1].to_state is CaseState.REFERRED


def test_a_transfer_names_its_destination(world: World) -> None:
    case = _open(world)
    _move(world, case, CaseState.SCREENING)
    with pytest.raises(UserError, match="--to"):
        _move(world, case, CaseState.TRANSFERRED)
    _move(world, case, CaseState.TRANSFERRED, destination="Hangzhou bureau")
    assert case.referral == "transferred to Hangzhou bureau"
