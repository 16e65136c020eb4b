"""Load the accounts table into a matching index (workers refresh it periodically)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from sinks.accounts import AccountRecord, all_accounts
from sinks.store import make_engine
from streams.logic.accounts import EMPTY_INDEX, AccountIndex, KnownAccount, build_index

log = logging.getLogger(__name__)


def known(record: AccountRecord) -> KnownAccount:
    """Turn a table row into the plain value the matcher uses."""
    return KnownAccount(name=record.name, domain=record.domain, owner=record.owner,
                        segment=record.segment, employees=record.employees,
                        industry=record.industry, country=record.country)


def load_index(database_url: str, *, fuzzy_min: float = 0.88) -> AccountIndex:
    """Read every account; an unreachable database or missing table gives an empty index."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return build_index([known(r) for r in all_accounts(session=session)], fuzzy_min=fuzzy_min)
    except SQLAlchemyError as exc:
        log.warning("accounts not loaded (%s); matching leads to no account until the next refresh",
                    type(exc).__name__)
        return EMPTY_INDEX
    finally:
        engine.dispose()
