"""``jianwang jobs``: look at the durable job table and put stuck jobs back in the queue."""

from __future__ import annotations

from typing import Annotated

import typer

from jianwang.cli.context import AppContext
from jianwang.cli.output import JsonFlag, emit_result, emit_rows
from jianwang.db.models import JobState
from jianwang.errors import UserError
from jianwang.pipeline import jobs

app = typer.Typer(
    help="Pipeline jobs (sweeps, matches, staydown checks) as the workers see them.",
    no_args_is_help=True,
)


def _state(value: str | None) -> JobState | None:
    if value is None:
        return None
    try:
        return JobState(value)
    except ValueError:
        choices = ", ".join(s.value for s in JobState)
        raise UserError(f"unknown job state {value!r}; one of {choices}") from None


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    state: Annotated[
        str | None,
        typer.Option(
            "--state", help="Only jobs in this state: queued, leased, done, failed, dead."
        ),
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only jobs of this kind: sweep, match, recheck.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest jobs shown.")] = 200,
    as_json: JsonFlag = False,
) -> None:
    """List jobs, newest first, with their attempts, lease and last error."""
    app_ctx: AppContext = ctx.obj
    with app_ctx.transaction() as session:
        views = [
            jobs.JobView.of(j)
            for j in jobs.list_jobs(session, state=_state(state), kind=kind, limit=limit)
        ]
    emit_rows(
        views,
        as_json=as_json,
        title="Jobs",
        columns=["id", "kind", "state", "attempts", "key", "lease owner", "last error"],
        cells=lambda v: [
            v.id,
            v.kind,
            v.state,
            v.attempts,
            v.key or "",
            v.lease_owner or "",
            (v.last_error or "")[:80],
        ],
    )


@app.command("retry")
def retry_cmd(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(help="Id of a dead or failed job.", metavar="ID")],
    as_json: JsonFlag = False,
) -> None:
    """Queue a dead or failed job again with fresh attempts (after fixing what it failed on)."""
    app_ctx: AppContext = ctx.obj
    with app_ctx.transaction() as session:
        view = jobs.JobView.of(jobs.retry(session, job_id))
    emit_result(view, as_json=as_json, message=f"job {view.id} ({view.kind}) queued again")
