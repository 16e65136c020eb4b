"""Desk users for the tests, made with the same functions as `handoff users add`."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sinks.users import add_user
from tests.sales_factory import T0


def new_token(engine: Engine, name: str, role: str = "rep", email: str | None = None) -> str:
    """Add a desk user and return their token."""
    with Session(engine) as session, session.begin():
        return add_user(session=session, name=name, role=role, email=email, now=T0)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}
