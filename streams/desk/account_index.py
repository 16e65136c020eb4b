"""Load the accounts table into a matching index (workers refresh it periodically)."""

from __future__ import annotations

from sqlalchemy import Engine

from sinks.accounts import AccountRecord, accounts_marker, all_accounts
from sinks.store import read_or
from streams.logic.accounts import EMPTY_INDEX, AccountIndex, KnownAccount, build_index

# How often stream workers look at the accounts table's fingerprint (one small query).
ACCOUNTS_POLL_S = 2.0


def known(record: AccountRecord) -> KnownAccount:
    """Turn a table row into the plain value the matcher uses."""
    return KnownAccount(
        name=record.name,
        domain=record.domain,
        owner=record.owner,
        segment=record.segment,
        employees=record.employees,
        industry=record.industry,
        country=record.country,
    )


def load_index(database_url: str, *, fuzzy_min: float = 0.88) -> AccountIndex:
    """Read every account; an unreachable database or missing table gives an empty index."""
    return read_or(
        database_url,
        lambda session: build_index([known(r) for r in all_accounts(session=session)], fuzzy_min=fuzzy_min),
        fallback=EMPTY_INDEX,
        what="accounts",
        meanwhile="matching leads to no account until the next refresh",
    )


def load_marker(database: str | Engine) -> str | None:
    """The accounts table's fingerprint (None while the database cannot be read).

    A worker polls it every ``ACCOUNTS_POLL_S`` on one engine it keeps, so each look is one
    query on a pooled connection rather than a new connection.
    """
    return read_or(
        database,
        lambda session: accounts_marker(session=session),
        fallback=None,
        what="accounts marker",
        meanwhile="new accounts apply at the next full refresh",
    )
