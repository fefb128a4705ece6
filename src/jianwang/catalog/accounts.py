"""Signing in: argon2id passwords, API tokens, browser sessions and login throttling.

Secrets are never stored: passwords as argon2id hashes (argon2-cffi's defaults, RFC 9106's
second recommended parameter set), API tokens and session ids as their sha256 (they are random
and long, so a plain hash suffices and lookups stay indexed). Failed sign-ins are kept per user
name and per address; past the limits further tries are refused without checking the password,
so guessing costs the guesser time rather than the server work.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from jianwang.db import utcnow
from jianwang.db.models import ApiToken, LoginFailure, User, WebSession
from jianwang.errors import NotFoundError, PermissionDenied, UserError

log = logging.getLogger(__name__)

MIN_PASSWORD = 10
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
_HASHER = PasswordHasher()  # stateless: parameters only


class LoginRefused(PermissionDenied):
    """Wrong user name or password (which of the two is not said)."""


class LoginThrottled(PermissionDenied):
    """Too many failed sign-ins lately for this user name or address."""


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def set_password(session: Session, *, user: User, password: str) -> None:
    """Store ``password`` for ``user`` as an argon2id hash."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    user.password_hash = _HASHER.hash(password)
    session.flush()


def find_user(session: Session, username: str) -> User:
    """A user by name."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def authenticate(
    session: Session, *, username: str, password: str, address: str, now: datetime | None = None
) -> User:
    """The user whose password this is; ``LoginThrottled`` past the failure limits and
    ``LoginRefused`` for a wrong name or password (the failure is recorded)."""
    now = now or utcnow()
    since = now - THROTTLE_WINDOW
    by_user = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == username, LoginFailure.at >= since)
    )
    by_address = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.address == address, LoginFailure.at >= since)
    )
    if (by_user or 0) >= MAX_FAILURES_PER_USER or (by_address or 0) >= MAX_FAILURES_PER_ADDRESS:
        raise LoginThrottled("too many failed sign-ins; try again in 15 minutes")
    user = session.scalar(select(User).where(User.username == username))
    ok = False
    if user is not None and user.password_hash:
        try:
            ok = _HASHER.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    if not ok or user is None:
        session.add(LoginFailure(username=username[:100], address=address[:100], at=now))
        session.flush()
        log.info("failed sign-in for %r from %s", username, address)
        raise LoginRefused("wrong user name or password")
    if _HASHER.check_needs_rehash(user.password_hash or ""):
        user.password_hash = _HASHER.hash(password)
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return user


def issue_token(session: Session, *, user: User, name: str) -> str:
    """A new API token for ``user``; the token is returned once and only its hash is kept."""
    token = "jw_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, name=name.strip() or "token", token_sha256=_sha256(token))
    )
    session.flush()
    return token


def user_for_token(session: Session, token: str, *, now: datetime | None = None) -> User | None:
    """The user an unrevoked API token belongs to, if any."""
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_sha256 == _sha256(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None:
        return None
    row.last_used_at = now or utcnow()
    return session.get(User, row.user_id)


@dataclass(frozen=True)
class OpenedSession:
    """A new browser session: the cookie value (shown once) and its CSRF token."""

    cookie: str
    csrf_token: str
    expires_at: datetime


def open_web_session(
    session: Session, *, user: User, lifetime: timedelta, now: datetime | None = None
) -> OpenedSession:
    """Sign ``user`` in for ``lifetime``."""
    now = now or utcnow()
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            user_id=user.id,
            session_sha256=_sha256(cookie),
            csrf_token=csrf,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return OpenedSession(cookie, csrf, now + lifetime)


def web_session(
    session: Session, cookie: str, *, now: datetime | None = None
) -> tuple[User, WebSession] | None:
    """The user and session a cookie stands for, unless it expired."""
    row = session.scalar(select(WebSession).where(WebSession.session_sha256 == _sha256(cookie)))
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    user = session.get(User, row.user_id)
    return None if user is None else (user, row)


def close_web_session(session: Session, cookie: str) -> None:
    """Sign out: the session ends on the server, whatever the browser keeps."""
    session.execute(delete(WebSession).where(WebSession.session_sha256 == _sha256(cookie)))
