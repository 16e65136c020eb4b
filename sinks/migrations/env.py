"""Alembic environment: run the sales queue store's migrations on the connection we are given."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import text
from sqlalchemy.types import TypeDecorator

from schemas.errors import StoreError
from sinks import accounts as _accounts  # noqa: F401 - registers the accounts table
from sinks.models import Base

# Every table module must be imported here so autogenerate sees it.
target_metadata = Base.metadata

# Any fixed number works: it only has to be the same for every process migrating this database.
_PG_LOCK = 0x48414E44


def _render_item(kind: str, obj: Any, _autogen: Any) -> str | Literal[False]:
    """Write our column types as their plain SQLAlchemy types, so revisions never import models."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_online() -> None:
    """Migrate over the connection handed in by ``sinks.migrate``."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two workers starting together must not both run the same DDL.
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        context.run_migrations()


if context.is_offline_mode():
    raise StoreError("offline (SQL script) migrations are not supported; run `handoff db upgrade`")
run_migrations_online()
