"""Authorities and users: who may act, and where.

An authority (national, provincial, municipal) has a region code; region codes nest (``CN`` ⊃
``CN-33`` ⊃ ``CN-33-01``), so an officer of a provincial bureau covers the cities inside it. A
user has one role and, for officers, the authority whose region scopes it; a rights holder's user
is tied to its rights holder, a platform's to its site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.catalog.service import find_site, record_id
from jianwang.db.models import Authority, AuthorityLevel, RightsHolder, Role, User
from jianwang.errors import DuplicateError, NotFoundError, UserError

REGION = re.compile(r"^(\*|[A-Z]{2}(-[A-Z0-9]{1,6})*)$")
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,100}$")


SCOPES: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({"authority"}),
    Role.OFFICER: frozenset({"authority"}),
    Role.RIGHTS_HOLDER: frozenset({"rights_holder"}),
    Role.PLATFORM: frozenset({"site"}),
    Role.VIEWER: frozenset({"authority"}),
}
"""Which scopes each role may carry."""

REQUIRED_SCOPE: dict[Role, str] = {
    Role.OFFICER: "authority",
    Role.RIGHTS_HOLDER: "rights_holder",
    Role.PLATFORM: "site",
}


def normalise_region(region: str) -> str:
    """``cn-33`` → ``CN-33``; anything that is not a region code is a user error."""
    code = region.strip().upper()
    if not REGION.match(code):
        raise UserError(
            f"region {region!r} is not a region code such as CN, CN-33 or CN-33-01 (* for all)"
        )
    return code


def add_authority(session: Session, *, name: str, level: str, region: str) -> Authority:
    """Register a copyright authority for a region."""
    name = name.strip()
    if not name:
        raise UserError("an authority needs a name")
    try:
        parsed = AuthorityLevel(level)
    except ValueError:
        known = ", ".join(x.value for x in AuthorityLevel)
        raise UserError(f"unknown authority level {level!r} (one of: {known})") from None
    if session.scalar(select(Authority).where(Authority.name == name)) is not None:
        raise DuplicateError(f"authority {name!r} already exists")
    authority = Authority(name=name, level=parsed, region=normalise_region(region))
    session.add(authority)
    session.flush()
    return authority


def find_authority(session: Session, ref: str | int) -> Authority:
    """An authority by id or exact name."""
    if (row_id := record_id(ref)) is not None:
        authority = session.get(Authority, row_id) if row_id >= 0 else None
    else:
        authority = session.scalar(select(Authority).where(Authority.name == ref))
    if authority is None:
        raise NotFoundError(f"no authority {ref!r} (add it with 'jianwang authorities add')")
    return authority


def list_authorities(session: Session) -> list[Authority]:
    """Every authority, oldest first."""
    return list(session.scalars(select(Authority).order_by(Authority.id)))


def add_user(
    session: Session,
    *,
    username: str,
    role: str | Role,
    authority: str | int | None = None,
    rights_holder: str | None = None,
    site: str | int | None = None,
    display_name: str | None = None,
    locale: str = "zh-CN",
) -> User:
    """Register a user with the scope its role needs: officers an authority, rights holders a
    rights holder, platforms a site. A scope that does not fit the role is refused, so no user
    holds more reach than its role explains."""
    if not USERNAME.match(username):
        raise UserError(f"user name {username!r}: 2-100 letters, digits and . _ @ - only")
    try:
        parsed = Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise UserError(f"unknown role {role!r} (one of: {known})") from None
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise DuplicateError(f"user {username!r} already exists")
    allowed = SCOPES[parsed]
    given = [
        name
        for name, value in (
            ("authority", authority),
            ("rights_holder", rights_holder),
            ("site", site),
        )
        if value is not None
    ]
    needed = REQUIRED_SCOPE.get(parsed)
    if needed is not None and needed not in given:
        raise UserError(f"a {parsed.value} user needs --{needed.replace('_', '-')}")
    for name in given:
        if name not in allowed:
            raise UserError(f"a {parsed.value} user is not scoped by --{name.replace('_', '-')}")
    user = User(username=username, role=parsed, display_name=display_name, locale=locale)
    if authority is not None:
        user.authority_id = find_authority(session, authority).id
    if rights_holder is not None:
        holder = session.scalar(select(RightsHolder).where(RightsHolder.name == rights_holder))
        if holder is None:
            raise NotFoundError(f"no rights holder named {rights_holder!r}")
        user.rights_holder_id = holder.id
    if site is not None:
        user.site_id = find_site(session, site).id
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class UserRow:
    """A user as listed to a person."""

    id: int
    username: str
    role: str
    scope: str | None


def list_users(session: Session) -> list[UserRow]:
    """Every user with the scope it acts in."""
    rows = []
    for user in session.scalars(select(User).order_by(User.id)):
        scope = None
        if user.authority_id is not None:
            authority = session.get(Authority, user.authority_id)
            scope = None if authority is None else f"{authority.name} ({authority.region})"
        elif user.rights_holder_id is not None:
            holder = session.get(RightsHolder, user.rights_holder_id)
            scope = None if holder is None else holder.name
        elif user.site_id is not None:
            scope = f"site {user.site_id}"
        rows.append(UserRow(user.id, user.username, user.role.value, scope))
    return rows
