"""The demo's enforcement stage: what an authority does with what the sweep found.

The demo authority publishes its protection list (a warning to the registered platform), its
officer reviews the queue, the rights holder's takedown notices are drafted and sent, a case is
opened on the pirate video site and carried up to the statement window (a decision must wait the
window out, so the demo stops there), the case's evidence package is exported and verified
offline, and a campaign report is written as HTML and PDF. With ``--keep-serving`` the demo's
first officer gets a generated password (:func:`dashboard_login`) so the dashboard can be tried on
what the demo left behind.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog import service as catalog
from jianwang.catalog.accounts import find_user, set_password
from jianwang.catalog.actors import actor_for
from jianwang.catalog.people import add_authority, add_user
from jianwang.config import Settings
from jianwang.db import transaction, utcnow
from jianwang.db.models import CaseState, Site, SiteKind
from jianwang.detections.review import confirm, review_queue
from jianwang.enforcement.cases import assign_officers, detections_for_case, open_case
from jianwang.enforcement.notices import draft_takedown_notices, send_notice
from jianwang.enforcement.policy import CasePolicy
from jianwang.enforcement.transitions import MoveDetails, move_case
from jianwang.enforcement.warnings import publish_batch
from jianwang.evidence.package import export_package
from jianwang.evidence.verify import verify_package
from jianwang.reports.campaign import campaign_report
from jianwang.reports.export import to_html, write_pdf

log = logging.getLogger(__name__)

AUTHORITY = "Zhejiang Copyright Bureau"
OFFICERS = ("demo-officer", "demo-officer-2")
CASE_SITE = "pirate-video"
BATCH = "Demo protection list 2026-1"


@dataclass
class EnforcementResult:
    """What the enforcement stage did, for the summary."""

    warnings: int = 0
    reviewed: int = 0
    notices_sent: int = 0
    case_number: str | None = None
    case_state: str | None = None
    package: Path | None = None
    package_ok: bool = False
    package_problems: list[str] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)


def run_enforcement(
    factory: sessionmaker[Session], *, settings: Settings, say: Callable[[str], None]
) -> EnforcementResult:
    """Carry the demo's detections through review, notices, a case, evidence and a report."""
    result = EnforcementResult()
    policy = CasePolicy.from_settings(settings)
    with transaction(factory) as session:
        _people(session)
        officer = actor_for(session, OFFICERS[0])
        say("publishing the protection list: a warning to each registered platform")
        batch = catalog.get_batch(session, name=BATCH)
        result.warnings = len(publish_batch(session, batch=batch, actor=officer))
        queue = review_queue(session, actor=officer)
        say(f"reviewing {len(queue)} detection(s) the review band left for an officer")
        if queue:
            confirm(
                session,
                detection_ids=[item.id for item in queue],
                actor=officer,
                reason="Checked side by side with the reference: the same work",
            )
        result.reviewed = len(queue)

    with transaction(factory) as session:
        officer = actor_for(session, OFFICERS[0])
        say("drafting and sending takedown notices")
        for site in session.scalars(select(Site).where(Site.kind != SiteKind.PLATFORM)):
            confirmed = detections_for_case(session, site=site)
            if not confirmed:
                continue
            for notice in draft_takedown_notices(
                session, site=site, detections=confirmed, actor=officer, settings=settings
            ):
                send_notice(session, notice=notice, actor=officer)
                result.notices_sent += 1

    with transaction(factory) as session:
        officer = actor_for(session, OFFICERS[0])
        site = catalog.find_site(session, CASE_SITE)
        say(f"opening a case on {CASE_SITE} and carrying it to the statement window")
        case = open_case(
            session,
            site=site,
            detections=detections_for_case(session, site=site),
            actor=officer,
            reason="Unlicensed films and episodes served to the public",
            thresholds=policy.referral,
        )
        assign_officers(session, case=case, officers=OFFICERS, actor=officer)
        steps: list[tuple[CaseState, MoveDetails]] = [
            (CaseState.SCREENING, MoveDetails()),
            (CaseState.FILED, MoveDetails()),
            (CaseState.INVESTIGATING, MoveDetails()),
            (CaseState.ADVANCE_NOTICE, MoveDetails(measures="fine,shutdown", fine=Decimal(50_000))),
            (CaseState.STATEMENT_WINDOW, MoveDetails(served_at=utcnow() - timedelta(minutes=1))),
        ]
        for state, details in steps:
            move_case(
                session,
                case=case,
                to=state,
                actor=officer,
                reason=f"demo: {state.value.replace('_', ' ')}",
                policy=policy,
                details=details,
            )
        result.case_number, result.case_state = case.number, case.state.value
        case_id = case.id

    evidence_dir = settings.data_dir / "evidence"
    evidence_dir.mkdir(parents=True, exist_ok=True)
    package = evidence_dir / f"{result.case_number}.zip"
    with transaction(factory) as session:
        say(f"exporting the evidence package of case {result.case_number}")
        export_package(
            session,
            settings,
            case_id=case_id,
            out=package,
            actor=actor_for(session, OFFICERS[0]),
        )
    report = verify_package(package)
    result.package, result.package_ok = package, report.ok
    result.package_problems = [str(p) for p in report.problems]

    reports_dir = settings.data_dir / "reports"
    reports_dir.mkdir(parents=True, exist_ok=True)
    today = utcnow().date()
    with transaction(factory) as session:
        say("writing the campaign report (HTML and PDF)")
        campaign = campaign_report(session, start=today - timedelta(days=30), end=today)
    html = reports_dir / "campaign.html"
    html.write_text(to_html(campaign), encoding="utf-8")
    pdf = reports_dir / "campaign.pdf"
    write_pdf(campaign, pdf)
    result.reports = [html, pdf]
    return result


def _people(session: Session) -> None:
    """The demo's authority and its two officers (the sandbox sites lie in its region)."""
    add_authority(session, name=AUTHORITY, level="provincial", region="CN-33")
    for name in OFFICERS:
        add_user(session, username=name, role="officer", authority=AUTHORITY)
    session.flush()


@dataclass(frozen=True)
class DashboardLogin:
    """Who to sign in to the demo's dashboard as, and with which password."""

    username: str
    password: str


def dashboard_login(session: Session) -> DashboardLogin:
    """Give the demo's first officer (an officer of the demo authority and of the demo's case)
    a fresh random password, so the dashboard can be tried on the demo's own records.

    A new password each run: the demo prints it, and none is ever built in."""
    username = OFFICERS[0]
    password = secrets.token_urlsafe(12)
    set_password(session, user=find_user(session, username), password=password)
    log.info("dashboard login for %s set", username)
    return DashboardLogin(username=username, password=password)
