"""durable jobs: an idempotency key, a backoff time, a result and a finish time per job

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("run_after", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("result", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint(batch.f("uq_jobs_key"), ["key"])
        batch.create_index("ix_jobs_state_run_after", ["state", "run_after"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_state_run_after")
        batch.drop_constraint(batch.f("uq_jobs_key"), type_="unique")
        batch.drop_column("finished_at")
        batch.drop_column("result")
        batch.drop_column("run_after")
        batch.drop_column("key")
