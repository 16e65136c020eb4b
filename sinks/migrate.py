"""Schema migrations (Alembic, shipped inside the package) run from code, not from an ini file."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

# The revision that created the tables of the first release, before migrations existed.
_FIRST = "0001"


class SchemaOutOfDate(RuntimeError):
    """The database is not at the schema this code needs."""


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "sinks:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this code."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # noqa: S101 - the package always ships revisions
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate the database up to ``revision``; returns (before, after).

    A database created by the first release (tables, no version table) is adopted
    as revision 0001 first, so its rows are kept.
    """
    before = current_revision(engine)
    with engine.begin() as conn:
        config = _config(conn)
        if before is None and inspect(conn).has_table("sales_queue"):
            command.stamp(config, _FIRST)
        command.upgrade(config, revision)
    return before, current_revision(engine)


def require_current(engine: Engine) -> None:
    """Fail with the exact fix when the database is behind the code."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, this code needs {head}: "
            "run `handoff db upgrade` (uses HANDOFF_DATABASE_URL)")
