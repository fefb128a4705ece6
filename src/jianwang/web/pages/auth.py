"""Signing in and out of the dashboard, and choosing its language.

A browser signs in with a user name and password and gets a session cookie (HttpOnly,
SameSite=Lax, Secure over HTTPS or in production) naming a server-side session, which carries the
CSRF token every later form and htmx request must send back. Signing in needs no CSRF token (no
session exists yet) but must come from this site when the browser says where it came from, so
another site cannot sign a visitor into an account of its choosing. A failed sign-in is
answered, not raised, so that the failure is committed and counts towards throttling.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from jianwang.catalog.accounts import (
    LoginRefused,
    LoginThrottled,
    authenticate,
    close_web_session,
    open_web_session,
)
from jianwang.reports.reach import set_locale
from jianwang.web.deps import SESSION_COOKIE, OptionalPrincipalDep, ServicesDep, SessionDep
from jianwang.web.i18n import pick_locale
from jianwang.web.pages.common import (
    LOCALE_COOKIE,
    local_path,
    render,
    same_origin,
    see_other,
    set_cookie,
)

log = logging.getLogger(__name__)

router = APIRouter()

"""A working day: long enough not to interrupt a review, short enough that a forgotten browser
does not stay signed in overnight."""

LOCALE_COOKIE_AGE = 365 * 24 * 3600


def _login_page(
    request: Request, *, next_path: str, error: str | None, status_code: int, username: str = ""
) -> Response:
    return render(
        request,
        None,
        "login.html",
        status_code=status_code,
        next_path=next_path,
        error=error,
        username=username,
    )


@router.get("/login")
def login_form(request: Request, who: OptionalPrincipalDep, next: str | None = None) -> Response:
    """The sign-in form (a reader already signed in goes straight on)."""
    target = local_path(next)
    if who is not None:
        return see_other(target)
    return _login_page(request, next_path=target, error=None, status_code=200)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    svc: ServicesDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password, open a session and go where the reader was heading."""
    target = local_path(next)
    if not same_origin(request):
        log.warning("sign-in for %r refused: it came from another site", username)
        return _login_page(request, next_path=target, error="auth.foreign_origin", status_code=403)
    address = request.client.host if request.client else "unknown"
    try:
        user = authenticate(session, username=username, password=password, address=address)
    except LoginThrottled:
        return _login_page(
            request, next_path=target, error="auth.throttled", status_code=429, username=username
        )
    except LoginRefused:
        session.commit()  # the failure must count even if the answer never arrives
        return _login_page(
            request, next_path=target, error="auth.refused", status_code=401, username=username
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # a new sign-in never reuses a session id the browser held before
        close_web_session(session, old)
    lifetime = timedelta(hours=svc.settings.web_session_hours)
    opened = open_web_session(session, user=user, lifetime=lifetime)
    session.commit()
    log.info("%s signed in to the dashboard from %s", user.username, address)
    response = see_other(target)
    set_cookie(
        response,
        request,
        SESSION_COOKIE,
        opened.cookie,
        max_age=int(lifetime.total_seconds()),
    )
    set_cookie(response, request, LOCALE_COOKIE, user.locale, max_age=LOCALE_COOKIE_AGE)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, who: OptionalPrincipalDep) -> Response:
    """End the session on the server (the CSRF token was checked on the way in)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if who is not None and cookie:
        close_web_session(session, cookie)
        session.commit()
        log.info("%s signed out", who.user.username)
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.post("/locale")
def choose_locale(
    request: Request,
    session: SessionDep,
    who: OptionalPrincipalDep,
    locale: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Switch the dashboard's language: kept with the user when signed in, in a cookie always
    (so the sign-in page speaks it too)."""
    chosen = pick_locale(locale)
    target = local_path(next)
    if who is None and not same_origin(request):
        return see_other(target)
    if who is not None:
        set_locale(session, user=who.user, locale=chosen)
        session.commit()
    response = see_other(target)
    set_cookie(response, request, LOCALE_COOKIE, chosen, max_age=LOCALE_COOKIE_AGE)
    return response
