"""REST API: the registry of monitored sites.

Officers see and manage the sites of their authority's region, platforms see only their own
site, admins everything (``catalog.scopes.may_see_site``). Admins and officers register sites
and change how they are swept (schedule, rate, concurrency) or pause and resume them; shutting a
site down is left to a case decision.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from jianwang.catalog.actors import Action
from jianwang.catalog.people import normalise_region
from jianwang.catalog.scopes import require_region, require_site
from jianwang.db.models import Role, SiteKind, SiteStatus
from jianwang.monitoring import sites as registry
from jianwang.pipeline.site_admin import get_site, site_view, update_site_settings, visible_sites
from jianwang.web.api.common import Page, PagingDep
from jianwang.web.api.schemas_catalog import MAX_ID, Cataloguer, Region, SiteIn, SiteOut, SitePatch
from jianwang.web.deps import ActorDep, SessionDep

router = APIRouter(tags=["sites"])

SiteId = Annotated[int, Path(ge=1, le=MAX_ID, description="Site id.")]


def _within(region: str | None, prefix: str) -> bool:
    if region is None:
        return False
    mine, wanted = region.upper(), prefix.upper()
    return wanted in {"*", mine} or mine.startswith(wanted + "-")


@router.get("/sites", response_model=Page[SiteOut])
def list_sites(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    kind: Annotated[SiteKind | None, Query(description="Only sites of this kind.")] = None,
    status: Annotated[SiteStatus | None, Query(description="Only sites in this state.")] = None,
    region: Annotated[Region | None, Query(description="Only sites within this region.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of name or domain.")] = None,
) -> Page[SiteOut]:
    """The sites the caller may see, oldest first."""
    sites = visible_sites(session, actor)
    if kind is not None:
        sites = [s for s in sites if s.kind is kind]
    if status is not None:
        sites = [s for s in sites if s.status is status]
    if region is not None:
        sites = [s for s in sites if _within(s.region, region)]
    if q:
        needle = q.casefold()
        sites = [
            s
            for s in sites
            if needle in s.name.casefold() or any(needle in d.casefold() for d in s.domains)
        ]
    return Page[SiteOut].of([SiteOut.of(site_view(s)) for s in sites], paging)


@router.get("/sites/{site_id}", response_model=SiteOut)
def get_one(site_id: SiteId, session: SessionDep, actor: ActorDep) -> SiteOut:
    """One site: status, schedule, when it was last swept and is next due, how it is crawled."""
    site = get_site(session, site_id)
    require_site(actor, site)
    return SiteOut.of(site_view(site))


@router.post("/sites", response_model=SiteOut, status_code=201)
def create_site(body: SiteIn, session: SessionDep, actor: Cataloguer) -> SiteOut:
    """Register a site to monitor; its allowed domains include its seeds' hosts. An officer's
    site lies in its region (by default the officer's own)."""
    region = normalise_region(body.region) if body.region else None
    if region is None and actor.role is Role.OFFICER:
        region = actor.region
    require_region(actor, region, Action.CATALOG, what=f"site {body.name!r}")
    site = registry.add_site(
        session,
        name=body.name,
        kind=body.kind,
        seeds=body.seeds,
        domains=body.domains,
        operator=body.operator,
        icp_number=body.icp_number,
        region=region,
        max_pages=body.max_pages,
        max_depth=body.max_depth,
        respect_robots=body.respect_robots,
        schedule=body.schedule,
        rate_per_s=body.rate_per_s,
        browser=body.browser,
        concurrency=body.concurrency,
        cookies=body.cookies,
        headers=body.headers,
    )
    return SiteOut.of(site_view(site))


@router.patch("/sites/{site_id}", response_model=SiteOut)
def patch_site(site_id: SiteId, body: SitePatch, session: SessionDep, actor: Cataloguer) -> SiteOut:
    """Change a site's schedule, request rate or concurrency, or pause or resume it; a field
    left out stays as it is, ``null`` clears the schedule or the rate."""
    site = get_site(session, site_id)
    require_site(actor, site, Action.CATALOG)
    update_site_settings(
        session,
        site,
        changes=set(body.model_fields_set),
        schedule=body.schedule,
        rate_per_s=body.rate_per_s,
        concurrency=body.concurrency,
        status=body.status,
    )
    return SiteOut.of(site_view(site))
