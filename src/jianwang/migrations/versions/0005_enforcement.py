"""cases keep the advance notice, hearing and decision with their times and the referral
thresholds they reach; notices keep counter-notices and the case they were escalated to;
rejected matches become allow rules; the ledger's Merkle tree heads are signed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("proposed_decision", sa.String(length=100), nullable=True))
        batch.add_column(
            sa.Column("proposed_fine", sa.Numeric(precision=14, scale=2), nullable=True)
        )
        batch.add_column(
            sa.Column("advance_notice_served_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("hearing_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("hearing_held_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("referral_flags", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("counter_notice", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_notices_case_id_cases"), "cases", ["case_id"], ["id"])
    op.create_table(
        "allow_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("url_pattern", sa.String(length=2000), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("detection_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_allow_rules_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["work_id"], ["works.id"], name=op.f("fk_allow_rules_work_id_works")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allow_rules")),
    )
    with op.batch_alter_table("allow_rules") as batch:
        batch.create_index(batch.f("ix_allow_rules_site_id"), ["site_id"], unique=False)
        batch.create_index(batch.f("ix_allow_rules_work_id"), ["work_id"], unique=False)
    op.create_table(
        "ledger_heads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_heads")),
    )
    with op.batch_alter_table("ledger_heads") as batch:
        batch.create_index(batch.f("ix_ledger_heads_tree_size"), ["tree_size"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ledger_heads") as batch:
        batch.drop_index(batch.f("ix_ledger_heads_tree_size"))
    op.drop_table("ledger_heads")
    with op.batch_alter_table("allow_rules") as batch:
        batch.drop_index(batch.f("ix_allow_rules_work_id"))
        batch.drop_index(batch.f("ix_allow_rules_site_id"))
    op.drop_table("allow_rules")
    with op.batch_alter_table("notices") as batch:
        batch.drop_constraint(batch.f("fk_notices_case_id_cases"), type_="foreignkey")
        batch.drop_column("case_id")
        batch.drop_column("counter_notice")
    with op.batch_alter_table("cases") as batch:
        for column in (
            "referral_flags",
            "decided_at",
            "hearing_held_at",
            "hearing_requested",
            "advance_notice_served_at",
            "proposed_fine",
            "proposed_decision",
        ):
            batch.drop_column(column)
