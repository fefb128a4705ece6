"""REST API: users, their API tokens, and authorities (admins only).

Who may act, and where, is the root of every other check, so only an admin changes it. A token
is shown once, in the answer that issues it; only its hash is kept.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from jianwang.catalog.accounts import find_user, issue_token, set_password
from jianwang.catalog.people import add_authority, add_user, list_authorities, list_users
from jianwang.db.models import Authority, AuthorityLevel, Role
from jianwang.web.api.common import Page, PagingDep
from jianwang.web.api.schemas_enforcement import Admin, Body, paged
from jianwang.web.deps import SessionDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["users"])

Username = Annotated[str, Path(min_length=2, max_length=100, description="Login name.")]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: str
    scope: str | None = Field(description="The authority, rights holder or site it acts for.")


class UserCreate(Body):
    username: str = Field(min_length=2, max_length=100)
    role: Role
    authority: str | None = Field(
        default=None, max_length=200, description="Authority id or name (officers, viewers)."
    )
    rights_holder: str | None = Field(
        default=None, max_length=300, description="Rights holder name (rights_holder role)."
    )
    site: str | None = Field(
        default=None, max_length=300, description="Own site id or name (platform role)."
    )
    display_name: str | None = Field(default=None, max_length=200)
    password: SecretStr | None = Field(
        default=None, max_length=1000, description="For the dashboard and for API tokens."
    )


class CreatedUser(BaseModel):
    id: int
    username: str
    role: str


class TokenRequest(Body):
    name: str = Field(default="api", max_length=100, description="A label for the token.")


class IssuedToken(BaseModel):
    username: str
    token: str = Field(description="Send as 'Authorization: Bearer <token>'; shown only once.")


class AuthorityOut(BaseModel):
    id: int
    name: str
    level: str
    region: str

    @classmethod
    def of(cls, a: Authority) -> AuthorityOut:
        return cls(id=a.id, name=a.name, level=a.level.value, region=a.region)


class AuthorityCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    level: AuthorityLevel
    region: str = Field(max_length=100, description="Region code: CN, CN-33, CN-33-01.")


@router.get("/users", response_model=Page[UserOut])
def get_users(session: SessionDep, actor: Admin, paging: PagingDep) -> Page[UserOut]:
    """Users with their roles and scopes."""
    return paged(list_users(session), paging, UserOut.model_validate)


@router.post("/users", response_model=CreatedUser, status_code=201)
def create_user(body: UserCreate, session: SessionDep, actor: Admin) -> CreatedUser:
    """Register a user: officers act within their authority's region, rights holders on their
    works, platforms on their own site."""
    user = add_user(
        session,
        username=body.username,
        role=body.role,
        authority=body.authority,
        rights_holder=body.rights_holder,
        site=body.site,
        display_name=body.display_name,
    )
    if body.password is not None:
        set_password(session, user=user, password=body.password.get_secret_value())
    log.info("user %s (%s) added by %s", user.username, user.role.value, actor.name)
    return CreatedUser(id=user.id, username=user.username, role=user.role.value)


@router.post("/users/{username}/tokens", response_model=IssuedToken, status_code=201)
def create_user_token(
    username: Username,
    session: SessionDep,
    actor: Admin,
    body: TokenRequest | None = None,
) -> IssuedToken:
    """Issue an API token for a user; it is in this answer only."""
    user = find_user(session, username)
    token = issue_token(session, user=user, name=(body or TokenRequest()).name)
    log.info("API token issued for %s by %s", username, actor.name)
    return IssuedToken(username=user.username, token=token)


class PasswordRequest(Body):
    password: SecretStr = Field(max_length=1000, description="The new password.")


@router.put("/users/{username}/password", status_code=204)
def put_user_password(
    username: Username, body: PasswordRequest, session: SessionDep, actor: Admin
) -> Response:
    """Set a user's password (stored as an argon2id hash), e.g. to hand over an account."""
    set_password(
        session, user=find_user(session, username), password=body.password.get_secret_value()
    )
    log.info("password of %s set by %s", username, actor.name)
    return Response(status_code=204)


@router.get("/authorities", response_model=Page[AuthorityOut])
def get_authorities(session: SessionDep, actor: Admin, paging: PagingDep) -> Page[AuthorityOut]:
    """Copyright authorities and their regions."""
    return paged(list_authorities(session), paging, AuthorityOut.of)


@router.post("/authorities", response_model=AuthorityOut, status_code=201)
def create_authority(body: AuthorityCreate, session: SessionDep, actor: Admin) -> AuthorityOut:
    """Register a copyright authority and the region it acts in."""
    authority = add_authority(session, name=body.name, level=body.level.value, region=body.region)
    return AuthorityOut.of(authority)
