"""The retention ledger: stored objects, their retention rule, due date, legal hold and deletion.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.String(length=160), nullable=False),
        sa.Column("la_code", sa.String(length=9), nullable=True),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("rule_id", sa.String(length=60), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_fixed", sa.Boolean(), nullable=False),
        sa.Column("licence_end", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("recipient", sa.String(length=40), nullable=True),
        sa.Column("extent", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("held_by", sa.String(length=120), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deletion_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=120), nullable=True),
        sa.Column("certificate_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_ledger")),
        sa.UniqueConstraint("kind", "object_id", name=op.f("uq_retention_ledger_kind_object_id")),
    )
    for column in ("la_code", "status"):
        op.create_index(
            op.f(f"ix_retention_ledger_{column}"), "retention_ledger", [column], unique=False
        )


def downgrade() -> None:
    for column in ("status", "la_code"):
        op.drop_index(op.f(f"ix_retention_ledger_{column}"), table_name="retention_ledger")
    op.drop_table("retention_ledger")
