"""REST API: the protection list's works, their reference media and aliases.

Every signed-in user may read the protection list (platforms must know what to block). Admins
and officers register works for any rights holder; a rights holder's user registers works, adds
references and sets aliases only for its own rights holder.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from jianwang.catalog import service
from jianwang.catalog.actors import Action
from jianwang.catalog.index_versions import publish
from jianwang.catalog.registration import (
    NamedFile,
    add_references,
    rights_holder_name,
    work_view,
)
from jianwang.catalog.scopes import require_work
from jianwang.db.models import Role, WorkKind
from jianwang.errors import PermissionDenied
from jianwang.web.api.common import Page, PagingDep
from jianwang.web.api.schemas_catalog import (
    MAX_ID,
    AliasesIn,
    Registrar,
    WorkIn,
    WorkOut,
    WorkSummary,
)
from jianwang.web.api.uploads import UPLOAD_BODY, UPLOAD_RESPONSES, UploadDep
from jianwang.web.deps import ActorDep, ServicesDep, SessionDep

router = APIRouter(tags=["works"])

WorkId = Annotated[int, Path(ge=1, le=MAX_ID, description="Work id.")]


@router.get("/works", response_model=Page[WorkSummary])
def list_works(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    kind: Annotated[WorkKind | None, Query(description="Only works of this kind.")] = None,
    q: Annotated[
        str | None, Query(max_length=300, description="Part of the title or an alias.")
    ] = None,
    rights_holder: Annotated[
        str | None, Query(max_length=200, description="Only this rights holder's works.")
    ] = None,
    batch: Annotated[
        str | None, Query(max_length=200, description="Only works on this batch.")
    ] = None,
) -> Page[WorkSummary]:
    """The protection list, oldest first."""
    rows = service.list_works(session)
    if kind is not None:
        rows = [r for r in rows if r.kind == kind.value]
    if q:
        needle = q.casefold()
        rows = [
            r
            for r in rows
            if needle in r.title.casefold() or any(needle in a.casefold() for a in r.aliases)
        ]
    if rights_holder is not None:
        rows = [r for r in rows if r.rights_holder == rights_holder]
    if batch is not None:
        rows = [r for r in rows if r.batch == batch]
    return Page[WorkSummary].of([WorkSummary.of(r) for r in rows], paging)


@router.get("/works/{work_id}", response_model=WorkOut)
def get_work(work_id: WorkId, session: SessionDep, actor: ActorDep) -> WorkOut:
    """One work with its reference assets."""
    return WorkOut.of(work_view(session, work_id))


@router.post("/works", response_model=WorkOut, status_code=201)
def create_work(body: WorkIn, session: SessionDep, actor: Registrar, svc: ServicesDep) -> WorkOut:
    """Register a work by its title and aliases; upload its references afterwards
    (``POST /works/{id}/references``). Until then pages naming it with distribution cues are
    its title matches."""
    if actor.role is Role.RIGHTS_HOLDER:
        own = rights_holder_name(session, actor.rights_holder_id or 0)
        if body.rights_holder.strip() != own:
            raise PermissionDenied(
                f"{actor.name} registers works only for its own rights holder {own!r}"
            )
        if body.batch is not None:
            raise PermissionDenied(
                f"{actor.name} may not put works on a protection-list batch: an authority does"
            )
    indexes = svc.indexes(session)
    work = service.add_work(
        session,
        title=body.title,
        kind=body.kind,
        rights_holder=body.rights_holder,
        references=[],
        aliases=body.aliases,
        indexes=indexes,
        store=svc.store,
        registry=svc.registry,
        limits=svc.limits,
        proof_of_rights=body.proof,
        protected_until=body.protected_until,
        batch=body.batch,
        holder_contact=body.contact,
        holder_address=body.address,
    )
    return WorkOut.of(work_view(session, work.id))


@router.post(
    "/works/{work_id}/references",
    response_model=WorkOut,
    status_code=201,
    openapi_extra=UPLOAD_BODY,
    responses=UPLOAD_RESPONSES,
)
def add_reference(
    work_id: WorkId,
    session: SessionDep,
    actor: Registrar,
    svc: ServicesDep,
    upload: UploadDep,
) -> WorkOut:
    """Upload one reference file (media or text) of a work and fingerprint it, so copies of
    it are recognised; the work with its references is returned."""
    work = service.find_work(session, work_id)
    require_work(actor, work, Action.REGISTER)
    indexes = svc.indexes(session)
    with upload.named_errors():
        add_references(
            session,
            work=work,
            files=[NamedFile(path=upload.path, name=upload.filename)],
            indexes=indexes,
            store=svc.store,
            registry=svc.registry,
            limits=svc.limits,
        )
    # Committed first, so the published version never names assets the database lacks.
    session.commit()
    publish(indexes)
    return WorkOut.of(work_view(session, work.id))


@router.put("/works/{work_id}/aliases", response_model=WorkOut)
def put_aliases(work_id: WorkId, body: AliasesIn, session: SessionDep, actor: Registrar) -> WorkOut:
    """Replace a work's aliases (other titles, translations, abbreviations used in listings)."""
    require_work(actor, service.find_work(session, work_id), Action.REGISTER)
    service.set_aliases(session, work=work_id, aliases=body.aliases)
    return WorkOut.of(work_view(session, work_id))
