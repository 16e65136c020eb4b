"""`handoff db`: the sales queue database schema."""

from __future__ import annotations

import click

from streams.core.settings import load_settings


@click.group("db")
def db() -> None:
    """The sales queue database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate HANDOFF_DATABASE_URL to the newest schema (safe to run again)."""
    from sinks.migrate import upgrade
    from sinks.preflight import reachable_revision, sqlite_path
    from sinks.store import make_engine

    url = load_settings().database.url
    if sqlite_path(url) is None:
        reachable_revision(url)  # a server that does not answer: say so within seconds
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    click.echo(
        f"database schema: {before or 'empty'} -> {after}"
        if before != after
        else f"database schema already at {after}"
    )


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does, e.g. 'accounts table'.")
def db_revision(message: str) -> None:
    """Write the next migration from the models into sinks/migrations/versions (for developers).

    Compares the models with a database at the current head (HANDOFF_DATABASE_URL; a scratch
    SQLite file is fine after `handoff db upgrade`); review the file before committing it.
    """
    from sinks.migrate import SchemaOutOfDate, new_revision
    from sinks.preflight import reachable_revision, sqlite_path
    from sinks.store import make_engine

    url = load_settings().database.url
    if sqlite_path(url) is None:
        reachable_revision(url)
    engine = make_engine(url)
    try:
        click.echo(new_revision(engine, message))
    except SchemaOutOfDate as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


@db.command("current")
def db_current() -> None:
    """Print the database's schema revision and the one this code needs."""
    from sinks.migrate import head_revision
    from sinks.preflight import reachable_revision, sqlite_path

    url = load_settings().database.url
    path = sqlite_path(url)
    if path is not None and not path.exists():
        current = f"no file at {path}"  # asking must not create it
    else:
        current = reachable_revision(url) or "not migrated"
    click.echo(f"database: {current}; code: {head_revision()}")
