"""works carry aliases; title matches are detections without a reference asset, of their own
evidence class; link captures keep their details; sites keep their domains over time, the facts
their pages state about their operators, and candidate sites wait for an officer; an imported
IP-to-network table names hosting networks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("works") as batch:
        batch.add_column(sa.Column("aliases", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("detections") as batch:
        batch.alter_column("asset_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(
            sa.Column(
                "evidence_class", sa.String(length=20), nullable=False, server_default="fingerprint"
            )
        )
        batch.add_column(sa.Column("matched_text", sa.Text(), nullable=True))
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("details", sa.JSON(), nullable=True))
    op.create_table(
        "site_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("evidence_url", sa.String(length=2000), nullable=True),
        sa.Column("evidence_text", sa.Text(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_site_domains_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_domains")),
        sa.UniqueConstraint("site_id", "domain", name=op.f("uq_site_domains_site_id_domain")),
    )
    with op.batch_alter_table("site_domains") as batch:
        batch.create_index(batch.f("ix_site_domains_site_id"), ["site_id"], unique=False)
    op.create_table(
        "site_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("page_url", sa.String(length=2000), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_site_facts_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_facts")),
        sa.UniqueConstraint(
            "site_id", "kind", "value", name=op.f("uq_site_facts_site_id_kind_value")
        ),
    )
    with op.batch_alter_table("site_facts") as batch:
        batch.create_index(batch.f("ix_site_facts_site_id"), ["site_id"], unique=False)
    op.create_table(
        "site_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("linked_from", sa.JSON(), nullable=False),
        sa.Column("sample_urls", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_candidates")),
        sa.UniqueConstraint("domain", name=op.f("uq_site_candidates_domain")),
    )
    op.create_table(
        "ip_networks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("start", sa.String(length=32), nullable=False),
        sa.Column("end", sa.String(length=32), nullable=False),
        sa.Column("asn", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_networks")),
    )
    with op.batch_alter_table("ip_networks") as batch:
        batch.create_index(batch.f("ix_ip_networks_start"), ["start"], unique=False)


def downgrade() -> None:
    op.drop_table("ip_networks")
    op.drop_table("site_candidates")
    op.drop_table("site_facts")
    op.drop_table("site_domains")
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("details")
    with op.batch_alter_table("detections") as batch:
        batch.drop_column("matched_text")
        batch.drop_column("evidence_class")
        batch.alter_column("asset_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("works") as batch:
        batch.drop_column("aliases")
