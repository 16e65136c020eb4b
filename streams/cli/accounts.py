"""`handoff accounts import`: load the accounts leads are matched against."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from streams.cli.options import counted, policy_at
from streams.core.settings import load_settings


@click.group()
def accounts() -> None:
    """Known accounts: leads are matched to them by email domain, then company name."""


@accounts.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--db", "database_url", help="Database URL (default: HANDOFF_DATABASE_URL).")
def accounts_import(csv_file: Path, database_url: str | None) -> None:
    """Import accounts from CSV (columns: domain,name,owner,segment,employees,industry,country).

    Rows are matched to existing accounts by domain (else by name) and updated. Any bad
    row stops the import before anything is written, with every error and its line.
    """
    from sqlalchemy.orm import Session

    from sinks.accounts import upsert_accounts
    from sinks.preflight import require_store
    from sinks.store import create_schema, make_engine
    from streams.desk.account_index import ACCOUNTS_POLL_S
    from streams.desk.accounts_csv import read_accounts

    rows, errors = read_accounts(csv_file)
    if errors:
        click.echo("\n".join(errors), err=True)
        sys.exit(1)
    settings = load_settings(**({"database_url": database_url} if database_url else {}))
    engine = make_engine(settings.database.url)
    try:
        if settings.database.url.startswith("sqlite"):
            create_schema(engine)  # a scratch SQLite file: run the migrations here
        else:
            require_store(settings.database.url)  # reachable and migrated, or one line with the fix
        with Session(engine) as session, session.begin():
            result = upsert_accounts(session=session, rows=[vars(r) for r in rows])
    finally:
        engine.dispose()
    reps = set(policy_at(settings.policy.rules_file).reps)
    unknown = sorted({r.owner for r in rows if r.owner and r.owner not in reps})
    if unknown:
        click.echo(
            f"warning: owners not in the policy's reps (their leads route normally): {unknown}", err=True
        )
    click.echo(f"imported {counted(len(rows), 'account')}: {result.inserted} new, {result.updated} updated")
    click.echo(
        f"running stream workers on this database match leads to them within {ACCOUNTS_POLL_S:g} s "
        "(they watch the accounts table)"
    )
