"""Desk users and sessions on SQLite and PostgreSQL: hashed tokens, rotation, expiry, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sinks.models import DeskSession, DeskUser
from sinks.users import (
    UserError,
    add_user,
    close_session,
    open_session,
    revoke,
    rotate_token,
    session_user,
    user_by_name_or_email,
    user_by_token,
)
from tests.sales_factory import T0

pytestmark = pytest.mark.integration


def test_tokens_are_stored_hashed_and_rotate(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        token = add_user(session=s, name="tanaka.hiro", role="rep", email="tanaka@example.jp", now=T0)
        with pytest.raises(UserError, match="role 'king'"):
            add_user(session=s, name="x", role="king", email=None, now=T0)
    with Session(engine) as s:
        row = s.scalars(select(DeskUser)).one()
        assert row.token_hash is not None and row.token_hash.startswith("scrypt$")
        assert token.split("_", 2)[2] not in row.token_hash
        found = user_by_token(session=s, token=token)
        assert found is not None and (found.name, found.role) == ("tanaka.hiro", "rep")
        assert user_by_token(session=s, token=token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert user_by_name_or_email(session=s, who="Tanaka@Example.jp") is not None
    with Session(engine) as s, s.begin():
        fresh = rotate_token(session=s, name="tanaka.hiro")
    with Session(engine) as s:
        assert user_by_token(session=s, token=token) is None
        assert user_by_token(session=s, token=fresh) is not None


def test_sessions_expire_end_at_sign_out_and_die_with_revocation(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        add_user(session=s, name="boss", role="manager", email=None, now=T0)
        short, _ = open_session(session=s, user="boss", now=T0, ttl=timedelta(minutes=5))
        long, csrf = open_session(session=s, user="boss", now=T0, ttl=timedelta(hours=8))
    with Session(engine) as s:
        assert session_user(session=s, secret=short, now=T0 + timedelta(minutes=6)) is None
        alive = session_user(session=s, secret=long, now=T0 + timedelta(minutes=6))
        assert alive is not None and alive[0].name == "boss" and alive[1] == csrf
        # The table holds digests, never the cookie's secret.
        assert long not in {r.session_hash for r in s.scalars(select(DeskSession))}
    with Session(engine) as s, s.begin():
        close_session(session=s, secret=short)
        other, _ = open_session(session=s, user="boss", now=T0, ttl=timedelta(hours=8))
        revoke(session=s, name="boss", now=T0)
    with Session(engine) as s:
        assert session_user(session=s, secret=long, now=T0) is None
        assert session_user(session=s, secret=other, now=T0) is None
        assert user_by_name_or_email(session=s, who="boss") is None
