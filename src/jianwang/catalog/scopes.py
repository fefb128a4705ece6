"""What each actor may see and change in the catalog and the site registry.

The role decides the actions (``actors.RIGHTS``); these checks narrow them to the actor's scope
for the records the API and the dashboard show: an officer sees and acts on sites within its
authority's region, a platform only on its own site, a rights holder on its own works. Reading
the protection list itself is open to every signed-in user: platforms must know what to block.
A refusal raises ``PermissionDenied`` before anything changes.
"""

from __future__ import annotations

from jianwang.catalog.actors import Action, Actor
from jianwang.db.models import Role, Site, Work
from jianwang.errors import PermissionDenied


def may_see_site(actor: Actor, site: Site) -> bool:
    """Whether ``actor`` may read ``site``'s registry entry and its monitoring runs.

    Officers see their region's sites and platforms their own; a viewer tied to an authority
    sees that authority's region, any other viewer and rights holders see the whole registry
    (read-only), so they can follow where their works are watched."""
    if actor.is_system or actor.role is Role.ADMIN:
        return True
    if actor.role is Role.PLATFORM:
        return actor.site_id is not None and site.id == actor.site_id
    if actor.role is Role.OFFICER:
        return actor.covers_region(site.region)
    if actor.role is Role.VIEWER and actor.authority_id is not None:
        return actor.covers_region(site.region)
    return True


def require_site(actor: Actor, site: Site, action: Action | None = None) -> None:
    """Refuse unless ``actor`` may see ``site`` and, when ``action`` is given, take it there
    (an officer only within its region; a platform only on its own site)."""
    what = f"site {site.name!r}"
    if action is not None:
        actor.require(action, what=what)
        if actor.role is Role.OFFICER and not actor.covers_region(site.region):
            raise PermissionDenied(
                f"{actor.name} may not {action.value} {what}: its region "
                f"({site.region or 'none'}) is outside {actor.name}'s ({actor.region or 'none'})"
            )
    if not may_see_site(actor, site):
        raise PermissionDenied(f"{actor.name} may not see {what}: outside its scope")


def require_region(actor: Actor, region: str | None, action: Action, *, what: str) -> None:
    """Refuse unless ``actor`` may take ``action`` on a record in ``region`` (a new site, say):
    an officer only inside its authority's region."""
    actor.require(action, what=what)
    if actor.role is Role.OFFICER and not actor.covers_region(region):
        raise PermissionDenied(
            f"{actor.name} may not {action.value} {what}: region {region or 'none'} is outside "
            f"{actor.name}'s ({actor.region or 'none'})"
        )


def require_work(actor: Actor, work: Work, action: Action) -> None:
    """Refuse unless ``actor`` may take ``action`` on ``work``: a rights holder only on its own."""
    what = f"work {work.title!r}"
    actor.require(action, what=what)
    if actor.role is Role.RIGHTS_HOLDER and (
        actor.rights_holder_id is None or work.rights_holder_id != actor.rights_holder_id
    ):
        raise PermissionDenied(
            f"{actor.name} may not {action.value} {what}: it belongs to another rights holder"
        )
