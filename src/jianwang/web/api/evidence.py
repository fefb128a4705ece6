"""REST API: evidence."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["evidence"])
