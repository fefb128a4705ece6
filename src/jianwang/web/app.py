"""The app factory: one FastAPI application for the REST API (``/api/v1``, schema at
``/api/openapi.json``) and the dashboard, with every static asset served from the package."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from jianwang import __version__
from jianwang.config import Settings
from jianwang.db import create_db_engine, ensure_schema, session_factory
from jianwang.signals.registry import default_registry
from jianwang.web import errors
from jianwang.web.api import router as api_router
from jianwang.web.pages import router as pages_router
from jianwang.web.services import WebServices

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    """Build the application on ``settings``' database (its schema upgraded first)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.db_url)
    ensure_schema(engine)
    services = WebServices(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        registry=default_registry(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="Jianwang",
        version=__version__,
        summary="Find unlicensed copies of protected works and carry each finding through to "
        "enforcement.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    errors.install(app)
    app.include_router(api_router.router, prefix="/api/v1")
    app.include_router(pages_router.router)
    app.mount("/static", StaticFiles(packages=[("jianwang.web", "static")]), name="static")
    return app
