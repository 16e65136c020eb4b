"""Tables of the sales queue store.

The schema is owned by the Alembic migrations in ``sinks/migrations``; these models
must match them (a test compares the two).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

OPEN_STATUSES = ("open", "claimed")
STATUSES = ("open", "claimed", "accepted", "rejected", "closed")


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
    # Working the lead: who holds it, what happened, and why.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    first_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    reason: Mapped[str | None] = mapped_column(String(64), default=None)
    breaches: Mapped[int] = mapped_column(Integer, default=0)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Copied from the handoff's source so the scorecard groups without reading the JSON.
    form_id: Mapped[str | None] = mapped_column(String(100), default=None)
    utm_source: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_campaign: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (
        # At most one open or claimed row per person.
        Index(
            "uq_sales_queue_open_lead",
            "lead_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'claimed')"),
            postgresql_where=text("status IN ('open', 'claimed')"),
        ),
        Index("ix_sales_queue_queue_status_due", "queue", "status", "sla_due_at"),
        Index("ix_sales_queue_owner_status", "owner", "status"),
        Index("ix_sales_queue_email", "email"),
        # Covering on PostgreSQL (migration 0005): the scorecard reads the index alone.
        Index(
            "ix_sales_queue_submitted_at",
            "submitted_at",
            postgresql_include=[
                "handoff_id",
                "queue",
                "owner",
                "stage",
                "status",
                "outcome",
                "reason",
                "breaches",
                "first_touch_at",
                "sla_due_at",
                "form_id",
                "utm_source",
                "utm_campaign",
            ],
        ),  # fmt: skip
    )


class HandoffRecord(Base):
    """Every handoff event the sink has applied: the idempotency ledger."""

    __tablename__ = "handoff_ledger"

    handoff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    lead_id: Mapped[str] = mapped_column(String(64), index=True)
    queue_handoff_id: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedbackRecord(Base):
    """One thing sales did with a handoff; also the outbox of ``leads.feedback``.

    ``feedback_id`` is derived from the event's content, so a redelivered event
    lands on the same row. ``published_at`` is null until the event is on the topic.
    """

    __tablename__ = "feedback"

    feedback_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    handoff_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    by: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied: Mapped[bool] = mapped_column(default=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (Index("ix_feedback_unpublished", "published_at"),)


class SlaBreachRecord(Base):
    """A handoff that missed its deadline and what was done; unique per deadline, so once only.

    Also the outbox of ``leads.sla``.
    """

    __tablename__ = "sla_breaches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[str] = mapped_column(String(64), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime] = mapped_column(UTCDateTime)
    breach: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    from_owner: Mapped[str | None] = mapped_column(String(200))
    to_owner: Mapped[str | None] = mapped_column(String(200))
    from_queue: Mapped[str] = mapped_column(String(100))
    to_queue: Mapped[str] = mapped_column(String(100))
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        UniqueConstraint("handoff_id", "due_at", name="uq_sla_breaches_handoff_due"),
        Index("ix_sla_breaches_unpublished", "published_at"),
    )


class DeskUser(Base):
    """A person or tool that may use the desk; the token is kept only as a salted scrypt hash."""

    __tablename__ = "desk_users"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    # The token's public half, so a sign-in finds its user without trying every hash.
    token_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class DeskSession(Base):
    """A signed-in browser: the cookie holds the secret, the table only its SHA-256."""

    __tablename__ = "desk_sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(200), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LeadOutcome(Base):
    """A submission that never reached sales: nurtured, disqualified, a duplicate or a dead letter."""

    __tablename__ = "lead_outcomes"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(100))
    form_id: Mapped[str | None] = mapped_column(String(100))
    utm_source: Mapped[str | None] = mapped_column(String(200))
    utm_campaign: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_lead_outcomes_at", "at"),)


class HandoffRule(Base):
    """A rule that scored or routed a handoff: the scorecard groups by rule without reading the JSON."""

    __tablename__ = "handoff_rules"

    handoff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule: Mapped[str] = mapped_column(String(100), primary_key=True)
