"""Working the queue: claim/decision columns, feedback (with outbox), SLA breaches.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("sales_queue") as batch:
        batch.add_column(sa.Column("claimed_at", _WHEN))
        batch.add_column(sa.Column("decided_at", _WHEN))
        batch.add_column(sa.Column("first_touch_at", _WHEN))
        batch.add_column(sa.Column("closed_at", _WHEN))
        batch.add_column(sa.Column("outcome", sa.String(16)))
        batch.add_column(sa.Column("reason", sa.String(64)))
        batch.add_column(sa.Column("breaches", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("erased_at", _WHEN))
    op.create_index("ix_sales_queue_owner_status", "sales_queue", ["owner", "status"])
    op.create_index("ix_sales_queue_email", "sales_queue", ["email"])
    op.create_table(
        "feedback",
        sa.Column("feedback_id", sa.String(64), primary_key=True),
        sa.Column("handoff_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64)),
        sa.Column("by", sa.String(200)),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("applied", sa.Boolean, nullable=False),
        sa.Column("recorded_at", _WHEN, nullable=False),
        sa.Column("published_at", _WHEN),
    )
    op.create_index("ix_feedback_handoff_id", "feedback", ["handoff_id"])
    op.create_index("ix_feedback_unpublished", "feedback", ["published_at"])
    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("handoff_id", sa.String(64), nullable=False),
        sa.Column("due_at", _WHEN, nullable=False),
        sa.Column("breached_at", _WHEN, nullable=False),
        sa.Column("breach", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_owner", sa.String(200)),
        sa.Column("to_owner", sa.String(200)),
        sa.Column("from_queue", sa.String(100), nullable=False),
        sa.Column("to_queue", sa.String(100), nullable=False),
        sa.Column("new_due_at", _WHEN),
        sa.Column("published_at", _WHEN),
        sa.UniqueConstraint("handoff_id", "due_at", name="uq_sla_breaches_handoff_due"),
    )
    op.create_index("ix_sla_breaches_handoff_id", "sla_breaches", ["handoff_id"])
    op.create_index("ix_sla_breaches_unpublished", "sla_breaches", ["published_at"])


def downgrade() -> None:
    op.drop_table("sla_breaches")
    op.drop_table("feedback")
    op.drop_index("ix_sales_queue_email", "sales_queue")
    op.drop_index("ix_sales_queue_owner_status", "sales_queue")
    with op.batch_alter_table("sales_queue") as batch:
        for name in (
            "erased_at",
            "breaches",
            "reason",
            "outcome",
            "closed_at",
            "first_touch_at",
            "decided_at",
            "claimed_at",
        ):
            batch.drop_column(name)
