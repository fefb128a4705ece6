"""``jianwang users`` and ``jianwang authorities``: who acts, and where."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from jianwang.catalog.accounts import find_user, issue_token, set_password
from jianwang.catalog.people import add_authority, add_user, list_authorities, list_users
from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows
from jianwang.db.models import AuthorityLevel, Role

app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
authorities_app = typer.Typer(help="Copyright authorities and their regions.", no_args_is_help=True)

ROLES = ", ".join(r.value for r in Role)
LEVELS = ", ".join(level.value for level in AuthorityLevel)


@app.command("add")
def add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {ROLES}.")],
    authority: Annotated[
        str | None, typer.Option("--authority", help="Authority (officers; admins, viewers).")
    ] = None,
    rights_holder: Annotated[
        str | None, typer.Option("--rights-holder", help="Rights holder (rights_holder role).")
    ] = None,
    site: Annotated[str | None, typer.Option("--site", help="Own site (platform role).")] = None,
    display_name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password (for the dashboard and API tokens) from standard input.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Register a user: officers act within their authority's region, rights holders on their
    works, platforms on their own site."""
    with app_context(ctx).transaction() as session:
        user = add_user(
            session,
            username=username,
            role=role,
            authority=authority,
            rights_holder=rights_holder,
            site=site,
            display_name=display_name,
        )
        if password_stdin:
            set_password(session, user=user, password=_read_password())
        result = {"id": user.id, "username": user.username, "role": user.role.value}
    emit_result(
        result, as_json=as_json, message=f"user {result['username']} ({result['role']}) added"
    )


def _read_password() -> str:
    """The password from standard input, without its line end."""
    return sys.stdin.readline().rstrip("\r\n")


@app.command("password")
def password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
) -> None:
    """Set a user's password, read from standard input (stored as an argon2id hash)."""
    with app_context(ctx).transaction() as session:
        set_password(session, user=find_user(session, username), password=_read_password())
    typer.echo(f"password of {username} set")


@app.command("token")
def token(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    name: Annotated[str, typer.Option("--name", help="A label for the token.")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Issue an API token for a user; it is printed once and only its hash is kept."""
    with app_context(ctx).transaction() as session:
        issued = issue_token(session, user=find_user(session, username), name=name)
    emit_result(
        {"username": username, "token": issued},
        as_json=as_json,
        message=f"API token for {username} (shown once): {issued}",
    )


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List users with their roles and scopes."""
    with app_context(ctx).transaction() as session:
        rows = list_users(session)
    emit_rows(
        rows,
        as_json=as_json,
        title="Users",
        columns=["id", "user", "role", "scope"],
        cells=lambda r: (r.id, r.username, r.role, r.scope),
    )


@authorities_app.command("add")
def add_authority_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the authority.")],
    level: Annotated[str, typer.Option("--level", help=f"One of: {LEVELS}.")],
    region: Annotated[str, typer.Option("--region", help="Region code: CN, CN-33, CN-33-01.")],
    as_json: JsonFlag = False,
) -> None:
    """Register a copyright authority and the region it acts in."""
    with app_context(ctx).transaction() as session:
        authority = add_authority(session, name=name, level=level, region=region)
        result = {"id": authority.id, "name": authority.name, "region": authority.region}
    emit_result(
        result, as_json=as_json, message=f"authority {result['name']} ({result['region']}) added"
    )


@authorities_app.command("list")
def list_authorities_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List authorities."""
    with app_context(ctx).transaction() as session:
        rows = [
            {"id": a.id, "name": a.name, "level": a.level.value, "region": a.region}
            for a in list_authorities(session)
        ]
    emit_rows(
        rows,
        as_json=as_json,
        title="Authorities",
        columns=["id", "name", "level", "region"],
        cells=lambda r: tuple(r.values()),
    )
