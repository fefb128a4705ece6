"""``jianwang sites``: the registry of monitored sites."""

from __future__ import annotations

from typing import Annotated

import typer

from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_result, emit_rows
from jianwang.db.models import SiteKind
from jianwang.monitoring import sites as service

app = typer.Typer(help="Register and list monitored sites.", no_args_is_help=True)

CookieOption = Annotated[
    list[str] | None,
    typer.Option(
        "--cookie", help="NAME=VALUE sent only to the site's domains; repeat for several."
    ),
]
HeaderOption = Annotated[
    list[str] | None,
    typer.Option(
        "--header", help='"Name: value" sent only to the site\'s domains; repeat for several.'
    ),
]


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Unique name of the site.")],
    kind: Annotated[
        str, typer.Option("--kind", help="One of: " + ", ".join(k.value for k in SiteKind) + ".")
    ],
    seed: Annotated[list[str], typer.Option("--seed", help="Start URL; repeat for several.")],
    domain: Annotated[
        list[str] | None,
        typer.Option("--domain", help="Extra allowed host[:port]; seeds' hosts are included."),
    ] = None,
    operator: Annotated[str | None, typer.Option("--operator", help="Who runs it.")] = None,
    icp: Annotated[str | None, typer.Option("--icp", help="ICP filing number.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Region code.")] = None,
    max_pages: Annotated[int, typer.Option("--max-pages", help="Pages per sweep.")] = 200,
    max_depth: Annotated[int, typer.Option("--max-depth", help="Link depth from seeds.")] = 4,
    ignore_robots: Annotated[
        bool, typer.Option("--ignore-robots", help="Do not honour robots.txt on this site.")
    ] = False,
    schedule: Annotated[
        str | None,
        typer.Option("--schedule", help="Sweep interval for `monitor start`: 30m, 6h, 1d..."),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option("--rate", help="Requests per second to each of its hosts (default: setting)."),
    ] = None,
    browser: Annotated[
        bool,
        typer.Option(
            "--browser/--no-browser",
            help="Render its pages in headless Chromium (players built in JavaScript).",
        ),
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", help="Requests in flight to each of its hosts at once (1..16)."
        ),
    ] = 2,
    cookie: CookieOption = None,
    header: HeaderOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a site to monitor."""
    cookies = service.parse_cookie_options(cookie or [])
    headers = service.parse_header_options(header or [])
    with app_context(ctx).transaction() as session:
        site = service.add_site(
            session,
            name=name,
            kind=kind,
            seeds=seed,
            domains=domain or [],
            operator=operator,
            icp_number=icp,
            region=region,
            max_pages=max_pages,
            max_depth=max_depth,
            respect_robots=not ignore_robots,
            schedule=schedule,
            rate_per_s=rate,
            browser=browser,
            concurrency=concurrency,
            cookies=cookies,
            headers=headers,
        )
        result = {"id": site.id, "name": site.name, "domains": site.domains}
    emit_result(
        result,
        as_json=as_json,
        message=f"site {result['id']} {result['name']!r} registered ({', '.join(site.domains)})",
    )


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List registered sites."""
    with app_context(ctx).transaction() as session:
        rows = service.list_sites(session)
    emit_rows(
        rows,
        as_json=as_json,
        title="Sites",
        columns=["id", "name", "kind", "status", "domains", "region", "operator", "last sweep"],
        cells=lambda r: (
            r.id,
            r.name,
            r.kind,
            r.status,
            ", ".join(r.domains),
            r.region,
            r.operator,
            r.last_sweep_at,
        ),
    )


def _describe(row: service.SiteRow) -> str:
    cookies = ", ".join(row.cookie_names) or "none"
    headers = ", ".join(row.header_names) or "none"
    return (
        f"site {row.id} {row.name!r} ({', '.join(row.domains)}): concurrency {row.concurrency}; "
        f"cookies: {cookies}; headers: {headers}"
    )


@app.command("set")
def set_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of a registered site.")],
    cookie: CookieOption = None,
    header: HeaderOption = None,
    clear_credentials: Annotated[
        bool,
        typer.Option("--clear-credentials", help="Drop its stored cookies and headers first."),
    ] = False,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", help="Requests in flight to each of its hosts at once (1..16)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a site's credentials or concurrency (values are never shown, only names)."""
    cookies = service.parse_cookie_options(cookie or [])
    headers = service.parse_header_options(header or [])
    with app_context(ctx).transaction() as session:
        site = service.update_site(
            session,
            name=name,
            cookies=cookies,
            headers=headers,
            clear_credentials=clear_credentials,
            concurrency=concurrency,
        )
        row = service.site_row(site)
    emit_result(row, as_json=as_json, message=_describe(row))


@app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of a registered site.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one site's registry entry (credentials by name only)."""
    with app_context(ctx).transaction() as session:
        row = service.show_site(session, name=name)
    emit_result(row, as_json=as_json, message=_describe(row))
