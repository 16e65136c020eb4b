"""Tables of the sales queue store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Index, Integer, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

OPEN_STATUSES = ("open", "claimed")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend (SQLite stores it as UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every Handoff timestamp carries a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every Handoff table."""

    type_annotation_map = {datetime: UTCDateTime}


class QueueItem(Base):
    """One person's open (or past) handoff in a sales queue."""

    __tablename__ = "sales_queue"

    handoff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lead_id: Mapped[str] = mapped_column(String(64), index=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    queue: Mapped[str] = mapped_column(String(100), index=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(8))
    score: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    email: Mapped[str | None] = mapped_column(String(320))
    full_name: Mapped[str | None] = mapped_column(String(400))
    company: Mapped[str | None] = mapped_column(String(400))
    country: Mapped[str | None] = mapped_column(String(2))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submissions: Mapped[int] = mapped_column(Integer, default=1)
    handoff: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        # At most one open or claimed row per person.
        Index(
            "uq_sales_queue_open_lead", "lead_id", unique=True,
            sqlite_where=text("status IN ('open', 'claimed')"),
            postgresql_where=text("status IN ('open', 'claimed')"),
        ),
        Index("ix_sales_queue_queue_status_due", "queue", "status", "sla_due_at"),
    )


class HandoffRecord(Base):
    """Every handoff event the sink has applied: the idempotency ledger."""

    __tablename__ = "handoff_ledger"

    handoff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    lead_id: Mapped[str] = mapped_column(String(64), index=True)
    queue_handoff_id: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
