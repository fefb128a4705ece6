"""The API's router: every resource router under one prefix."""

from __future__ import annotations

from fastapi import APIRouter

from jianwang.web.api import (
    auth,
    batches,
    cases,
    detections,
    evidence,
    licences,
    notices,
    reports,
    runs,
    screening,
    sites,
    users,
    works,
)

router = APIRouter()
for module in (
    auth,
    works,
    licences,
    batches,
    sites,
    runs,
    screening,
    detections,
    notices,
    cases,
    reports,
    evidence,
    users,
):
    router.include_router(module.router)
