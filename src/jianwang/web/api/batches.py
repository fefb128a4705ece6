"""REST API: protection-list batches, and publishing one with warning notices to platforms.

Every signed-in user reads the batches; admins and officers create them and publish them.
Publishing sends each registered platform a warning notice listing the works (those it holds a
licence for marked so), recorded in the evidence ledger.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from jianwang.catalog import service
from jianwang.catalog.registration import batch_view, batch_views, find_batch
from jianwang.enforcement.warnings import publish_batch
from jianwang.web.api.common import Page, PagingDep
from jianwang.web.api.schemas_catalog import (
    MAX_ID,
    BatchIn,
    BatchOut,
    Cataloguer,
    Publisher,
    PublishOut,
    WarningOut,
)
from jianwang.web.deps import ActorDep, SessionDep

router = APIRouter(tags=["batches"])


@router.get("/batches", response_model=Page[BatchOut])
def list_batches(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
    work_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only batches with this work.")
    ] = None,
) -> Page[BatchOut]:
    """Protection-list batches, oldest first."""
    views = batch_views(session)
    if q:
        views = [v for v in views if q.casefold() in v.name.casefold()]
    if work_id is not None:
        views = [v for v in views if work_id in v.work_ids]
    return Page[BatchOut].of([BatchOut.of(v) for v in views], paging)


@router.post("/batches", response_model=BatchOut, status_code=201)
def create_batch(body: BatchIn, session: SessionDep, actor: Cataloguer) -> BatchOut:
    """Create a protection-list batch and put works on it (a work is on one batch at a time)."""
    batch = service.add_batch(session, name=body.name, works=body.works, note=body.note)
    return BatchOut.of(batch_view(session, batch))


@router.post("/batches/{batch}/publish", response_model=PublishOut, status_code=201)
def publish(
    batch: Annotated[str, Path(min_length=1, max_length=200, description="Batch name or id.")],
    session: SessionDep,
    actor: Publisher,
) -> PublishOut:
    """Publish a batch: a warning notice, sent now, to every registered platform (once)."""
    row = find_batch(session, batch)
    notices = publish_batch(session, batch=row, actor=actor)
    return PublishOut(
        batch=row.name,
        notices=[
            WarningOut(
                id=n.id,
                platform=n.site.name if n.site else n.recipient,
                licensed=[w["title"] for w in n.content["works"] if w["licensed"]],
            )
            for n in notices
        ],
    )
