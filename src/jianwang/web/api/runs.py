"""REST API: monitoring runs, sweeps of one site started on request.

``POST /sites/{id}/sweeps`` answers 202 with the run at once; the sweep runs in a worker thread
of the server once the request's transaction commits (``pipeline.runs``), and ``GET
/runs/{id}`` follows it from queued through leased to done (with the sweep's counts) or failed
(with the error). Admins and officers start runs, an officer only for sites in its region; runs
are read by whoever may see their site.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query

from jianwang.catalog.actors import Action
from jianwang.catalog.scopes import require_site
from jianwang.db.models import JobState
from jianwang.pipeline import runs
from jianwang.pipeline.site_admin import get_site, visible_sites
from jianwang.web.api.common import Page, PagingDep
from jianwang.web.api.schemas_catalog import MAX_ID, Monitor, RunOut
from jianwang.web.deps import ActorDep, ServicesDep, SessionDep

router = APIRouter(tags=["runs"])

RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="Run id.")]


@router.post(
    "/sites/{site_id}/sweeps",
    response_model=RunOut,
    status_code=202,
    responses={409: {"description": "A sweep of the site is already queued or running."}},
)
def start_sweep(
    site_id: Annotated[int, Path(ge=1, le=MAX_ID, description="Site id.")],
    session: SessionDep,
    actor: Monitor,
    svc: ServicesDep,
) -> RunOut:
    """Sweep a site now: crawl, capture and match. Refused for a shut-down site and while
    another sweep of it is queued or running."""
    require_site(actor, get_site(session, site_id), Action.MONITOR)
    job = runs.queue_sweep(session, site_id=site_id, actor=actor)
    runs.after_commit(
        session,
        partial(
            runs.start_sweep,
            svc.sessions,
            job_id=job.id,
            settings=svc.settings,
            registry=svc.registry,
            limits=svc.limits,
        ),
    )
    return RunOut.of(runs.get_run(session, job.id))


@router.get("/runs", response_model=Page[RunOut])
def list_runs(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    site_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this site's.")] = None,
    state: Annotated[JobState | None, Query(description="Only runs in this state.")] = None,
) -> Page[RunOut]:
    """Monitoring runs of the sites the caller may see, newest first."""
    seen = {s.id for s in visible_sites(session, actor)}
    if site_id is not None:
        seen &= {site_id}
    views = runs.list_runs(session, site_ids=seen, state=state)
    return Page[RunOut].of([RunOut.of(v) for v in views], paging)


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(run_id: RunId, session: SessionDep, actor: ActorDep) -> RunOut:
    """One monitoring run: its state, and the sweep's counts once it is done."""
    view = runs.get_run(session, run_id)
    require_site(actor, get_site(session, view.site_id))
    return RunOut.of(view)
