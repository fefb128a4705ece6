"""REST API: batches."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["batches"])
