"""Accounts sales already knows, matched against incoming leads.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=True),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("industry", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("domain"),
    )
    op.create_index("ix_accounts_name", "accounts", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_accounts_name", table_name="accounts")
    op.drop_table("accounts")
