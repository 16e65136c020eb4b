"""Check the sales queue store before a command touches it: there, reachable, migrated."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from schemas.errors import StoreError
from sinks.migrate import SchemaOutOfDate, current_revision, head_revision

CONNECT_TIMEOUT_S = 5


class StoreUnreachable(StoreError):
    """The database server did not accept a connection."""


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names (None: not SQLite, or in memory)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"HANDOFF_DATABASE_URL: {url!r} is not a database URL ({exc})") from None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _probe_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    args = {"connect_timeout": CONNECT_TIMEOUT_S} if parsed.get_backend_name() == "postgresql" else {}
    return create_engine(parsed, connect_args=args)


def require_store(url: str) -> None:
    """Raise a ``StoreError`` with the fix unless the database exists, answers and is at head.

    A missing SQLite file is reported, never created empty.
    """
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise SchemaOutOfDate(
            f"no database at {path} (HANDOFF_DATABASE_URL={url}): run `handoff db upgrade` to create it"
        )
    current = reachable_revision(url)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, this code needs {head}: "
            "run `handoff db upgrade` (uses HANDOFF_DATABASE_URL)"
        )


def reachable_revision(url: str) -> str | None:
    """The database's revision; ``StoreUnreachable`` within seconds when its server does not answer."""
    engine = _probe_engine(url)
    try:
        try:
            current = current_revision(engine)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreUnreachable(
                f"cannot reach the database at {_safe(url)} ({reason}); check HANDOFF_DATABASE_URL "
                "and that the server is running"
            ) from None
    finally:
        engine.dispose()
    return current


def _safe(url: str) -> str:
    """The URL without its password."""
    return make_url(url).render_as_string(hide_password=True)
