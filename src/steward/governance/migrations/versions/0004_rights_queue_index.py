"""Index for the DPO's request queue: open requests by status and receipt date.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_rights_requests_queue", "rights_requests", ["status", "received_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_rights_requests_queue", table_name="rights_requests")
