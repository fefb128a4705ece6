"""``jianwang notices``: takedown and warning notices, from draft to follow-up."""

from __future__ import annotations

import typer

from jianwang.cli.context import app_context
from jianwang.cli.output import JsonFlag, emit_rows
from jianwang.enforcement.notices import list_notices

app = typer.Typer(help="Takedown and warning notices.", no_args_is_help=True)


@app.command("list")
def list_notices_cmd(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List notices, newest first."""
    with app_context(ctx).transaction() as session:
        rows = [
            {"id": n.id, "kind": n.kind.value, "recipient": n.recipient,
             "site": n.site.name if n.site else None, "status": n.status.value,
             "works": n.content.get("works", []), "urls": n.content.get("infringing_urls", []),
             "deadline_at": n.deadline_at}
            for n in list_notices(session)
        ]  # fmt: skip
    emit_rows(
        rows,
        as_json=as_json,
        title="Notices",
        columns=["id", "kind", "recipient", "site", "status", "works", "URLs", "deadline"],
        cells=lambda r: (r["id"], r["kind"], r["recipient"], r["site"], r["status"],
                         ", ".join(r["works"]), len(r["urls"]), r["deadline_at"]),
    )  # fmt: skip
