"""Evidence packages to download: a case's or a detection's, sealed, signed and verifiable.

``evidence.package.export_package`` seals the ledger (a new signed head when entries were
added), so the download is a POST with the CSRF token rather than a link a page could make a
browser follow. The package is written to a private temporary folder, verified there by the
exporter itself, sent, and removed.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from jianwang.errors import UserError
from jianwang.evidence.package import export_package
from jianwang.reports.reach import detection_detail, visible_case
from jianwang.web.deps import SessionDep
from jianwang.web.pages.common import PageUser, error_page, security_headers, settings_of

log = logging.getLogger(__name__)

router = APIRouter()


def _send(folder: Path, package: Path) -> FileResponse:
    headers = security_headers("default-src 'none'; sandbox")
    return FileResponse(
        package,
        media_type="application/zip",
        filename=package.name,
        headers=headers,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.post("/evidence/cases/{case_id}")
def case_package(request: Request, session: SessionDep, who: PageUser, case_id: int) -> Response:
    """The evidence package of a case the reader may take evidence of."""
    folder = Path(tempfile.mkdtemp(prefix="jianwang-evidence-"))
    try:
        case = visible_case(session, who.actor, case_id)
        package = folder / f"{case.number}.zip"
        export_package(session, settings_of(request), case_id=case.id, out=package, actor=who.actor)
    except UserError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        session.rollback()
        return error_page(request, who, exc)
    session.commit()  # the signed head the package rests on stays in the ledger
    log.info("evidence package of case %s taken by %s", case.number, who.user.username)
    return _send(folder, package)


@router.post("/evidence/detections/{detection_id}")
def detection_package(
    request: Request, session: SessionDep, who: PageUser, detection_id: int
) -> Response:
    """The evidence package of one detection."""
    folder = Path(tempfile.mkdtemp(prefix="jianwang-evidence-"))
    try:
        detection_detail(session, who.actor, detection_id)  # in the reader's scope
        package = folder / f"detection-{detection_id}.zip"
        export_package(
            session,
            settings_of(request),
            detection_id=detection_id,
            out=package,
            actor=who.actor,
        )
    except UserError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        session.rollback()
        return error_page(request, who, exc)
    session.commit()
    log.info("evidence package of detection %d taken by %s", detection_id, who.user.username)
    return _send(folder, package)
