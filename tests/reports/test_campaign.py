"""Campaign figures against a database whose every answer was worked out by hand.

The period is March 2025. Records sit inside it, outside it, and exactly on its first and last
instants, so an off-by-one in the day bounds changes a figure. Authorities: national (CN),
Zhejiang (CN-33) with Hangzhou (CN-33-01) inside it, and Guangdong (CN-44).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jianwang.cli.main import run
from jianwang.config import Settings
from jianwang.db import create_db_engine, ensure_schema, session_factory, transaction
from jianwang.db.models import (
    Authority,
    AuthorityLevel,
    Capture,
    Case,
    CaseEvent,
    CaseState,
    Detection,
    DetectionStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    ProtectionBatch,
    RightsHolder,
    Site,
    SiteKind,
    Work,
    WorkKind,
)
from jianwang.errors import NotFoundError, UserError
from jianwang.reports.campaign import (
    CampaignReport,
    Count,
    Timing,
    campaign_report,
    parse_day,
    percentile,
    region_within,
)

MARCH = {"start": date(2025, 3, 1), "end": date(2025, 3, 31)}


def at(text: str) -> datetime:
    """'2025-03-01 00:00' as an aware UTC time."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _authorities(s: Session) -> dict[str, Authority]:
    rows = {
        "nat": Authority(name="国家版权局", level=AuthorityLevel.NATIONAL, region="CN"),
        "zj": Authority(name="浙江省版权局", level=AuthorityLevel.PROVINCIAL, region="CN-33"),
        "hz": Authority(name="杭州市版权局", level=AuthorityLevel.MUNICIPAL, region="CN-33-01"),
        "gd": Authority(name="广东省版权局", level=AuthorityLevel.PROVINCIAL, region="CN-44"),
    }
    s.add_all(rows.values())
    return rows


def _sites(s: Session) -> dict[str, Site]:
    rows = {
        "s1": Site(name="盗版影院", kind=SiteKind.VIDEO, region="CN-33-01"),
        "s2": Site(name="free-tv", kind=SiteKind.VIDEO, region="CN-33"),
        "s3": Site(name="gd-music", kind=SiteKind.MUSIC, region="CN-44"),
        "s4": Site(name="offshore", kind=SiteKind.CYBERLOCKER, region=None),
    }
    s.add_all(rows.values())
    return rows


# number, authority, site, events (state@time, the first one the case's creation), decision, fine.
# A case's decision time is its event to "decided".
CASES: list[tuple[str, str | None, str, str, str | None, str | None]] = [
    # Filed on the period's first instant; fined and shut down inside it.
    ("C1", "zj", "s2", "lead@2025-02-20T10:00 filed@2025-03-01T00:00 decided@2025-03-20T10:00",
     "fine,shutdown", "50000.00"),
    # Filed in the period's last second.
    ("C2", "hz", "s1", "lead@2025-03-02T09:00 filed@2025-03-31T23:59:59", None, None),
    # Referred inside the period.
    ("C3", "gd", "s3", "lead@2025-03-10T08:00 filed@2025-03-12T08:00 referred@2025-03-28T08:00",
     None, None),
    # A national case filed before the period; fined, shut down and closed inside it.
    ("C4", "nat", "s4", "lead@2025-01-05T08:00 filed@2025-01-10T08:00 decided@2025-03-15T08:00 "
     "enforcing@2025-03-16T08:00 closed@2025-03-31T12:00", "fine,shutdown", "3000.00"),
    # Opened in the period, filed on the first instant after it.
    ("C5", "gd", "s3", "lead@2025-03-15T08:00 filed@2025-04-01T00:00", None, None),
    # Opened and filed in the last second before the period; the same site shut down again.
    ("C6", "zj", "s2", "lead@2025-02-28T23:59:59 filed@2025-02-28T23:59:59 "
     "decided@2025-03-10T08:00 enforcing@2025-03-11T08:00", "fine,shutdown", "20000.00"),
    # No authority; rejected (which is not a closure).
    ("C7", None, "s4", "lead@2025-03-05T08:00 rejected@2025-03-06T08:00", None, None),
    # Fined (and confiscated) on the last day.
    ("C8", "zj", "s2", "lead@2025-03-08T08:00 filed@2025-03-09T08:00 decided@2025-03-31T18:00",
     "fine,confiscation", "12345.67"),
    # Fined the day after the period.
    ("C9", "gd", "s3", "lead@2025-02-01T08:00 filed@2025-02-02T08:00 decided@2025-04-02T08:00",
     "fine", "999.99"),
    # Closed without penalty on the period's first instant.
    ("C10", "hz", "s1", "lead@2025-02-10T08:00 filed@2025-02-11T08:00 "
     "closed_no_penalty@2025-03-01T00:00", None, None),
    # Referred in the last second before the period.
    ("C11", "gd", "s3", "lead@2025-01-20T08:00 filed@2025-01-21T08:00 "
     "referred@2025-02-28T23:59:59", None, None),
    # Referred in the period's last second.
    ("C12", "hz", "s1", "lead@2025-03-20T08:00 filed@2025-03-21T08:00 "
     "referred@2025-03-31T23:59:59", None, None),
]  # fmt: skip


def _cases(s: Session, a: dict[str, Authority], site: dict[str, Site]) -> None:
    for number, authority, site_key, events, decision, fine in CASES:
        steps = [
            (CaseState(state), at(when)) for state, when in (e.split("@") for e in events.split())
        ]
        case = Case(
            number=number,
            authority_id=a[authority].id if authority else None,
            site_id=site[site_key].id,
            state=steps[-1][0],
            decision=decision,
            fine_amount=Decimal(fine) if fine else None,
            decided_at=next((t for state, t in steps if state is CaseState.DECIDED), None),
            created_at=steps[0][1],
        )
        previous: CaseState | None = None
        for state, when in steps:
            case.events.append(
                CaseEvent(from_state=previous, to_state=state, actor="officer", at=when)
            )
            previous = state
        s.add(case)


def _works(s: Session, a: dict[str, Authority]) -> dict[str, Work]:
    holder = RightsHolder(name="Studio")
    batches = {
        "b1": ProtectionBatch(
            name="2025年第一批", authority_id=a["nat"].id, published_at=at("2025-01-15 08:00")
        ),
        "b5": ProtectionBatch(
            name="专项批次", authority_id=a["nat"].id, published_at=at("2025-03-01 00:00")
        ),
        "b2": ProtectionBatch(
            name="2025年第二批", authority_id=a["nat"].id, published_at=at("2025-03-31 23:00")
        ),
        "b3": ProtectionBatch(
            name="2025年第三批", authority_id=a["nat"].id, published_at=at("2025-04-01 00:00")
        ),
        "b4": ProtectionBatch(name="草稿批次", authority_id=a["nat"].id, published_at=None),
    }
    placed = {"w1": "b1", "w2": "b1", "w3": "b2", "w4": "b3", "w5": "b4", "w6": "b5", "w7": None}
    titles = {
        "w1": "流浪地球3",
        "w2": "繁花",
        "w3": "热辣滚烫",
        "w4": "Later Work",
        "w5": "Draft Work",
        "w6": "专项作品",
        "w7": "Unlisted",
    }
    works = {
        key: Work(
            title=titles[key],
            kind=WorkKind.FILM,
            rights_holder=holder,
            batch=batches[batch] if batch else None,
        )
        for key, batch in placed.items()
    }
    s.add_all([holder, *batches.values(), *works.values()])
    return works


def _detections(s: Session, site: dict[str, Site], w: dict[str, Work]) -> None:
    confirmed, n = DetectionStatus.CONFIRMED, 0

    def capture(
        key: str, fetched: str, found: list[tuple[Work, str, DetectionStatus, int]]
    ) -> None:
        nonlocal n
        n += 1
        cap = Capture(
            site_id=site[key].id,
            kind="video",
            page_url=f"/p{n}",
            fetched_at=at(fetched),
            content_sha256=f"{n:064d}",
            content_path="x",
        )
        s.add(cap)
        s.flush()
        for work, signal, status, after_s in found:
            s.add(
                Detection(
                    capture_id=cap.id,
                    work_id=work.id,
                    signal=signal,
                    score=0.9,
                    query_start=0,
                    query_end=10,
                    ref_start=0,
                    ref_end=10,
                    status=status,
                    created_at=cap.fetched_at + timedelta(seconds=after_s),
                )
            )

    # One copy matched by picture (60 s after the fetch) and by sound (180 s): one copy, 60 s.
    capture(
        "s1",
        "2025-03-01 00:00",
        [(w["w1"], "video", confirmed, 60), (w["w1"], "audio", confirmed, 180)],
    )
    capture("s1", "2025-03-15 12:00", [(w["w2"], "video", confirmed, 300)])
    capture("s2", "2025-03-31 23:59:59", [(w["w1"], "video", confirmed, 600)])
    capture(
        "s3",
        "2025-03-10 00:00",
        [
            (w["w1"], "audio", confirmed, 120),
            (w["w2"], "audio", DetectionStatus.FALSE_POSITIVE, 30),
        ],
    )
    capture("s4", "2025-03-20 00:00", [(w["w3"], "video", confirmed, 1800)])
    capture("s3", "2025-02-28 23:59:59", [(w["w1"], "audio", confirmed, 10)])
    capture("s1", "2025-04-01 00:00", [(w["w2"], "video", confirmed, 10)])
    capture(
        "s2",
        "2025-03-05 00:00",
        [
            (w["w2"], "video", DetectionStatus.IN_REVIEW, 10),
            (w["w3"], "audio", DetectionStatus.LICENSED, 10),
        ],
    )


def _notices(s: Session, site: dict[str, Site]) -> None:
    takedown, warning = NoticeKind.TAKEDOWN, NoticeKind.WARNING
    removed = NoticeStatus.REMOVED_VERIFIED
    rows = [
        (takedown, "s1", removed, "2025-03-02 10:00", "2025-03-03 10:00"),  # 24 h
        (takedown, "s2", removed, "2025-03-01 00:00", "2025-03-01 06:00"),  # 6 h
        (takedown, "s3", removed, "2025-03-10 00:00", "2025-03-12 12:00"),  # 60 h
        (takedown, "s4", NoticeStatus.NON_COMPLIANT, "2025-03-20 00:00", "2025-03-27 00:00"),
        (warning, "s1", removed, "2025-03-05 00:00", "2025-03-06 00:00"),  # not a takedown
        (takedown, "s2", removed, "2025-02-28 23:00", "2025-03-01 00:00"),  # sent before
        (takedown, "s1", NoticeStatus.DRAFT, None, None),
        (takedown, "s1", NoticeStatus.SENT, "2025-03-31 23:59:59", None),
        (takedown, "s3", NoticeStatus.COUNTER_NOTICED, "2025-03-15 00:00", "2025-03-17 00:00"),
        (takedown, "s2", removed, "2025-03-25 00:00", "2025-03-25 01:30"),  # 1.5 h
    ]
    for kind, key, status, sent, followed in rows:
        s.add(
            Notice(
                kind=kind,
                site_id=site[key].id,
                recipient="ops",
                status=status,
                sent_at=at(sent) if sent else None,
                followed_up_at=at(followed) if followed else None,
            )
        )


def fill(factory: sessionmaker[Session]) -> None:
    """The fixture database described in the module docstring."""
    with transaction(factory) as s:
        authorities = _authorities(s)
        sites = _sites(s)
        s.flush()
        works = _works(s, authorities)
        s.flush()
        _cases(s, authorities, sites)
        _detections(s, sites, works)
        _notices(s, sites)


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'campaign.db'}")
    ensure_schema(engine)
    made = session_factory(engine)
    fill(made)
    yield made
    engine.dispose()


def report(factory: sessionmaker[Session], **kwargs: object) -> CampaignReport:
    with transaction(factory) as s:
        return campaign_report(s, **{**MARCH, **kwargs})  # type: ignore[arg-type]


def test_case_figures_count_events_and_decisions_inside_the_period(factory) -> None:  # type: ignore[no-untyped-def]
    got = report(factory)
    # Filed in March: C1 (first instant), C2 (last second), C3, C8, C12; not C5 (Apr 1 00:00)
    # nor C6 (Feb 28 23:59:59).
    assert got.cases_investigated == 5
    assert got.cases_referred == 2  # C3, C12 (last second); C11 is a second early
    assert got.cases.closed == 2  # C4 closed, C10 closed without penalty at 00:00; C7 rejected
    assert got.cases.opened == 6  # C2 C3 C5 C7 C8 C12; C6 a second early
    assert got.cases.by_state == (
        Count("filed", 2),
        Count("decided", 1),
        Count("rejected", 1),
        Count("referred", 2),
    )
    assert got.sites_shut_down == 2  # free-tv twice (C1, C6) and offshore (C4)
    # C1 + C4 + C6 + C8 (decided 18:00 on the last day); C9 decided in April.
    assert got.fines_imposed == Decimal("85345.67")
    assert got.cases.fines_count == 4


def test_protection_list_counts_batches_published_by_the_last_day(factory) -> None:  # type: ignore[no-untyped-def]
    got = report(factory)
    # b1 (2 works), b5 at 00:00 on the first day (1), b2 at 23:00 on the last day (1).
    assert got.works_on_protection_list == 4
    batches = [(b.name, b.published_on, b.works) for b in got.protection.batches_published]
    assert batches == [
        ("专项批次", date(2025, 3, 1), 1),
        ("2025年第二批", date(2025, 3, 31), 1),
    ]


def test_detections_count_each_confirmed_copy_once(factory) -> None:  # type: ignore[no-untyped-def]
    found = report(factory).detections
    assert found.copies == 5
    assert found.by_work == (Count("流浪地球3", 3), Count("热辣滚烫", 1), Count("繁花", 1))
    assert found.by_site == (
        Count("盗版影院", 2),
        Count("free-tv", 1),
        Count("gd-music", 1),
        Count("offshore", 1),
    )
    assert found.by_region == (
        Count("CN-33-01", 2),
        Count("CN-33", 1),
        Count("CN-44", 1),
        Count("unknown", 1),
    )
    assert found.by_month == (Count("2025-03", 5),)
    # Delays 60 (the earlier of the two signals), 300, 600, 120, 1800 s: sorted
    # [60, 120, 300, 600, 1800]; p90 at rank 3.6 = 600 + 0.6 * 1200.
    assert found.capture_to_detection_s == Timing(count=5, median=300.0, p90=1320.0)


def test_months_span_the_period_with_empty_ones_listed(factory) -> None:  # type: ignore[no-untyped-def]
    found = report(factory, start=date(2025, 1, 1), end=date(2025, 4, 30)).detections
    assert found.by_month == (
        Count("2025-01", 0),
        Count("2025-02", 1),
        Count("2025-03", 5),
        Count("2025-04", 1),
    )
    assert found.copies == 7


def test_notice_figures(factory) -> None:  # type: ignore[no-untyped-def]
    notices = report(factory).notices
    assert notices.sent == 8  # every notice but the draft and the one sent in February
    assert notices.removed == 5  # four takedowns and the warning
    assert notices.non_compliant == 1
    # Takedowns removed: 24, 6, 60, 1.5 h -> [1.5, 6, 24, 60]; p90 at rank 2.7 = 24 + 0.7 * 36.
    assert notices.to_removal_h.count == 4
    assert notices.to_removal_h.median == pytest.approx(15.0)
    assert notices.to_removal_h.p90 == pytest.approx(49.2)


def test_provincial_scope_takes_its_region_and_the_regions_inside(factory) -> None:  # type: ignore[no-untyped-def]
    got = report(factory, authority="浙江省版权局")
    assert (got.authority, got.region) == ("浙江省版权局", "CN-33")
    # Zhejiang's cases and Hangzhou's: C1 C2 C6 C8 C10 C12.
    assert got.cases_investigated == 4  # C1 C2 C8 C12
    assert got.cases_referred == 1  # C12
    assert got.cases.closed == 1  # C10
    assert got.cases.opened == 3  # C2 C8 C12
    assert got.sites_shut_down == 1  # free-tv
    assert got.fines_imposed == Decimal("82345.67")
    assert got.cases.fines_count == 3
    assert got.works_on_protection_list == 4  # the list is national
    found = got.detections
    assert found.copies == 3
    assert found.by_work == (Count("流浪地球3", 2), Count("繁花", 1))
    assert found.by_region == (Count("CN-33-01", 2), Count("CN-33", 1))
    # [60, 300, 600]: p90 at rank 1.8 = 300 + 0.8 * 300.
    assert found.capture_to_detection_s == Timing(count=3, median=300.0, p90=540.0)
    notices = got.notices
    assert (notices.sent, notices.removed, notices.non_compliant) == (5, 4, 0)
    # [1.5, 6, 24]: p90 at rank 1.8 = 6 + 0.8 * 18.
    assert notices.to_removal_h.median == pytest.approx(6.0)
    assert notices.to_removal_h.p90 == pytest.approx(20.4)


def test_scope_does_not_leak_to_a_sibling_region(factory) -> None:  # type: ignore[no-untyped-def]
    got = report(factory, authority="广东省版权局")
    assert got.cases_investigated == 1  # C3
    assert got.cases_referred == 1
    assert got.sites_shut_down == 0
    assert got.fines_imposed == Decimal("0.00")
    assert got.detections.by_site == (Count("gd-music", 1),)
    assert got.notices.to_removal_h == Timing(count=1, median=60.0, p90=60.0)


def test_national_authority_covers_everything(factory) -> None:  # type: ignore[no-untyped-def]
    national = report(factory, authority="国家版权局")
    everything = report(factory)
    assert national.authority == "国家版权局"
    assert national.cases == everything.cases
    assert national.detections == everything.detections
    assert national.notices == everything.notices


def test_to_dict_names_every_figure(factory) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(json.dumps(report(factory).to_dict()))
    assert data["period"] == {"from": "2025-03-01", "to": "2025-03-31"}
    assert data["authority"] is None
    assert data["fines_imposed"] == "85345.67"
    assert data["cases_by_state"] == {"filed": 2, "decided": 1, "rejected": 1, "referred": 2}
    assert data["batches_published"]["count"] == 2
    assert data["detections"]["by_work"][0] == {"key": "流浪地球3", "count": 3}
    assert data["capture_to_detection_s"] == {"count": 5, "median": 300.0, "p90": 1320.0}


def test_bad_periods_and_names_are_user_errors(factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match="starts after it ends"):
        report(factory, start=date(2025, 4, 1), end=date(2025, 3, 1))
    with pytest.raises(NotFoundError, match="无此机关"):
        report(factory, authority="无此机关")
    with pytest.raises(UserError, match="YYYY-MM-DD"):
        parse_day("2025/03/01", option="--from")
    with pytest.raises(UserError, match="not a calendar date"):
        parse_day("2025-02-30", option="--to")
    assert parse_day("2025-03-01", option="--from") == date(2025, 3, 1)


def test_region_nesting_and_percentiles() -> None:
    assert region_within("CN-33-01", "CN-33") and region_within("CN-33", "CN-33")
    assert not region_within("CN-330", "CN-33")
    assert not region_within("CN-44", "CN-33") and not region_within(None, "CN")
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert Timing.of([]) == Timing(count=0, median=None, p90=None)


# The command line, end to end over the same database in the CLI's data dir.


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    engine = create_db_engine(Settings(data_dir=data).db_url)
    ensure_schema(engine)
    fill(session_factory(engine))
    engine.dispose()
    return data


def jw(data: Path, *args: str) -> int:
    return run(["--data-dir", str(data), "report", "campaign", *args])


def test_cli_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = jw(
        data_dir,
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-31",
        "--authority",
        "浙江省版权局",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["authority"] == {"name": "浙江省版权局", "region": "CN-33"}
    assert data["cases_investigated"] == 4
    assert data["fines_imposed"] == "82345.67"
    assert data["detections"]["copies"] == 3


def test_cli_writes_files(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "march.pdf"
    assert (
        jw(
            data_dir,
            "--from",
            "2025-03-01",
            "--to",
            "2025-03-31",
            "--format",
            "pdf",
            "--out",
            str(target),
        )
        == 0
    )
    assert target.read_bytes().startswith(b"%PDF")
    assert str(target) in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--from", "2025-3-1", "--to", "2025-03-31"], 2, "--from '2025-3-1'"),
        (["--from", "2025-03-01", "--to", "2025-02-31"], 2, "not a calendar date"),
        (["--from", "2025-03-31", "--to", "2025-03-01"], 2, "starts after it ends"),
        (["--from", "2025-03-01", "--to", "2025-03-31", "--authority", "nobody"], 3, "nobody"),
        (["--from", "2025-03-01", "--to", "2025-03-31", "--format", "pdf"], 2, "--out"),
    ],
)
def test_cli_errors(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    assert jw(data_dir, *args) == code
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
