"""sites get concurrency, credentials and browser mode; captures keep sampled spans and
evidence artefacts; detections link re-uploads; page visits keep validators for incremental
sweeps

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("concurrency", sa.Integer(), nullable=False, server_default="2"))
        batch.add_column(sa.Column("credentials", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("browser", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("source_spans", sa.JSON(), nullable=True))
    with op.batch_alter_table("detections") as batch:
        batch.add_column(sa.Column("reupload_of_id", sa.Integer(), nullable=True))
    op.create_table(
        "artefacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("detection_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("at_s", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["captures.id"], name=op.f("fk_artefacts_capture_id_captures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artefacts")),
        sa.UniqueConstraint(
            "capture_id", "kind", "sha256", name=op.f("uq_artefacts_capture_id_kind_sha256")
        ),
    )
    with op.batch_alter_table("artefacts") as batch:
        batch.create_index(batch.f("ix_artefacts_capture_id"), ["capture_id"], unique=False)
        batch.create_index(batch.f("ix_artefacts_detection_id"), ["detection_id"], unique=False)
    op.create_table(
        "page_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("final_url", sa.String(length=2000), nullable=False),
        sa.Column("etag", sa.String(length=300), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_page_visits_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_visits")),
        sa.UniqueConstraint("site_id", "url", name=op.f("uq_page_visits_site_id_url")),
    )
    with op.batch_alter_table("page_visits") as batch:
        batch.create_index(batch.f("ix_page_visits_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    op.drop_table("page_visits")
    op.drop_table("artefacts")
    with op.batch_alter_table("detections") as batch:
        batch.drop_column("reupload_of_id")
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("source_spans")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("browser")
        batch.drop_column("credentials")
        batch.drop_column("concurrency")
