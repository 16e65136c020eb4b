"""The accounts sales already knows: matched against incoming leads by domain and name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sinks.models import Base

ACCOUNT_FIELDS = ("domain", "name", "owner", "segment", "employees", "industry", "country")


class AccountRecord(Base):
    """One known company: who owns it and what we know about it."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    domain: Mapped[str | None] = mapped_column(String(253), unique=True)
    name: Mapped[str] = mapped_column(String(400), index=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(100))
    employees: Mapped[int | None] = mapped_column(Integer)
    industry: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    updated_at: Mapped[datetime] = mapped_column()


@dataclass
class ImportResult:
    """What an import did."""

    inserted: int = 0
    updated: int = 0


def upsert_accounts(*, session: Session, rows: Iterable[Mapping[str, Any]]) -> ImportResult:
    """Insert or update accounts: by domain when there is one, else by exact name."""
    result = ImportResult()
    now = datetime.now(UTC)
    for row in rows:
        values = {k: row.get(k) for k in ACCOUNT_FIELDS}
        if values["domain"]:
            found = session.scalar(select(AccountRecord).where(AccountRecord.domain == values["domain"]))
        else:
            found = session.scalar(
                select(AccountRecord).where(
                    AccountRecord.domain.is_(None), AccountRecord.name == values["name"]
                )
            )
        if found is None:
            session.add(AccountRecord(**values, updated_at=now))
            result.inserted += 1
        else:
            for key, value in values.items():
                setattr(found, key, value)
            found.updated_at = now
            result.updated += 1
        session.flush()
    return result


def all_accounts(*, session: Session) -> list[AccountRecord]:
    """Return every account, oldest first."""
    return list(session.scalars(select(AccountRecord).order_by(AccountRecord.id)))


def accounts_marker(*, session: Session) -> str:
    """A cheap fingerprint of the table (rows, newest change) that every import changes."""
    count, newest = session.execute(select(func.count(), func.max(AccountRecord.updated_at))).one()
    return f"{count}/{newest}"
