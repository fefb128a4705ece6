"""REST API: screening."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["screening"])
