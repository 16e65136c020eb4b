"""Database engine and schema creation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

T = TypeVar("T")
log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout so readers never block the sink."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(parsed, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Bring the schema up to date by running the migrations (demo, `up` and scratch databases).

    Production runs `handoff db upgrade` ahead of deploying workers; tables are never
    created outside the migrations.
    """
    from sinks.migrate import upgrade

    upgrade(engine)


def read_or(
    database: str | Engine, read: Callable[[Session], T], *, fallback: T, what: str, meanwhile: str
) -> T:
    """Run one read (a URL gets a short-lived engine); an unreachable store gives ``fallback``, logged."""
    engine = make_engine(database) if isinstance(database, str) else database
    try:
        with Session(engine) as session:
            return read(session)
    except SQLAlchemyError as exc:
        log.warning("%s not loaded (%s); %s", what, type(exc).__name__, meanwhile)
        return fallback
    finally:
        if engine is not database:
            engine.dispose()
