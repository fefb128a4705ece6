"""REST API: evidence packages, the ledger's public key, and sealing.

A package is built by ``evidence.package.export_package`` (which seals the ledger, checks the
package with the offline verifier, and writes it whole or not at all) in a private temporary
folder, streamed back as a .zip, and the folder removed once the answer is sent: nothing of a
package stays on the server.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, model_validator
from starlette.background import BackgroundTask

from jianwang.catalog.actors import Action, Actor
from jianwang.evidence.package import export_package
from jianwang.evidence.signing import public_key_info, seal
from jianwang.web.api.schemas_enforcement import (
    Body,
    BodyId,
    EvidenceExporter,
    Reader,
    acting,
    role_gate,
)
from jianwang.web.deps import ServicesDep, SessionDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["evidence"])

Sealer = Annotated[Actor, Depends(role_gate(acting(Action.CASE), "seal the ledger"))]


class PackageRequest(Body):
    case_id: BodyId | None = Field(default=None, description="Export this case's evidence.")
    detection_id: BodyId | None = Field(default=None, description="Export this detection's.")
    include_media: bool = Field(
        default=False, description="Include the captured media itself (can be large)."
    )

    @model_validator(mode="after")
    def _one_subject(self) -> PackageRequest:
        if (self.case_id is None) == (self.detection_id is None):
            raise ValueError("give exactly one of case_id or detection_id")
        return self


class PublicKeyOut(BaseModel):
    key_id: str = Field(description="sha256 of the raw Ed25519 key, hex; pin it when verifying.")
    public_key_pem: str


class HeadOut(BaseModel):
    id: int
    tree_size: int
    root_hash: str
    signed_at: datetime
    key_id: str
    signature: str


@router.post(
    "/evidence/packages",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "The package (.zip)."}},
)
def create_package(
    body: PackageRequest, session: SessionDep, svc: ServicesDep, actor: EvidenceExporter
) -> FileResponse:
    """Seal the ledger and export one case's or one detection's evidence package as a .zip that
    ``jianwang evidence verify`` checks offline."""
    subject = f"case-{body.case_id}" if body.case_id is not None else f"det-{body.detection_id}"
    folder = Path(tempfile.mkdtemp(prefix="jw-package-"))
    out = folder / f"evidence-{subject}.zip"
    try:
        result = export_package(
            session,
            svc.settings,
            case_id=body.case_id,
            detection_id=body.detection_id,
            out=out,
            actor=actor,
            include_media=body.include_media,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    log.info("evidence package of %s exported for %s", result.subject, actor.name)
    return FileResponse(
        out,
        media_type="application/zip",
        filename=out.name,
        headers={"X-Ledger-Root": result.root_hash, "X-Ledger-Key-Id": result.key_id},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.get("/evidence/key", response_model=PublicKeyOut)
def get_public_key(svc: ServicesDep, actor: Reader) -> PublicKeyOut:
    """The ledger's public signing key and its id, for publication and for pinning."""
    info = public_key_info(svc.settings)
    return PublicKeyOut(key_id=info.key_id, public_key_pem=info.pem)


@router.post("/evidence/seal", response_model=HeadOut)
def seal_ledger(session: SessionDep, svc: ServicesDep, actor: Sealer) -> HeadOut:
    """Sign a head over every ledger entry so far (or return the latest when nothing changed)."""
    head = seal(session, svc.settings)
    return HeadOut(
        id=head.id,
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        signed_at=head.signed_at,
        key_id=head.key_id,
        signature=head.signature,
    )
