"""The case state machine: which state may follow which, and the guards on each step.

LEAD → SCREENING → FILED → INVESTIGATING → ADVANCE_NOTICE → STATEMENT_WINDOW → (HEARING) →
DECIDED → ENFORCING → CLOSED, with REJECTED, TRANSFERRED, CLOSED_NO_PENALTY and REFERRED as
exits. Guards state the law's order of things: a case is filed with two officers; the advance
notice proposes lawful measures; the statement window runs from its service; a heavy fine needs
a hearing; the decision is no heavier than proposed; referral needs a threshold reached. Every
refusal says why and changes nothing; every move is a ``CaseEvent`` and a ledger entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from jianwang.catalog.actors import Actor
from jianwang.db import utcnow
from jianwang.db.models import Case, CaseEvent, CaseState, SiteStatus
from jianwang.enforcement.cases import require_case_right
from jianwang.enforcement.policy import ORGANS, CasePolicy, parse_amount, parse_measures
from jianwang.errors import UserError
from jianwang.evidence import ledger

log = logging.getLogger(__name__)

S = CaseState
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    S.LEAD: frozenset({S.SCREENING, S.REJECTED}),
    S.SCREENING: frozenset({S.FILED, S.REJECTED, S.TRANSFERRED}),
    S.FILED: frozenset({S.INVESTIGATING, S.TRANSFERRED, S.REFERRED}),
    S.INVESTIGATING: frozenset({S.ADVANCE_NOTICE, S.CLOSED_NO_PENALTY, S.TRANSFERRED, S.REFERRED}),
    S.ADVANCE_NOTICE: frozenset({S.STATEMENT_WINDOW}),
    S.STATEMENT_WINDOW: frozenset({S.HEARING, S.DECIDED, S.CLOSED_NO_PENALTY}),
    S.HEARING: frozenset({S.DECIDED, S.CLOSED_NO_PENALTY}),
    S.DECIDED: frozenset({S.ENFORCING, S.REFERRED}),
    S.ENFORCING: frozenset({S.CLOSED, S.REFERRED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.TRANSFERRED: frozenset(),
    S.CLOSED_NO_PENALTY: frozenset(),
    S.REFERRED: frozenset(),
}
TERMINAL = frozenset(state for state, nexts in TRANSITIONS.items() if not nexts)


@dataclass(frozen=True)
class MoveDetails:
    """What some steps need besides a reason.

    ``measures`` and ``fine`` propose (ADVANCE_NOTICE) or decide (DECIDED); ``served_at`` is when
    the advance notice reached the party (STATEMENT_WINDOW); ``hearing_held_at`` ends a hearing
    (HEARING → DECIDED); ``organ`` receives a referral; ``destination`` names the authority a
    case is transferred to."""

    measures: str | None = None
    fine: Decimal | None = None
    served_at: datetime | None = None
    hearing_held_at: datetime | None = None
    organ: str | None = None
    destination: str | None = None


def allowed_next(case: Case) -> list[CaseState]:
    """The states the case may move to next (guards aside), in the machine's order."""
    return [s for s in CaseState if s in TRANSITIONS[case.state]]


def move_case(
    session: Session,
    *,
    case: Case,
    to: CaseState,
    actor: Actor,
    reason: str,
    policy: CasePolicy,
    details: MoveDetails | None = None,
    now: datetime | None = None,
) -> Case:
    """Move ``case`` to ``to`` when the machine and its guards allow it; ``UserError`` (or
    ``PermissionDenied``) with the reason otherwise, before anything is changed."""
    details = details or MoveDetails()
    now = now or utcnow()
    require_case_right(session, case, actor, doing=f"move to {to.value}")
    if not reason.strip():
        raise UserError(f"moving case {case.number} to {to.value} needs a reason")
    if to not in TRANSITIONS[case.state]:
        nexts = ", ".join(s.value for s in allowed_next(case)) or "none: the case is closed"
        raise UserError(
            f"case {case.number} is {case.state.value}; it cannot move to {to.value} "
            f"(allowed next: {nexts})"
        )
    changes = _guard(session, case, to, policy, details, now)
    before = case.state
    for name, value in changes.items():
        setattr(case, name, value)
    case.state = to
    case.events.append(
        CaseEvent(from_state=before, to_state=to, actor=actor.name, reason=reason, at=now)
    )
    if to is S.DECIDED and "shutdown" in (case.decision or "").split(","):
        _shut_down_site(case)
    session.flush()
    ledger.append(
        session,
        kind="case",
        subject=f"case:{case.id}",
        payload={
            "number": case.number,
            "from": before.value,
            "to": to.value,
            "actor": actor.name,
            "reason": reason,
            "at": now.isoformat(),
            "changes": {k: _plain(v) for k, v in changes.items()},
        },
    )
    log.info("case %s: %s → %s by %s", case.number, before.value, to.value, actor.name)
    return case


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _shut_down_site(case: Case) -> None:
    """A shutdown decision stops the site's monitoring; staydown checks go on (they run on the
    notices' captures whatever the site's status)."""
    case.site.status = SiteStatus.SHUT_DOWN
    log.info("site %s shut down by case %s", case.site.name, case.number)


def _guard(
    session: Session,
    case: Case,
    to: CaseState,
    policy: CasePolicy,
    details: MoveDetails,
    now: datetime,
) -> dict[str, object]:
    """Check the step's guard; return the fields the step sets."""
    if to is S.FILED:
        if len(case.officers or []) < 2:
            raise UserError(
                f"case {case.number} cannot be filed before two officers are assigned "
                f"('jianwang cases assign'); it has {len(case.officers or [])}"
            )
        return {"deadline_at": now + policy.decision_period}
    if to is S.ADVANCE_NOTICE:
        return _proposal(case, policy, details)
    if to is S.STATEMENT_WINDOW:
        served = details.served_at
        if served is None:
            raise UserError(
                f"case {case.number}: give the time the advance notice was served (--served-at)"
            )
        if served > now:
            raise UserError(
                f"case {case.number}: the advance notice cannot be served in the future"
            )
        return {
            "advance_notice_served_at": served,
            "deadline_at": served + policy.statement_window,
        }
    if to is S.HEARING:
        return {"hearing_requested": True}
    if to is S.DECIDED:
        return _decision(case, policy, details, now)
    if to is S.REFERRED:
        if details.organ not in ORGANS:
            raise UserError(
                f"case {case.number}: name the organ it is referred to ({', '.join(ORGANS)})"
            )
        if not case.referral_flags:
            raise UserError(
                f"case {case.number} reaches no referral threshold; record its measures "
                "('jianwang cases measures') first"
            )
        return {"referral": details.organ, "closed_at": now}
    if to is S.TRANSFERRED:
        destination = (details.destination or "").strip()
        if not destination:
            raise UserError(f"case {case.number}: name the authority it is transferred to (--to)")
        return {"referral": f"transferred to {destination}", "closed_at": now}
    if to in TERMINAL:
        return {"closed_at": now}
    return {}


def _proposal(case: Case, policy: CasePolicy, details: MoveDetails) -> dict[str, object]:
    """The advance notice must propose lawful measures: a fine within the legal limit."""
    measures = parse_measures(details.measures)
    if not measures:
        raise UserError(
            f"case {case.number}: the advance notice must propose measures (--measures)"
        )
    fine = _checked_fine(case, policy, measures, details.fine)
    return {"proposed_decision": ",".join(measures), "proposed_fine": fine}


def _checked_fine(
    case: Case, policy: CasePolicy, measures: tuple[str, ...], fine: Decimal | None
) -> Decimal | None:
    if "fine" not in measures:
        if fine is not None:
            raise UserError(f"case {case.number}: a fine is given but 'fine' is not a measure")
        return None
    if fine is None:
        raise UserError(f"case {case.number}: the measures include a fine; give it (--fine)")
    fine = parse_amount(fine, what="the fine")
    if fine <= 0:
        raise UserError(f"case {case.number}: a fine must be more than 0 yuan (got {fine})")
    limit = policy.max_fine(case.business_volume)
    if fine > limit:
        raise UserError(
            f"case {case.number}: a fine of {fine} yuan is over the legal limit of {limit} yuan "
            f"(business volume {case.business_volume or 'not established'})"
        )
    return fine


def _decision(
    case: Case, policy: CasePolicy, details: MoveDetails, now: datetime
) -> dict[str, object]:
    """No decision before the statement window ends, none above the hearing threshold without a
    hearing, and none heavier than the advance notice proposed."""
    served = case.advance_notice_served_at
    if served is None:
        raise UserError(f"case {case.number}: the advance notice was never served")
    window_ends = served + policy.statement_window
    if now < window_ends:
        raise UserError(
            f"case {case.number}: the statement window runs until "
            f"{window_ends.isoformat(timespec='minutes')}; no decision before it ends"
        )
    proposed = parse_measures(case.proposed_decision)
    measures = parse_measures(details.measures) if details.measures else proposed
    heavier = [m for m in measures if m not in proposed]
    if heavier:
        raise UserError(
            f"case {case.number}: {heavier[0]} was not proposed in the advance notice; a "
            "decision may not be heavier than proposed (serve a new advance notice)"
        )
    fine = details.fine if details.fine is not None else case.proposed_fine
    if "fine" not in measures:
        fine = None
    fine = _checked_fine(case, policy, measures, fine)
    if fine is not None and case.proposed_fine is not None and fine > case.proposed_fine:
        raise UserError(
            f"case {case.number}: a fine of {fine} yuan is more than the {case.proposed_fine} "
            "proposed in the advance notice"
        )
    hearing_needed = case.hearing_requested or (
        fine is not None and fine > policy.hearing_fine_threshold
    )
    held = details.hearing_held_at or case.hearing_held_at
    if hearing_needed and case.state is not S.HEARING:
        why = (
            "the party asked for a hearing"
            if case.hearing_requested
            else f"a fine over {policy.hearing_fine_threshold} yuan needs a hearing"
        )
        raise UserError(f"case {case.number}: {why}; move it to hearing first")
    if case.state is S.HEARING and held is None:
        raise UserError(f"case {case.number}: give when the hearing was held (--hearing-held-at)")
    if held is not None and held > now:
        raise UserError(f"case {case.number}: the hearing cannot be held in the future")
    return {
        "decision": ",".join(measures),
        "fine_amount": fine,
        "decided_at": now,
        "hearing_held_at": held,
        "deadline_at": None,
    }
