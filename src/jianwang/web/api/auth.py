"""Signing in to the API: exchange a password for a token; who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from jianwang.catalog.accounts import LoginRefused, authenticate, issue_token
from jianwang.web.deps import PrincipalDep, SessionDep

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)
    name: str = Field(default="api", max_length=100, description="A label for the token.")


class TokenOut(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'; shown only once.")
    username: str
    role: str


class Me(BaseModel):
    username: str
    role: str
    authority_id: int | None
    region: str | None
    rights_holder_id: int | None
    site_id: int | None
    locale: str


@router.post(
    "/tokens",
    response_model=TokenOut,
    status_code=201,
    responses={
        401: {"description": "Wrong user name or password"},
        403: {"description": "Throttled"},
    },
)
def create_token(
    body: TokenRequest, request: Request, session: SessionDep
) -> TokenOut | JSONResponse:
    """Exchange a user name and password for a new API token."""
    address = request.client.host if request.client else "unknown"
    try:
        user = authenticate(
            session, username=body.username, password=body.password, address=address
        )
    except LoginRefused as exc:
        # Returned, not raised: the failed attempt must be committed to count for throttling.
        return JSONResponse({"detail": str(exc)}, status_code=401)
    token = issue_token(session, user=user, name=body.name)
    return TokenOut(token=token, username=user.username, role=user.role.value)


@router.get("/me", response_model=Me)
def me(who: PrincipalDep) -> Me:
    """The signed-in user and its scope."""
    user, actor = who.user, who.actor
    return Me(
        username=user.username,
        role=user.role.value,
        authority_id=user.authority_id,
        region=actor.region,
        rights_holder_id=user.rights_holder_id,
        site_id=user.site_id,
        locale=user.locale,
    )
