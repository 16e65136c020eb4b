"""`handoff users`: who may sign in to the desk; tokens are printed once and stored hashed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from sinks import users as store
from streams.cli.options import JSON
from streams.core.settings import load_settings

T = TypeVar("T")


@contextmanager
def _session() -> Iterator[Session]:
    from sinks.preflight import require_store
    from sinks.store import make_engine

    url = load_settings().database.url
    require_store(url)  # reported with the fix; a missing SQLite file is never created empty
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()


def _run(fn: Callable[[Session], T]) -> T:
    with _session() as session:
        return fn(session)


def _show_token(name: str, token: str) -> None:
    click.echo(f"token for {name} (shown once; keep it in a password manager):", err=True)
    click.echo(token)


@click.group("users")
def users() -> None:
    """People and tools that may use the desk (HANDOFF_DESK_AUTH=token or proxy)."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(store.ROLES), help="rep, manager or integration.")
@click.option("--email", help="Their email (an SSO proxy may send it instead of the name).")
def add_cmd(name: str, role: str, email: str | None) -> None:
    """Add a user; a rep's NAME is their rep id in the policy. Prints the new token last."""
    now = datetime.now(UTC)
    token = _run(
        lambda s: store.add_user(
            session=s, name=name, role=role, email=email.lower() if email else None, now=now
        )
    )
    click.echo(f"added {name} ({role})")
    _show_token(name, token)


@users.command("list")
@JSON
def list_cmd(as_json: bool) -> None:
    """Every user, their role and whether their token works."""
    found = _run(lambda s: store.list_users(session=s))
    if as_json:
        rows = [{"name": u.name, "role": u.role, "email": u.email, "active": u.active} for u in found]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no users: add one with `handoff users add NAME --role rep`")
        return
    click.echo(f"{'NAME':<24}{'ROLE':<13}{'STATE':<9}EMAIL")
    for u in found:
        click.echo(f"{u.name:<24}{u.role:<13}{'active' if u.active else 'revoked':<9}{u.email or '-'}")


@users.command("revoke")
@click.argument("name")
def revoke_cmd(name: str) -> None:
    """Stop a user's token and sign them out everywhere."""
    now = datetime.now(UTC)
    _run(lambda s: store.revoke(session=s, name=name, now=now))
    click.echo(f"revoked {name}: their token and sessions no longer work")


@users.command("token")
@click.argument("name")
def token_cmd(name: str) -> None:
    """Give a user a new token (the old one and their sessions stop working). Prints it last."""
    token = _run(lambda s: store.rotate_token(session=s, name=name))
    _show_token(name, token)
