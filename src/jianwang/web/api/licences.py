"""REST API: licences, which let a site carry a work in a territory for a period.

Admins and officers record licences (an officer for sites in its region). Readers see the
licences of their scope: a platform those of its own site, a rights holder those of its works,
an officer those of the sites in its region; admins and viewers all of them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from jianwang.catalog import service
from jianwang.catalog.actors import Action
from jianwang.catalog.people import normalise_region
from jianwang.catalog.registration import (
    LicenceView,
    licence_site,
    licence_view,
    licence_views,
    work_ids_of,
)
from jianwang.catalog.scopes import require_site
from jianwang.db.models import Role
from jianwang.pipeline.site_admin import visible_sites
from jianwang.web.api.common import Page, PagingDep
from jianwang.web.api.schemas_catalog import MAX_ID, Cataloguer, LicenceIn, LicenceOut
from jianwang.web.deps import ActorDep, SessionDep

router = APIRouter(tags=["licences"])


def _in_force(view: LicenceView, day: date) -> bool:
    return view.starts_on <= day and (view.ends_on is None or view.ends_on >= day)


@router.get("/licences", response_model=Page[LicenceOut])
def list_licences(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    work_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this work's.")] = None,
    site_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this site's.")] = None,
    active_on: Annotated[
        date | None, Query(description="Only licences in force on this day.")
    ] = None,
) -> Page[LicenceOut]:
    """Licences within the caller's scope, oldest first."""
    views = licence_views(session)
    if actor.role is Role.RIGHTS_HOLDER:
        own = work_ids_of(session, holder_id=actor.rights_holder_id)
        views = [v for v in views if v.work_id in own]
    elif actor.role in (Role.PLATFORM, Role.OFFICER):
        seen = {s.id for s in visible_sites(session, actor)}
        views = [v for v in views if v.site_id in seen]
    if work_id is not None:
        views = [v for v in views if v.work_id == work_id]
    if site_id is not None:
        views = [v for v in views if v.site_id == site_id]
    if active_on is not None:
        views = [v for v in views if _in_force(v, active_on)]
    return Page[LicenceOut].of([LicenceOut.of(v) for v in views], paging)


@router.post("/licences", response_model=LicenceOut, status_code=201)
def create_licence(body: LicenceIn, session: SessionDep, actor: Cataloguer) -> LicenceOut:
    """Record that a site may carry a work there and then; a match on it is then LICENSED."""
    site = service.find_site(session, body.site)
    require_site(actor, site, Action.CATALOG)
    licence = service.add_licence(
        session,
        work=body.work,
        site=site.id,
        starts_on=body.starts_on or date.today(),
        ends_on=body.ends_on,
        territory=normalise_region(body.territory),
        note=body.note,
    )
    return LicenceOut.of(licence_view(licence, licence_site(session, licence)))
