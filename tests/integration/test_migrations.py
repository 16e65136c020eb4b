"""The migrations build exactly the tables the code uses, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from sinks.migrate import SchemaOutOfDate, current_revision, head_revision, require_current, upgrade
from sinks.models import Base
from sinks.store import make_engine

pytestmark = pytest.mark.integration


def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with pytest.raises(SchemaOutOfDate, match="run `handoff db upgrade`"):
            require_current(engine)
        assert upgrade(engine) == (None, head_revision())
        require_current(engine)
        with engine.connect() as conn:
            # A table or column added to the models without a migration shows up here.
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        assert upgrade(engine) == (head_revision(), head_revision())
    finally:
        engine.dispose()


def test_a_database_of_the_first_release_is_adopted_with_its_rows(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:
            # The first release created its tables without Alembic.
            conn.execute(text("DROP TABLE alembic_version"))
            conn.execute(
                text(
                    "INSERT INTO handoff_ledger (handoff_id, event_id, lead_id, queue_handoff_id, "
                    "received_at) VALUES ('h1', 'e1', 'l1', 'h1', '2026-11-02 09:00:00')"
                )
            )
        assert current_revision(engine) is None
        assert upgrade(engine)[1] == head_revision()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM handoff_ledger")).scalar() == 1
    finally:
        engine.dispose()
