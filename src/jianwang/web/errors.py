"""Jianwang's errors as HTTP answers: the message a person must act on, and a fitting status.

Services raise ``UserError`` and its kinds; here they become JSON ``{"detail": message}``
with 400, 403, 404, 409 or 422, so the API speaks the same messages as the CLI.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from jianwang.errors import (
    DuplicateError,
    FetchError,
    MediaError,
    NotFoundError,
    PermissionDenied,
    UserError,
)

STATUS: tuple[tuple[type[UserError], int], ...] = (
    (PermissionDenied, 403),
    (NotFoundError, 404),
    (DuplicateError, 409),
    (MediaError, 422),
    (FetchError, 422),
    (UserError, 400),
)


def status_of(exc: UserError) -> int:
    """The HTTP status of a user error (the most specific kind wins)."""
    return next(code for kind, code in STATUS if isinstance(exc, kind))


def install(app: FastAPI) -> None:
    """Answer every ``UserError`` with its message and status."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, UserError)
        return JSONResponse({"detail": str(exc)}, status_code=status_of(exc))

    app.add_exception_handler(UserError, handle)
