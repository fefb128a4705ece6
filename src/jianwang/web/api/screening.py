"""REST API: the platform screening API, so a platform can block an upload of a protected work
before publishing it (the duty a protection-list warning names).

``POST /screen`` takes the file itself (streamed to disk under the media size limit and decoded
under the decode limits), ``POST /screen/url`` a URL fetched through the SSRF-guarded fetcher.
Nothing is recorded: screening is a question, not a capture. Platforms, officers and admins may
screen; for a platform each match also says whether it holds a licence for the work.
"""

from __future__ import annotations

from fastapi import APIRouter

from jianwang.catalog.actors import Actor
from jianwang.db.models import Role, Site
from jianwang.pipeline.screening import screen_file, screen_url
from jianwang.pipeline.site_admin import get_site
from jianwang.web.api.schemas_catalog import Screener, ScreenOut, ScreenUrlIn
from jianwang.web.api.uploads import UPLOAD_BODY, UPLOAD_RESPONSES, UploadDep
from jianwang.web.deps import ServicesDep, SessionDep

router = APIRouter(tags=["screening"])


def _platform(session: SessionDep, actor: Actor) -> Site | None:
    """The caller's own site when it is a platform (its licences count), else ``None``."""
    if actor.role is Role.PLATFORM and actor.site_id is not None:
        return get_site(session, actor.site_id)
    return None


@router.post(
    "/screen",
    response_model=ScreenOut,
    openapi_extra=UPLOAD_BODY,
    responses=UPLOAD_RESPONSES,
)
def screen_upload(
    session: SessionDep, actor: Screener, svc: ServicesDep, upload: UploadDep
) -> ScreenOut:
    """Which protected works an uploaded file copies, best match first (an empty list when
    none); ``block`` is true for a confident match of a work the caller holds no licence for."""
    with upload.named_errors():
        found = screen_file(
            upload.path,
            session=session,
            indexes=svc.indexes(session),
            registry=svc.registry,
            limits=svc.limits,
            settings=svc.settings,
            platform=_platform(session, actor),
        )
    return ScreenOut.of(found)


@router.post(
    "/screen/url",
    response_model=ScreenOut,
    responses={422: {"description": "The URL could not be fetched or holds nothing readable."}},
)
def screen_address(
    body: ScreenUrlIn, session: SessionDep, actor: Screener, svc: ServicesDep
) -> ScreenOut:
    """Which protected works the media or page at a URL copies (fetched through the guarded
    fetcher: private and loopback addresses are refused unless the installation allows them)."""
    return ScreenOut.of(
        screen_url(
            body.url,
            session=session,
            indexes=svc.indexes(session),
            registry=svc.registry,
            limits=svc.limits,
            settings=svc.settings,
            platform=_platform(session, actor),
        )
    )
