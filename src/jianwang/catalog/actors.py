"""Who acts, and what each role may do within its scope.

Every enforcement step names its actor: a registered user, or the system itself for automatic
steps (auto-confirmation above the review band, staydown follow-up). A user's role decides the
actions open to it, and its scope narrows them: an officer acts within its authority's region, a
rights holder on its own works, a platform on its own site. A refusal raises
``PermissionDenied`` before anything changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.db.models import Authority, Detection, Role, User
from jianwang.errors import NotFoundError, PermissionDenied


class Action(StrEnum):
    """The enforcement actions that need a right."""

    REVIEW = "review"  # confirm or reject detections; add allow rules
    NOTICE = "notice"  # draft, send and follow up takedown notices
    PUBLISH = "publish"  # publish a protection-list batch with its warning notices
    CASE = "case"  # open cases and move them through their states
    EVIDENCE = "evidence"  # export evidence packages
    REPORT = "report"  # campaign reports
    CATALOG = "catalog"  # manage licences, protection-list batches and the site registry
    REGISTER = "register"  # register works, their reference media and aliases
    MONITOR = "monitor"  # start monitoring runs (sweeps) of sites
    SCREEN = "screen"  # screen uploads against the protection list before publication


RIGHTS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.OFFICER: frozenset(Action),
    Role.RIGHTS_HOLDER: frozenset(
        {Action.REVIEW, Action.NOTICE, Action.EVIDENCE, Action.REGISTER}
    ),  # REGISTER: its own works only
    Role.PLATFORM: frozenset({Action.SCREEN}),  # its own uploads
    Role.VIEWER: frozenset({Action.REPORT}),
}


@dataclass(frozen=True)
class Actor:
    """The one on whose behalf a step is taken, with the scope the checks need."""

    name: str
    role: Role | None  # None: the system itself
    authority_id: int | None = None
    region: str | None = None  # the authority's region code, e.g. CN or CN-44
    rights_holder_id: int | None = None
    site_id: int | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The system acting on its own rules (logged under ``name``)."""
        return cls(name=name, role=None)

    @property
    def is_system(self) -> bool:
        return self.role is None

    def may(self, action: Action) -> bool:
        """Whether the role allows ``action`` at all (scope is checked separately)."""
        return self.is_system or action in RIGHTS[self.role or Role.VIEWER]

    def require(self, action: Action, *, what: str) -> None:
        """Refuse unless the role allows ``action``; ``what`` names the target in the message."""
        if not self.may(action):
            role = self.role.value if self.role else "system"
            raise PermissionDenied(f"{self.name} ({role}) may not {action.value} {what}")

    def covers_region(self, region: str | None) -> bool:
        """Whether the actor's region contains ``region`` (CN covers CN-44 and CN-44-03).

        Admins and the system cover everything; an officer without an authority covers
        nothing; a target without a region is covered only by a national scope (CN or *)."""
        if self.is_system or self.role is Role.ADMIN:
            return True
        if self.region is None:
            return False
        mine = self.region.strip().upper()
        if mine in {"*", "CN"}:
            return True
        if region is None:
            return False
        theirs = region.strip().upper()
        return theirs == mine or theirs.startswith(mine + "-")


def actor_for(session: Session, username: str) -> Actor:
    """The registered user ``username`` as an actor; ``NotFoundError`` if there is none."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r} (add one with 'jianwang users add')")
    region = None
    if user.authority_id is not None:
        authority = session.get(Authority, user.authority_id)
        region = authority.region if authority is not None else None
    return Actor(
        name=user.username,
        role=user.role,
        authority_id=user.authority_id,
        region=region,
        rights_holder_id=user.rights_holder_id,
        site_id=user.site_id,
    )


def require_rights(actor: Actor, action: Action, detections: Sequence[Detection]) -> None:
    """Refuse (``PermissionDenied``) unless ``actor`` may take ``action`` on every detection: a
    rights holder only on its own works, an officer only on sites in its region.

    Checked for all of them before any is touched, so a refusal changes nothing."""
    for detection in detections:
        what = f"detection {detection.id}"
        actor.require(action, what=what)
        if actor.role is Role.RIGHTS_HOLDER and (
            actor.rights_holder_id is None
            or detection.work.rights_holder_id != actor.rights_holder_id
        ):
            raise PermissionDenied(
                f"{actor.name} may not {action.value} {what}: "
                f"work {detection.work.title!r} belongs to another rights holder"
            )
        if actor.role is Role.OFFICER:
            region = detection.capture.site.region
            if not actor.covers_region(region):
                raise PermissionDenied(
                    f"{actor.name} may not {action.value} {what}: its site "
                    f"{detection.capture.site.name!r} ({region or 'no region'}) is outside "
                    f"the region of {actor.name}'s authority ({actor.region or 'none'})"
                )
