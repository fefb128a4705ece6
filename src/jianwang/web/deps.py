"""Request dependencies: the database session, the signed-in user, and the actor it acts as.

A request is authenticated by an API token (``Authorization: Bearer jw_...``) or by the
session cookie of a signed-in browser. A browser's state-changing request must also carry the
session's CSRF token (header ``X-CSRF-Token`` or form field ``csrf_token``); token requests
need none, since no browser sends them on its own.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from jianwang.catalog.accounts import user_for_token, web_session
from jianwang.catalog.actors import Actor, actor_for
from jianwang.db import transaction
from jianwang.db.models import User, WebSession
from jianwang.web.services import WebServices

SESSION_COOKIE = "jw_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def services(request: Request) -> WebServices:
    """The app's services (see ``web.app.create_app``)."""
    found: WebServices = request.app.state.services
    return found


ServicesDep = Annotated[WebServices, Depends(services)]


def db_session(svc: ServicesDep) -> Iterator[Session]:
    """One request, one transaction: committed when the handler returns, rolled back when it
    raises, so a refused request changes nothing."""
    with transaction(svc.sessions) as session:
        yield session


# "function" scope: the transaction ends when the handler returns, before the response is sent,
# so a client is never told of a change whose commit then failed.
SessionDep = Annotated[Session, Depends(db_session, scope="function")]


@dataclass(frozen=True)
class Principal:
    """The signed-in user, how it signed in, and the actor it acts as."""

    user: User
    actor: Actor
    web_session: WebSession | None  # None for API-token requests

    @property
    def csrf_token(self) -> str | None:
        return None if self.web_session is None else self.web_session.csrf_token


async def _form_csrf(request: Request) -> str | None:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in user, or None; a cookie request that changes state without the session's
    CSRF token is refused (403)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = user_for_token(session, header[7:].strip())
        if user is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or revoked API token")
        return Principal(user, actor_for(session, user.username), None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = web_session(session, cookie)
    if found is None:
        return None
    user, row = found
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER) or await _form_csrf(request)
        if not given or not hmac.compare_digest(given, row.csrf_token):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
    return Principal(user, actor_for(session, user.username), row)


OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


def principal(found: OptionalPrincipalDep) -> Principal:
    """The signed-in user; 401 when there is none."""
    if found is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "sign in or send an API token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


PrincipalDep = Annotated[Principal, Depends(principal)]


def actor(found: PrincipalDep) -> Actor:
    """The actor of the signed-in user (its role and scope)."""
    return found.actor


ActorDep = Annotated[Actor, Depends(actor)]
