"""``jianwang serve``: the dashboard and the REST API on one port."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from jianwang.cli.context import app_context
from jianwang.config import Mode
from jianwang.errors import UserError
from jianwang.web.app import create_app

log = logging.getLogger(__name__)

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless you say so).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8000,
) -> None:
    """Serve the dashboard and the REST API (schema at /api/openapi.json) until Ctrl-C."""
    settings = app_context(ctx).settings
    if host not in LOOPBACK and settings.mode is not Mode.PRODUCTION:
        raise UserError(
            f"refusing to listen on {host} in dev mode; set JIANWANG_MODE=production (and put "
            "the server behind HTTPS) to serve beyond this machine"
        )
    app = create_app(settings)
    typer.echo(f"Jianwang on http://{host}:{port}/ (API schema: /api/openapi.json)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
