"""What an actor may read of the findings: detections, their evidence files, allow rules.

Acting rights (``require_rights``) say who may change a finding; the functions here say who may
look at one, as SQL conditions where lists are queried, so the API never loads everything and
filters in the route. Reading follows the same scopes, with one addition: a viewer reads (never
changes) within its authority's region, and everywhere when it has no authority (an auditor of
the whole installation).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, ColumnExpressionArgument, false, func, or_, select, true
from sqlalchemy.orm import Session, contains_eager

from jianwang.catalog.actors import Actor
from jianwang.db.models import (
    AllowRule,
    Artefact,
    Capture,
    Detection,
    DetectionStatus,
    Role,
    Site,
    Work,
)
from jianwang.detections.review import AllowRuleRow, allow_rule_row
from jianwang.errors import NotFoundError, PermissionDenied


def reads_everywhere(actor: Actor) -> bool:
    """Whether ``actor`` reads findings in every region (admins, the system, a national scope,
    a viewer without an authority)."""
    if actor.is_system or actor.role is Role.ADMIN:
        return True
    if actor.role is Role.VIEWER and actor.authority_id is None:
        return True
    return actor.region is not None and actor.region.strip().upper() in {"*", "CN"}


def may_read_region(actor: Actor, region: str | None) -> bool:
    """Whether ``actor`` may read what was found on a site in ``region`` (see
    :func:`region_condition`; the two agree)."""
    if reads_everywhere(actor):
        return True
    return actor.role in (Role.OFFICER, Role.VIEWER) and actor.covers_region(region)


def region_condition(
    actor: Actor, region: ColumnExpressionArgument[str | None]
) -> ColumnElement[bool]:
    """The SQL condition that ``region`` (a site's or a case's region column) lies within what
    ``actor`` reads: nested region codes, compared case-insensitively as ``covers_region``
    does; a target without a region only for a national scope."""
    if reads_everywhere(actor):
        return true()
    if actor.role not in (Role.OFFICER, Role.VIEWER) or actor.region is None:
        return false()
    mine = actor.region.strip().upper()
    theirs = func.upper(region)
    return or_(theirs == mine, theirs.startswith(f"{mine}-", autoescape=True))


def require_reader(actor: Actor, what: str) -> None:
    """Refuse platforms (and any role without a reading scope): they read only the notices
    addressed to their own site."""
    if actor.is_system or actor.role in (
        Role.ADMIN,
        Role.OFFICER,
        Role.RIGHTS_HOLDER,
        Role.VIEWER,
    ):
        return
    role = actor.role.value if actor.role else "system"
    raise PermissionDenied(f"{actor.name} ({role}) may not read {what}")


def _holder_condition(actor: Actor) -> ColumnElement[bool]:
    """A rights holder reads its own works only (none at all when it names no holder)."""
    if actor.rights_holder_id is None:
        return false()
    return Work.rights_holder_id == actor.rights_holder_id


def visible_detections(
    session: Session,
    *,
    actor: Actor,
    status: DetectionStatus | None = None,
    site_id: int | None = None,
    work_id: int | None = None,
) -> list[Detection]:
    """Detections ``actor`` may read, newest first, optionally of one status, site or work:
    a rights holder its own works, an officer (or a viewer with an authority) the sites in its
    region, an admin everything. Capture, site and work come loaded with each."""
    require_reader(actor, "detections")
    query = (
        select(Detection)
        .join(Capture, Detection.capture_id == Capture.id)
        .join(Site, Capture.site_id == Site.id)
        .join(Work, Detection.work_id == Work.id)
        .options(
            contains_eager(Detection.capture).contains_eager(Capture.site),
            contains_eager(Detection.work),
        )
        .order_by(Detection.id.desc())
    )
    if status is not None:
        query = query.where(Detection.status == status)
    if site_id is not None:
        query = query.where(Site.id == site_id)
    if work_id is not None:
        query = query.where(Work.id == work_id)
    if actor.role is Role.RIGHTS_HOLDER:
        query = query.where(_holder_condition(actor))
    else:
        query = query.where(region_condition(actor, Site.region))
    return list(session.scalars(query).unique())


def readable_detection(session: Session, *, actor: Actor, detection_id: int) -> Detection:
    """The detection ``detection_id`` if ``actor`` may read it: ``NotFoundError`` when there is
    none, ``PermissionDenied`` when it lies outside the actor's scope."""
    require_reader(actor, f"detection {detection_id}")
    detection = session.get(Detection, detection_id)
    if detection is None:
        raise NotFoundError(f"no detection with id {detection_id}")
    if actor.role is Role.RIGHTS_HOLDER:
        if actor.rights_holder_id is None or (
            detection.work.rights_holder_id != actor.rights_holder_id
        ):
            raise PermissionDenied(
                f"{actor.name} may not read detection {detection_id}: "
                f"work {detection.work.title!r} belongs to another rights holder"
            )
        return detection
    site = detection.capture.site
    if not may_read_region(actor, site.region):
        raise PermissionDenied(
            f"{actor.name} may not read detection {detection_id}: its site {site.name!r} "
            f"({site.region or 'no region'}) is outside {actor.region or 'any region of theirs'}"
        )
    return detection


def detection_artefacts(session: Session, *, detection: Detection) -> list[Artefact]:
    """The evidence files that bear on ``detection``: its capture's own (page, HTTP exchange,
    screenshot) and those made for it, not those made for another detection of the capture."""
    query = (
        select(Artefact)
        .where(
            Artefact.capture_id == detection.capture_id,
            Artefact.detection_id.is_(None) | (Artefact.detection_id == detection.id),
        )
        .order_by(Artefact.id)
    )
    return list(session.scalars(query))


def detection_artefact(session: Session, *, detection: Detection, artefact_id: int) -> Artefact:
    """One of :func:`detection_artefacts`; ``NotFoundError`` for any other id, so an artefact is
    reached only through a detection the reader may see."""
    artefact = session.get(Artefact, artefact_id)
    if (
        artefact is None
        or artefact.capture_id != detection.capture_id
        or artefact.detection_id not in (None, detection.id)
    ):
        raise NotFoundError(f"detection {detection.id} has no artefact {artefact_id}")
    return artefact


def visible_allow_rules(session: Session, *, actor: Actor) -> list[AllowRuleRow]:
    """The allow rules ``actor`` may read, oldest first: a rights holder those on its works and
    those naming no work (they set its works aside too); an officer those on sites in its region
    and those naming no site; an admin every one."""
    require_reader(actor, "allow rules")
    query = select(AllowRule).order_by(AllowRule.id)
    if actor.role is Role.RIGHTS_HOLDER:
        own = select(Work.id).where(_holder_condition(actor))
        query = query.where(AllowRule.work_id.is_(None) | AllowRule.work_id.in_(own))
    elif not reads_everywhere(actor):
        inside = select(Site.id).where(region_condition(actor, Site.region))
        query = query.where(AllowRule.site_id.is_(None) | AllowRule.site_id.in_(inside))
    return [allow_rule_row(session, rule) for rule in session.scalars(query)]
