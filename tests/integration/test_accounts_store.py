"""The accounts table on SQLite and PostgreSQL: import, update, and the index workers load."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sinks.accounts import all_accounts, upsert_accounts
from sinks.store import create_schema, make_engine
from streams.desk.account_index import load_index
from streams.logic.accounts import match_account
from streams.logic.decode import decode_lead
from streams.logic.lead import normalise_lead
from tests.unit.leads import raw

pytestmark = pytest.mark.integration


def test_import_update_and_load_index(database_url: str) -> None:
    engine = make_engine(database_url)
    create_schema(engine)
    try:
        with Session(engine) as session, session.begin():
            first = upsert_accounts(
                session=session,
                rows=[
                    {
                        "domain": "toyota-shokki.co.jp",
                        "name": "株式会社豊田自動織機",
                        "owner": "sato.kenji",
                        "employees": 70000,
                        "country": "JP",
                    },
                    {"domain": None, "name": "Northwind Traders", "owner": "james.miller"},
                ],
            )
        with Session(engine) as session, session.begin():
            again = upsert_accounts(
                session=session,
                rows=[
                    {"domain": "toyota-shokki.co.jp", "name": "株式会社豊田自動織機", "owner": "suzuki.yui"},
                    {"domain": None, "name": "Northwind Traders", "owner": "tanaka.hiro"},
                ],
            )
        with Session(engine) as session:
            owners = sorted((a.name, a.owner) for a in all_accounts(session=session))
    finally:
        engine.dispose()
    assert (first.inserted, first.updated, again.inserted, again.updated) == (2, 0, 0, 2)
    assert owners == [("Northwind Traders", "tanaka.hiro"), ("株式会社豊田自動織機", "suzuki.yui")]
    index = load_index(database_url)
    lead = normalise_lead(decode_lead(raw(email="a@toyota-shokki.co.jp")))  # type: ignore[arg-type]
    match = match_account(lead, index)
    assert match.account is not None and match.account.owner == "suzuki.yui"


def test_missing_table_gives_an_empty_index(database_url: str) -> None:
    assert len(load_index(database_url)) == 0
