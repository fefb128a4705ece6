"""The dashboard's router: one module per area, none of them in the API's schema."""

from __future__ import annotations

from fastapi import APIRouter

from jianwang.web.pages import (
    auth,
    cases,
    dashboard,
    evidence,
    notices,
    reports,
    review,
    sites,
    works,
)

router = APIRouter(include_in_schema=False)
for module in (auth, dashboard, works, sites, review, cases, notices, reports, evidence):
    router.include_router(module.router)
