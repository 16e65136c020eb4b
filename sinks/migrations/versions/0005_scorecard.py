"""The scorecard: source columns and rules of each handoff, a time index, the leads that never reached sales.

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)
SCORECARD_COLUMNS = (
    "handoff_id", "queue", "owner", "stage", "status", "outcome", "reason", "breaches", "first_touch_at",
    "sla_due_at", "form_id", "utm_source", "utm_campaign",
)  # fmt: skip
_BACKFILL = {
    # Existing rows get their form and UTM fields from the stored handoff event.
    "postgresql": (
        "UPDATE sales_queue SET form_id = handoff->'source'->>'form_id', "
        "utm_source = handoff->'source'->'utm'->>'source', "
        "utm_campaign = handoff->'source'->'utm'->>'campaign'"
    ),
    "sqlite": (
        "UPDATE sales_queue SET form_id = json_extract(handoff, '$.source.form_id'), "
        "utm_source = json_extract(handoff, '$.source.utm.source'), "
        "utm_campaign = json_extract(handoff, '$.source.utm.campaign')"
    ),
}


_RULES = {
    "postgresql": (
        "INSERT INTO handoff_rules (handoff_id, rule) SELECT DISTINCT s.handoff_id, r.value->>'rule' "
        "FROM sales_queue s, json_array_elements(s.handoff->'reasons') r WHERE r.value->>'rule' IS NOT NULL"
    ),
    "sqlite": (
        "INSERT INTO handoff_rules (handoff_id, rule) SELECT DISTINCT s.handoff_id, "
        "json_extract(r.value, '$.rule') FROM sales_queue s, json_each(s.handoff, '$.reasons') r "
        "WHERE json_extract(r.value, '$.rule') IS NOT NULL"
    ),
}


def upgrade() -> None:
    with op.batch_alter_table("sales_queue") as batch:
        batch.add_column(sa.Column("form_id", sa.String(100)))
        batch.add_column(sa.Column("utm_source", sa.String(200)))
        batch.add_column(sa.Column("utm_campaign", sa.String(200)))
    backfill = _BACKFILL.get(op.get_bind().dialect.name)
    if backfill:
        op.execute(backfill)
    # On PostgreSQL the index carries every column the scorecard reads: an index-only scan.
    op.create_index(
        "ix_sales_queue_submitted_at",
        "sales_queue",
        ["submitted_at"],
        postgresql_include=list(SCORECARD_COLUMNS),
    )
    op.create_table(
        "lead_outcomes",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(100)),
        sa.Column("form_id", sa.String(100)),
        sa.Column("utm_source", sa.String(200)),
        sa.Column("utm_campaign", sa.String(200)),
        sa.Column("at", _WHEN, nullable=False),
    )
    op.create_index("ix_lead_outcomes_at", "lead_outcomes", ["at"])
    op.create_table(
        "handoff_rules",
        sa.Column("handoff_id", sa.String(64), primary_key=True),
        sa.Column("rule", sa.String(100), primary_key=True),
    )
    rules = _RULES.get(op.get_bind().dialect.name)
    if rules:
        op.execute(rules)


def downgrade() -> None:
    op.drop_table("handoff_rules")
    op.drop_index("ix_lead_outcomes_at", table_name="lead_outcomes")
    op.drop_table("lead_outcomes")
    op.drop_index("ix_sales_queue_submitted_at", table_name="sales_queue")
    with op.batch_alter_table("sales_queue") as batch:
        batch.drop_column("utm_campaign")
        batch.drop_column("utm_source")
        batch.drop_column("form_id")
