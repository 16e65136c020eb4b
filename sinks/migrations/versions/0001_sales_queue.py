"""Sales queue and handoff ledger (the tables of the first release).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_OPEN = sa.text("status IN ('open', 'claimed')")


def upgrade() -> None:
    op.create_table(
        "sales_queue",
        sa.Column("handoff_id", sa.String(64), primary_key=True),
        sa.Column("lead_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False, unique=True),
        sa.Column("queue", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("stage", sa.String(8), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("full_name", sa.String(400)),
        sa.Column("company", sa.String(400)),
        sa.Column("country", sa.String(2)),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submissions", sa.Integer, nullable=False),
        sa.Column("handoff", sa.JSON, nullable=False),
    )
    op.create_index("ix_sales_queue_lead_id", "sales_queue", ["lead_id"])
    op.create_index("ix_sales_queue_queue", "sales_queue", ["queue"])
    op.create_index(
        "uq_sales_queue_open_lead",
        "sales_queue",
        ["lead_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    op.create_index("ix_sales_queue_queue_status_due", "sales_queue", ["queue", "status", "sla_due_at"])
    op.create_table(
        "handoff_ledger",
        sa.Column("handoff_id", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(128), nullable=False, unique=True),
        sa.Column("lead_id", sa.String(64), nullable=False),
        sa.Column("queue_handoff_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_handoff_ledger_lead_id", "handoff_ledger", ["lead_id"])
    op.create_index("ix_handoff_ledger_queue_handoff_id", "handoff_ledger", ["queue_handoff_id"])


def downgrade() -> None:
    op.drop_table("handoff_ledger")
    op.drop_table("sales_queue")
